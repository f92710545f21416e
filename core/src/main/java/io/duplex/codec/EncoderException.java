package io.duplex.codec;

/**
 * A message could not be encoded: the codec does not know its type, a field cannot be
 * represented, or the encoded frame exceeds the frame size limit. The send fails; nothing was
 * written and the connection stays open.
 */
public class EncoderException extends CodecException {
  private static final long serialVersionUID = 1L;

  /** An encoding failure described by {@code message}. */
  public EncoderException(String message) {
    super(message);
  }

  /** An encoding failure described by {@code message}, caused by {@code cause}. */
  public EncoderException(String message, Throwable cause) {
    super(message, cause);
  }
}
