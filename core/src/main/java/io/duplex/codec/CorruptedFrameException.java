package io.duplex.codec;

/**
 * A frame's bytes break the wire format: a frame too short for its type, an unknown frame type,
 * bytes left over after a message. The stream cannot be trusted after this, so the connection
 * closes.
 */
public class CorruptedFrameException extends DecoderException {
  private static final long serialVersionUID = 1L;

  /** A corrupted frame described by {@code message}. */
  public CorruptedFrameException(String message) {
    super(message);
  }
}
