package io.duplex.nio.internal;

import io.duplex.internal.Wire;
import java.nio.ByteBuffer;

/**
 * The wire form of a message on a lane (docs/PROTOCOL.md, "Lanes"), laid out once when the
 * message is queued, so that the write half only moves a limit to send it a chunk at a time:
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

  /** Bytes on the wire of a message of {@code data} bytes cut into chunks of {@code chunk}. */
  static int wireSize(int data, int chunk) {
    if (data <= chunk) {
      return Wire.HEADER_SIZE + data;
    }
    int rest = data - chunk;
    int nextChunks = (rest + chunk - 1) / chunk;
    return Wire.FIRST_CHUNK_HEADER + chunk + nextChunks * Wire.HEADER_SIZE + rest;
  }

  /**
   * A new buffer holding the message whose body is {@code body}'s remaining bytes, laid out for
   * {@code lane}; {@code body}'s position is not moved.
   */
  static ByteBuffer layout(int lane, ByteBuffer body, int chunk) {
    int data = body.remaining();
    byte[] out = new byte[wireSize(data, chunk)];
    int from = body.position();
    if (data <= chunk) {
      putInt(out, 0, Wire.TYPE_SIZE + data);
      out[4] = Wire.messageType(lane);
      copy(body, from, out, Wire.HEADER_SIZE, data);
      return ByteBuffer.wrap(out);
    }
    putInt(out, 0, Wire.TYPE_SIZE + 4 + chunk);
    out[4] = (byte) (Wire.FIRST_CHUNK | lane);
    putInt(out, 5, data);
    copy(body, from, out, Wire.FIRST_CHUNK_HEADER, chunk);
    int at = Wire.FIRST_CHUNK_HEADER + chunk;
    for (int done = chunk; done < data; ) {
      int c = Math.min(chunk, data - done);
      putInt(out, at, Wire.TYPE_SIZE + c);
      out[at + 4] = (byte) (Wire.NEXT_CHUNK | lane);
      copy(body, from + done, out, at + Wire.HEADER_SIZE, c);
      at += Wire.HEADER_SIZE + c;
      done += c;
    }
    return ByteBuffer.wrap(out);
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

  private static void copy(ByteBuffer src, int from, byte[] dst, int at, int n) {
    src.get(from, dst, at, n);
  }

  private static void putInt(byte[] b, int at, int v) {
    b[at] = (byte) (v >>> 24);
    b[at + 1] = (byte) (v >>> 16);
    b[at + 2] = (byte) (v >>> 8);
    b[at + 3] = (byte) v;
  }
}
