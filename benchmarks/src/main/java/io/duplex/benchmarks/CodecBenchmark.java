package io.duplex.benchmarks;

import io.duplex.codec.Codec;
import io.duplex.codec.Codecs;
import io.duplex.codec.binary.ConsensusBinaryCodec;
import io.duplex.codec.json.JsonCodec;
import io.duplex.codec.message.ConsensusMessage;
import io.duplex.codec.message.Proposal;
import io.duplex.codec.message.Vote;
import io.duplex.codec.message.VoteType;
import io.duplex.internal.FrameBuffer;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Workload 5: encoding into a reused frame buffer (as a sender does) and decoding from a buffer
 * (as the read loop does), for a vote and a 256 KiB proposal, with the JSON codec and the
 * hand-written binary codec. Average time per operation; {@code -prof gc} gives the bytes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class CodecBenchmark {
  @Param({"json", "binary"})
  public String codec;

  @Param({"vote", "proposal"})
  public String message;

  private Codec<ConsensusMessage> c;
  private ConsensusMessage m;
  private FrameBuffer sink;
  private ByteBuffer encoded;

  @Setup
  public void setUp() {
    c = codec.equals("json") ? JsonCodec.consensus() : ConsensusBinaryCodec.instance();
    byte[] block = new byte[256 * 1024];
    new Random(7).nextBytes(block);
    m = message.equals("vote")
        ? new Vote(1_000_000, 2, VoteType.PRECOMMIT, "ab".repeat(32), "validator-17", 123456789L)
        : new Proposal(1_000_000, 2, "validator-17", "cd".repeat(32), block);
    sink = FrameBuffer.forFrames(1024, 16 << 20);
    encoded = ByteBuffer.wrap(Codecs.encode(c, m));
  }

  @Benchmark
  public ByteBuffer encode() {
    sink.reset();
    c.encode(m, sink);
    return sink.finishFrame((byte) 0);
  }

  @Benchmark
  public ConsensusMessage decode() {
    return c.decode(encoded.duplicate());
  }
}
