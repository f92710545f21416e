package io.duplex.internal;

import java.nio.ByteBuffer;

/**
 * The wire form of a message on a lane (docs/PROTOCOL.md, "Lanes"), laid out once, so that a
 * writer only moves a limit to send it a chunk at a time:
 *
 * <pre>
 *   data &lt;= chunk:  [u32 1+data][MESSAGE or 0x10|lane][data]                      one frame
 *   data &gt;  chunk:  [u32 5+chunk][0x20|lane][u32 data][chunk bytes]               first chunk
 *                   [u32 1+c][0x30|lane][c bytes]   (c = min(chunk, data left))   each next
 * </pre>
 *
 * Stateless.
 */
public final class LaneFrames {
  private LaneFrames() {}

  /** Bytes on the wire of a message of {@code data} bytes cut into chunks of {@code chunk}. */
  public static int wireSize(int data, int chunk) {
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
  public static ByteBuffer layout(int lane, ByteBuffer body, int chunk) {
    return layout(lane, body, chunk, null);
  }

  /**
   * As {@link #layout(int, ByteBuffer, int)}, into {@code into} if it is not null and large
   * enough (the buffer returned then covers the first bytes of it, exactly the wire size).
   */
  public static ByteBuffer layout(int lane, ByteBuffer body, int chunk, byte[] into) {
    int data = body.remaining();
    int size = wireSize(data, chunk);
    byte[] out = into != null && into.length >= size ? into : new byte[size];
    ByteBuffer wire = layoutInto(lane, body, chunk, out);
    return out.length == size ? wire : wire.slice(0, size);
  }

  private static ByteBuffer layoutInto(int lane, ByteBuffer body, int chunk, byte[] out) {
    int data = body.remaining();
    int from = body.position();
    if (data <= chunk) {
      Bytes.putInt(out, 0, Wire.TYPE_SIZE + data);
      out[4] = Wire.messageType(lane);
      body.get(from, out, Wire.HEADER_SIZE, data);
      return ByteBuffer.wrap(out);
    }
    Bytes.putInt(out, 0, Wire.TYPE_SIZE + 4 + chunk);
    out[4] = (byte) (Wire.FIRST_CHUNK | lane);
    Bytes.putInt(out, 5, data);
    body.get(from, out, Wire.FIRST_CHUNK_HEADER, chunk);
    int at = Wire.FIRST_CHUNK_HEADER + chunk;
    for (int done = chunk; done < data; ) {
      int c = Math.min(chunk, data - done);
      Bytes.putInt(out, at, Wire.TYPE_SIZE + c);
      out[at + 4] = (byte) (Wire.NEXT_CHUNK | lane);
      body.get(from + done, out, at + Wire.HEADER_SIZE, c);
      at += Wire.HEADER_SIZE + c;
      done += c;
    }
    return ByteBuffer.wrap(out);
  }

  /**
   * The lane a laid-out message ({@code wire}, from its position) is for: the lane of its first
   * frame's type (MESSAGE is lane 0).
   */
  public static int lane(ByteBuffer wire) {
    byte type = wire.get(wire.position() + Wire.LENGTH_SIZE);
    return type == Wire.MESSAGE ? 0 : type & 0x0F;
  }

  /** Whether a laid-out message is in chunks (its first frame a FIRST_CHUNK). */
  public static boolean chunked(ByteBuffer wire) {
    return (wire.get(wire.position() + Wire.LENGTH_SIZE) & 0xF0) == Wire.FIRST_CHUNK;
  }

  /** The message's data bytes (its body size). */
  public static int dataSize(ByteBuffer wire) {
    int at = wire.position();
    return chunked(wire) ? wire.getInt(at + Wire.HEADER_SIZE)
        : wire.getInt(at) - Wire.TYPE_SIZE;
  }

  /** The data bytes per chunk it was laid out with; its data size if it is one frame. */
  public static int chunkSize(ByteBuffer wire) {
    int at = wire.position();
    return chunked(wire) ? wire.getInt(at) - Wire.TYPE_SIZE - 4 : dataSize(wire);
  }

  /**
   * The message's body, contiguous: a view of {@code wire} if it is one frame, a copy if it is
   * in chunks.
   */
  public static ByteBuffer body(ByteBuffer wire) {
    int at = wire.position();
    if (!chunked(wire)) {
      ByteBuffer b = wire.duplicate();
      b.position(at + Wire.HEADER_SIZE);
      return b.slice();
    }
    int data = dataSize(wire);
    int chunk = chunkSize(wire);
    byte[] out = new byte[data];
    wire.get(at + Wire.FIRST_CHUNK_HEADER, out, 0, chunk);
    int from = at + Wire.FIRST_CHUNK_HEADER + chunk;
    for (int done = chunk; done < data; ) {
      int c = wire.getInt(from) - Wire.TYPE_SIZE;
      wire.get(from + Wire.HEADER_SIZE, out, done, c);
      from += Wire.HEADER_SIZE + c;
      done += c;
    }
    return ByteBuffer.wrap(out);
  }
}
