package io.duplex.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Workload 4: one 64-byte frame there and back on one loopback connection, one at a time. Sample
 * mode, so JMH reports p50, p99 and p99.9. On a 2-CPU machine the result depends on where the
 * threads land: run it pinned too ({@code taskset -c 0 java -jar ...}) and compare like with
 * like.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class RoundTripBenchmark {
  @Param({"duplex", "netty", "locked", "virtual-threads"})
  public String transport;

  @Param({"64"})
  public int size;

  private Echo echo;
  private byte[] payload;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    payload = new byte[size];
    echo = Baselines.echo(transport);
  }

  @Benchmark
  public void pingPong() throws Exception {
    echo.roundTrip(payload);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    echo.close();
  }
}
