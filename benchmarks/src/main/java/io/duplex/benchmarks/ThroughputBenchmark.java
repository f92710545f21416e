package io.duplex.benchmarks;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Workload 3: one-way pipelined frames over 1 or 8 loopback connections, in bursts of {@value
 * #BATCH} frames per flush. The score is frames per second; at most {@value #WINDOW} frames may
 * be sent and not yet received, so the score is what the receiver took, not what piled up.
 * Run with {@code -prof gc} for bytes allocated per frame (sender and receiver are in this JVM).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
@OperationsPerInvocation(ThroughputBenchmark.BATCH)
public class ThroughputBenchmark {
  static final int BATCH = 256;
  static final long WINDOW = 64 * 1024;

  @Param({"duplex", "netty", "locked", "virtual-threads"})
  public String transport;

  @Param({"64", "4096"})
  public int size;

  @Param({"1", "8"})
  public int connections;

  private Streams streams;
  private byte[] payload;
  private long sent;
  private int next;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    payload = new byte[size];
    streams = Baselines.streams(transport, connections);
  }

  @Benchmark
  public void oneWay() {
    streams.sendBatch(next, payload, BATCH);
    next = next + 1 == connections ? 0 : next + 1;
    sent += BATCH;
    long window = Math.max(WINDOW / size * 64, 4 * BATCH);
    while (sent - streams.received() > window) {
      LockSupport.parkNanos(20_000);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    streams.close();
  }
}
