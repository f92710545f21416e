package io.duplex.codec;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Where a {@link Codec} writes one message's payload. The transport provides the sink, reuses it,
 * puts the frame header in front of what the codec wrote, and enforces the frame size limit as
 * bytes arrive: a write that would pass the limit throws {@link EncoderException}.
 *
 * <p>It is an {@link OutputStream}, so stream-based encoders (Jackson's generators, {@code
 * DataOutputStream}) write into it directly; the primitive writes are big-endian. None of its
 * methods throw {@link java.io.IOException}.
 *
 * <p>A sink is confined to one thread for the duration of one {@code encode} call. Codec authors
 * use it; only transports and test kits implement it.
 */
public abstract class PayloadSink extends OutputStream {

  /** For transports and test kits that implement a sink. */
  protected PayloadSink() {}

  /** Writes the low 8 bits of {@code b}. */
  @Override
  public abstract void write(int b);

  /** Writes {@code len} bytes of {@code b} from {@code off}. */
  @Override
  public abstract void write(byte[] b, int off, int len);

  /** Writes all of {@code b}. */
  @Override
  public void write(byte[] b) {
    write(b, 0, b.length);
  }

  /** Writes the remaining bytes of {@code src}, advancing its position to its limit. */
  public abstract void write(ByteBuffer src);

  /** Writes the low 16 bits of {@code v}, big-endian. */
  public void writeShort(int v) {
    write(v >>> 8);
    write(v);
  }

  /** Writes {@code v} as 4 bytes, big-endian. */
  public void writeInt(int v) {
    write(v >>> 24);
    write(v >>> 16);
    write(v >>> 8);
    write(v);
  }

  /** Writes {@code v} as 8 bytes, big-endian. */
  public void writeLong(long v) {
    writeInt((int) (v >>> 32));
    writeInt((int) v);
  }

  /** Writes {@code s} as UTF-8 (no length prefix; write one first if the reader needs it). */
  public void writeUtf8(String s) {
    write(s.getBytes(StandardCharsets.UTF_8));
  }

  /** The number of payload bytes written so far in this message. */
  public abstract int size();

  /** Does nothing: the transport decides when bytes reach the socket. */
  @Override
  public void flush() {}

  /** Does nothing: the transport owns the sink. */
  @Override
  public void close() {}
}
