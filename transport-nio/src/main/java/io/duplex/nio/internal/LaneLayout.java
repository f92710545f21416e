package io.duplex.nio.internal;

import io.duplex.internal.LaneFrames;
import io.duplex.internal.Wire;
import java.nio.ByteBuffer;

/**
 * A lane message's layout ({@link LaneFrames}) as the scheduler walks it, a chunk at a time:
 *
 * <pre>
 *   data &lt;= chunk:  [u32 1+data][MESSAGE or 0x10|lane][data]                      one frame
 *   data &gt;  chunk:  [u32 5+chunk][0x20|lane][u32 data][chunk bytes]               first chunk
 *                   [u32 1+c][0x30|lane][c bytes]   (c = min(chunk, data left))   each next
 * </pre>
 *
 * Stateless.
 */
final class LaneLayout {
  private LaneLayout() {}

  /** Messages whose wire form is this large or larger reuse their lane's spare array. */
  static final int RECYCLE_MIN = 256 * 1024;

  /**
   * Lays a large message out into {@code o}'s spare array when it fits and is not more than
   * twice the size (so a small message does not pin a large array), else into a new one. A
   * written large message gives its array back ({@link #recycle}): a lane that streams blocks
   * reuses one array instead of allocating each block's. Any sender.
   */
  static ByteBuffer layout(LaneScheduler.Out o, ByteBuffer body, int chunk) {
    int size = LaneFrames.wireSize(body.remaining(), chunk);
    if (size < RECYCLE_MIN) {
      return LaneFrames.layout(o.id, body, chunk);
    }
    byte[] spare = o.spare.getAndSet(null);
    if (spare != null && (spare.length < size || spare.length / 2 > size)) {
      spare = null;
    }
    return LaneFrames.layout(o.id, body, chunk, spare);
  }

  /**
   * Gives a written message's array to its lane for the next large message: only an array of
   * the lane's own (a MESSAGE, never a shared one), once no one reads it. Role holder.
   */
  static void recycle(LaneScheduler.Out o, OutboundFrame f) {
    if (f.kind == OutboundFrame.Kind.MESSAGE && f.bytes.hasArray()
        && f.bytes.capacity() >= RECYCLE_MIN) {
      o.spareSince = System.nanoTime(); // before the array: the timer reads the array first
      o.spare.set(f.bytes.array());
    }
  }

  /**
   * Lets {@code o}'s spare array go if it has waited {@code quietNanos} unused: a lane whose
   * large messages stopped does not keep one pinned. The timer; a sender that takes the array
   * first keeps it (compare-and-set).
   */
  static void trimSpare(LaneScheduler.Out o, long now, long quietNanos) {
    byte[] spare = o.spare.get();
    if (spare != null && now - o.spareSince > quietNanos) {
      o.spare.compareAndSet(spare, null);
    }
  }

  /**
   * Where the next chunk of {@code f} ends in its buffer, from what the scheduler scheduled so
   * far (its limit) and its data left; {@link #nextData} is that chunk's data. Role holder.
   */
  static int nextEnd(OutboundFrame f) {
    int at = f.bytes.limit();
    if (at == 0) {
      return f.dataLeft <= f.chunk ? f.size : Wire.FIRST_CHUNK_HEADER + f.chunk;
    }
    return at + Wire.HEADER_SIZE + Math.min(f.chunk, f.dataLeft);
  }

  /** The data bytes of {@code f}'s next chunk. Role holder. */
  static int nextData(OutboundFrame f) {
    return Math.min(f.chunk, f.dataLeft);
  }

  /**
   * What {@code f}'s next chunk costs in credit: its data, plus {@link Wire#MESSAGE_CREDIT} for
   * the message's first frame. Role holder (other threads may read it as a hint).
   */
  static int nextCost(OutboundFrame f) {
    int data = Math.min(f.chunk, f.dataLeft);
    return f.bytes.limit() == 0 ? data + Wire.MESSAGE_CREDIT : data;
  }
}
