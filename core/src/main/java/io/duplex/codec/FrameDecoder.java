package io.duplex.codec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * An incremental decoder for length-prefixed frames: a 4-byte big-endian unsigned length, then
 * that many bytes. Feed it bytes in any split (one byte at a time, many frames per buffer, a
 * header across two reads) and it returns each frame's bytes once they are all there.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>{@link #next} returns {@code null} while it lacks bytes, having consumed (and kept) what
 *       it was given. When it returns a frame it has consumed that frame's bytes from the input.
 *   </li>
 *   <li>The length is checked against the limit as soon as its 4 bytes are read, before any
 *       buffer is allocated for the frame; a length over the limit throws {@link
 *       TooLongFrameException} with the limit and the length. The decoder does not try to skip
 *       such a frame: the stream is abandoned and the connection closed.</li>
 *   <li>A frame that lies whole in the input is returned as a view of the input, with no copy. A
 *       frame split across inputs is gathered in a buffer sized by the bytes that actually
 *       arrive: never more than four times what the peer has sent (so announcing 16 MiB and
 *       sending 1 byte costs little), and the whole frame's size in one step once a quarter of it
 *       is here (so a large frame costs one allocation, not a doubling series). The gathering
 *       buffer is kept for the next split frame if it is at most 64 KiB, or at most 2 MiB while
 *       the frames that follow are at least a quarter of its size (a peer streaming 1 MiB blocks
 *       costs one buffer, not one per block); the first smaller frame lets a large one go, and
 *       so does {@link #releaseLargeSpare}.</li>
 *   <li>The returned buffer is valid until the next call; its remaining bytes are the frame.</li>
 * </ul>
 *
 * <p>Not thread-safe: a decoder belongs to one connection's read side.
 */
public final class FrameDecoder {
  /** Bytes in the length prefix. */
  public static final int LENGTH_SIZE = 4;

  /** Gathering buffers up to this size are kept for the next split frame. */
  static final int RETAIN_CAPACITY = 64 * 1024;
  /**
   * Gathering buffers up to this size are kept too, while the next frame is at least a quarter
   * of their size: a peer streaming 1 MiB blocks costs one buffer, not one per block. The first
   * smaller frame lets it go, so at most this much stays pinned per connection, and only after
   * the peer sent a frame of at least a quarter of it.
   */
  static final int RETAIN_LARGE_CAPACITY = 2 * 1024 * 1024;
  /** The first gathering buffer for a split frame is at least this large (or the frame's size). */
  private static final int FIRST_CHUNK = 8 * 1024;
  /** The gathering buffer holds at most this many times the bytes that have arrived. */
  private static final int GROWTH_FACTOR = 4;

  private int maxFrameLength;
  private String limitName;

  // Header state: bytes of the length prefix seen so far, and their value.
  private int headerBytes;
  private int headerValue;
  // The announced length of the frame being read, or -1 while the prefix is incomplete.
  private int length = -1;
  // Gathers a frame split across inputs; null when the current frame has not been split.
  private ByteBuffer gather;
  private ByteBuffer spareGather;
  // A reusable view of the last input, so a whole frame costs no allocation.
  private ByteBuffer lastInput;
  private ByteBuffer view;

  /**
   * A decoder that refuses frames longer than {@code maxFrameLength} bytes (not counting the
   * length prefix).
   */
  public FrameDecoder(int maxFrameLength) {
    limit(maxFrameLength, "max frame size");
  }

  /**
   * Changes the limit for frames whose length has not been read yet, for example from the small
   * pre-handshake limit to the connection's max frame size.
   *
   * @param limitName what the limit is called in error messages
   */
  public void limit(int maxFrameLength, String limitName) {
    if (maxFrameLength < 0) {
      throw new IllegalArgumentException("maxFrameLength < 0: " + maxFrameLength);
    }
    this.maxFrameLength = maxFrameLength;
    this.limitName = limitName;
  }

  /** The current limit on a frame's length. */
  public int limit() {
    return maxFrameLength;
  }

  /**
   * Whether some bytes of a frame (its prefix or its body) have been consumed without the frame
   * being complete. At end of stream this means the peer vanished mid-frame.
   */
  public boolean hasPartialFrame() {
    return headerBytes > 0 || length >= 0;
  }

  /**
   * Consumes bytes from {@code in} and returns the next complete frame, or {@code null} if {@code
   * in} ran out first.
   *
   * @return the frame's bytes (after the length prefix) as the remaining bytes of a buffer that
   *     is valid until the next call, or {@code null}
   * @throws TooLongFrameException if a length prefix exceeds the limit
   */
  public ByteBuffer next(ByteBuffer in) {
    if (length < 0 && !readLength(in)) {
      return null;
    }
    int frameLength = length;
    if (spareGather != null && spareGather.capacity() > RETAIN_CAPACITY
        && (long) frameLength * 4 < spareGather.capacity()) {
      spareGather = null; // a smaller frame: stop holding a large buffer (small spares stay)
    }
    if (gather == null && in.remaining() >= frameLength) {
      int start = in.position();
      in.position(start + frameLength);
      resetFrame();
      return viewOf(in, start, frameLength);
    }
    if (gather == null) {
      gather = gatherBuffer(frameLength, capacityFor(frameLength, in.remaining()));
    }
    int want = frameLength - gather.position();
    int take = Math.min(want, in.remaining());
    if (take > gather.remaining()) {
      gather = grow(gather, frameLength, take);
    }
    int oldLimit = in.limit();
    in.limit(in.position() + take);
    gather.put(in);
    in.limit(oldLimit);
    if (gather.position() < frameLength) {
      return null;
    }
    ByteBuffer frame = gather;
    frame.flip();
    if (frame.capacity() <= RETAIN_LARGE_CAPACITY) {
      spareGather = frame;
    }
    gather = null;
    resetFrame();
    return frame;
  }

  /** Reads prefix bytes; true once the length is known (and within the limit). */
  private boolean readLength(ByteBuffer in) {
    if (headerBytes == 0 && in.remaining() >= LENGTH_SIZE) {
      int raw = in.getInt(in.position()); // in the caller's byte order; the prefix is big-endian
      headerValue = in.order() == ByteOrder.BIG_ENDIAN ? raw : Integer.reverseBytes(raw);
      in.position(in.position() + LENGTH_SIZE);
      headerBytes = LENGTH_SIZE;
    } else {
      while (headerBytes < LENGTH_SIZE && in.hasRemaining()) {
        headerValue = (headerValue << 8) | (in.get() & 0xFF);
        headerBytes++;
      }
      if (headerBytes < LENGTH_SIZE) {
        return false;
      }
    }
    long announced = headerValue & 0xFFFFFFFFL;
    if (announced > maxFrameLength) {
      throw new TooLongFrameException(announced, maxFrameLength, limitName);
    }
    length = (int) announced;
    return true;
  }

  private void resetFrame() {
    headerBytes = 0;
    headerValue = 0;
    length = -1;
  }

  private ByteBuffer viewOf(ByteBuffer in, int start, int frameLength) {
    if (in != lastInput) {
      lastInput = in;
      view = in.duplicate();
    }
    view.clear();
    view.limit(start + frameLength).position(start);
    return view;
  }

  /**
   * A gathering buffer of at least {@code capacity} for a frame of {@code frameLength}: the spare
   * if it fits (a large spare, which {@link #next} keeps only for frames of at least a quarter of
   * its size, must hold the whole frame, so it never grows), otherwise a new one.
   */
  private ByteBuffer gatherBuffer(int frameLength, int capacity) {
    ByteBuffer spare = spareGather;
    if (spare == null) {
      return ByteBuffer.allocate(capacity);
    }
    boolean large = spare.capacity() > RETAIN_CAPACITY;
    if (spare.capacity() >= (large ? frameLength : capacity)) {
      spareGather = null;
      spare.clear();
      return spare;
    }
    if (large) {
      spareGather = null; // too small for this frame: let it go
    }
    return ByteBuffer.allocate(capacity);
  }

  /**
   * Lets go of a kept gathering buffer larger than 64 KiB, if one is kept: for a connection
   * whose large frames have stopped (a quiet period), so it no longer pins up to 2 MiB. A frame
   * being gathered keeps its buffer. Small buffers stay.
   *
   * @return the bytes let go
   */
  public int releaseLargeSpare() {
    if (spareGather == null || spareGather.capacity() <= RETAIN_CAPACITY) {
      return 0;
    }
    int released = spareGather.capacity();
    spareGather = null;
    return released;
  }

  /** The capacity of the spare gathering buffer held for the next frame, or 0 (for tests). */
  int spareCapacity() {
    return spareGather == null ? 0 : spareGather.capacity();
  }

  /**
   * The first gathering capacity for a frame of {@code frameLength} when {@code arrived} of its
   * bytes are here: the whole frame if at least a quarter has arrived (one allocation, no copy on
   * growth), otherwise room for what arrived. So the decoder never holds more than four times the
   * bytes a peer actually sent, and a large frame that comes in big reads costs one buffer.
   */
  private static int capacityFor(int frameLength, int arrived) {
    if ((long) arrived * GROWTH_FACTOR >= frameLength) {
      return frameLength;
    }
    return Math.min(frameLength, Math.max(FIRST_CHUNK, arrived));
  }

  /**
   * Doubles {@code buf} until {@code more} bytes fit, never past {@code frameLength}; jumps to the
   * whole frame once a quarter of it has arrived.
   */
  private static ByteBuffer grow(ByteBuffer buf, int frameLength, int more) {
    long needed = (long) buf.position() + more;
    long capacity = Math.max((long) buf.capacity() * 2, needed);
    if (needed * GROWTH_FACTOR >= frameLength) {
      capacity = frameLength; // a quarter is here: take the whole frame's size in one step
    }
    ByteBuffer bigger = ByteBuffer.allocate((int) Math.min(capacity, frameLength));
    buf.flip();
    bigger.put(buf);
    return bigger;
  }
}
