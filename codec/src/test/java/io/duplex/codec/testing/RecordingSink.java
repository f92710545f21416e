package io.duplex.codec.testing;

import io.duplex.codec.EncoderException;
import io.duplex.codec.PayloadSink;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/** A {@link PayloadSink} that keeps what is written, up to a limit, like a transport's sink. */
public final class RecordingSink extends PayloadSink {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final int limit;

  /** A sink that throws {@link EncoderException} once a write would pass {@code limit}. */
  public RecordingSink(int limit) {
    this.limit = limit;
  }

  @Override
  public void write(int b) {
    ensure(1);
    bytes.write(b);
  }

  @Override
  public void write(byte[] b, int off, int len) {
    ensure(len);
    bytes.write(b, off, len);
  }

  @Override
  public void write(ByteBuffer src) {
    byte[] b = new byte[src.remaining()];
    src.get(b);
    write(b, 0, b.length);
  }

  @Override
  public int size() {
    return bytes.size();
  }

  /** What was written so far. */
  public byte[] toByteArray() {
    return bytes.toByteArray();
  }

  private void ensure(int more) {
    if ((long) bytes.size() + more > limit) {
      throw new EncoderException("recording sink limit " + limit + " passed");
    }
  }
}
