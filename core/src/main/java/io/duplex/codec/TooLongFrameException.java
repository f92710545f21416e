package io.duplex.codec;

/**
 * A frame's length prefix announced more bytes than the limit allows. It is thrown as soon as the
 * 4-byte length is read, before any buffer for the frame is allocated, and the connection closes:
 * duplex does not try to skip the frame, because a peer that sends one is broken or hostile.
 */
public final class TooLongFrameException extends DecoderException {
  private static final long serialVersionUID = 1L;

  private final long length;
  private final long limit;

  /**
   * A frame of {@code length} bytes refused under {@code limit}.
   *
   * @param length the length the prefix announced, as an unsigned 32-bit value
   * @param limit the largest length accepted at this point of the connection
   * @param what what the limit is called, for the message (for example "max frame size")
   */
  public TooLongFrameException(long length, long limit, String what) {
    super("frame length " + length + " exceeds " + what + " " + limit
        + "; the peer is broken or hostile, or both sides must raise the limit");
    this.length = length;
    this.limit = limit;
  }

  /** The length the frame's prefix announced (0 to 2^32-1). */
  public long length() {
    return length;
  }

  /** The limit the length broke. */
  public long limit() {
    return limit;
  }
}
