package io.duplex.codec;

/**
 * A frame's bytes break the format: a zero-length frame (every duplex frame has a type byte), a
 * codec's payload that is truncated or has bytes left over. The stream cannot be trusted after
 * this, so the connection closes.
 */
public class CorruptedFrameException extends DecoderException {
  private static final long serialVersionUID = 1L;

  /** A corrupted frame described by {@code message}. */
  public CorruptedFrameException(String message) {
    super(message);
  }
}
