package io.duplex.benchmarks;

import io.duplex.benchmarks.baseline.DuplexHandshakes;
import io.duplex.benchmarks.baseline.NettyHandshakes;
import io.duplex.security.CipherSuite;
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
 * New secure connections per second over loopback: connect, complete the handshake on both
 * ends (each authenticating the other), close; one connection at a time, the server running
 * across all iterations. Client and server share this JVM and the machine's CPUs, so the score
 * is the cost of both ends of a handshake. A new secure transport is one more {@code transport}
 * value and one more case in {@link #open}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 10, time = 2) // the JDK's handshake code is still speeding up after 10 s
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class TlsHandshakeBenchmark {
  @Param({Baselines.NETTY_TLS, Baselines.DUPLEX_SECURE, Baselines.DUPLEX_CHACHA})
  public String transport;

  private Handshakes handshakes;

  /** The server and client of secure transport {@code transport}. */
  static Handshakes open(String transport) throws Exception {
    return switch (transport) {
      case Baselines.NETTY_TLS -> new NettyHandshakes();
      case Baselines.DUPLEX_SECURE -> new DuplexHandshakes(CipherSuite.AES_256_GCM);
      case Baselines.DUPLEX_CHACHA -> new DuplexHandshakes(CipherSuite.CHACHA20_POLY1305);
      default -> throw new IllegalArgumentException("no secure transport '" + transport
          + "': use " + Baselines.NETTY_TLS + ", " + Baselines.DUPLEX_SECURE + " or "
          + Baselines.DUPLEX_CHACHA);
    };
  }

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    handshakes = open(transport);
  }

  @Benchmark
  public void connectHandshakeClose() throws Exception {
    handshakes.connectAndClose();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    handshakes.close();
  }
}
