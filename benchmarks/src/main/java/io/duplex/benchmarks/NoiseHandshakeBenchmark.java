package io.duplex.benchmarks;

import io.duplex.PeerInfo;
import io.duplex.internal.SecureHandshake;
import io.duplex.security.CipherSuite;
import io.duplex.security.Identity;
import java.nio.ByteBuffer;
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
 * The CPU of duplex's secure handshake without sockets: both sides of a whole handshake
 * (prefaces, the three Noise XX messages with fresh ephemeral keys, the identity signatures
 * checked, Split) on one thread. Half the time per operation is one side's share.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class NoiseHandshakeBenchmark {
  @Param({"AES_256_GCM", "CHACHA20_POLY1305"})
  public CipherSuite suite;

  private SecureHandshake.StaticKey initiatorKey;
  private SecureHandshake.StaticKey responderKey;
  private final PeerInfo info = new PeerInfo(Identity.generate().nodeId(), "duplex", 9000,
      "bytes", 16 << 20);

  @Setup
  public void setUp() {
    initiatorKey = SecureHandshake.StaticKey.generate(Identity.generate());
    responderKey = SecureHandshake.StaticKey.generate(Identity.generate());
  }

  @Benchmark
  public Object bothSides() {
    SecureHandshake i = new SecureHandshake(true, suite, info, initiatorKey, null, null, 4096,
        null);
    SecureHandshake r = new SecureHandshake(false, suite, info, responderKey, null, null, 4096,
        null);
    ByteBuffer toResponder = i.start();
    ByteBuffer toInitiator = r.start();
    ByteBuffer m2 = r.read(toResponder); // preface, then message 1: answers message 2
    i.read(toInitiator);
    ByteBuffer m3 = i.read(m2);
    r.read(m3);
    if (!i.isComplete() || !r.isComplete()) {
      throw new IllegalStateException("the handshake did not complete");
    }
    return r.split();
  }
}
