package io.duplex.benchmarks;

import io.duplex.codec.FrameDecoder;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * How fast the length-prefix decoder splits a read buffer full of frames, with no socket in the
 * way: the per-frame cost the read loop pays before the codec runs. Run with {@code -prof gc} to
 * see that whole frames cost no allocation.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
@OperationsPerInvocation(FrameDecoderBenchmark.FRAMES)
public class FrameDecoderBenchmark {
  static final int FRAMES = 1024;

  @Param({"64", "4096"})
  public int frameSize;

  private ByteBuffer input;
  private FrameDecoder decoder;

  @Setup
  public void setUp() {
    input = ByteBuffer.allocate(FRAMES * (4 + frameSize));
    for (int i = 0; i < FRAMES; i++) {
      input.putInt(frameSize);
      for (int j = 0; j < frameSize; j++) {
        input.put((byte) j);
      }
    }
    input.flip();
    decoder = new FrameDecoder(16 * 1024 * 1024);
  }

  /** Decodes {@value #FRAMES} frames that lie whole in one buffer. */
  @Benchmark
  public void wholeFrames(Blackhole bh) {
    input.rewind();
    ByteBuffer frame;
    while ((frame = decoder.next(input)) != null) {
      bh.consume(frame.remaining());
    }
  }
}
