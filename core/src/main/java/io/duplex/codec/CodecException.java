package io.duplex.codec;

import io.duplex.DuplexException;

/**
 * A message could not be turned into frame bytes, or frame bytes into a message.
 *
 * <p>The tree follows Netty's codec contract: {@link DecoderException} for inbound bytes
 * ({@link TooLongFrameException}, {@link CorruptedFrameException}) and {@link EncoderException}
 * for outbound messages. A decoder error ends the connection it came from, and only that one.
 */
public class CodecException extends DuplexException {
  private static final long serialVersionUID = 1L;

  /** A codec failure described by {@code message}. */
  public CodecException(String message) {
    super(message);
  }

  /** A codec failure described by {@code message}, caused by {@code cause}. */
  public CodecException(String message, Throwable cause) {
    super(message, cause);
  }
}
