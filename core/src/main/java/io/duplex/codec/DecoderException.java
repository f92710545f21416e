package io.duplex.codec;

/**
 * Inbound bytes are not a valid message: malformed payload, unknown message type, wrong shape.
 * The transport closes the connection that sent them; other connections are not affected.
 */
public class DecoderException extends CodecException {
  private static final long serialVersionUID = 1L;

  /** A decoding failure described by {@code message}. */
  public DecoderException(String message) {
    super(message);
  }

  /** A decoding failure described by {@code message}, caused by {@code cause}. */
  public DecoderException(String message, Throwable cause) {
    super(message, cause);
  }
}
