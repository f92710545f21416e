package io.duplex.benchmarks;

import io.duplex.benchmarks.baseline.DuplexEcho;
import io.duplex.benchmarks.baseline.DuplexStreams;
import io.duplex.benchmarks.baseline.LockedEcho;
import io.duplex.benchmarks.baseline.LockedStreams;
import io.duplex.benchmarks.baseline.NettyEcho;
import io.duplex.benchmarks.baseline.NettyStreams;
import io.duplex.benchmarks.baseline.NettyTls;
import io.duplex.security.CipherSuite;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

/**
 * The baselines every workload runs, by the names the benchmarks' {@code transport} parameter
 * and the scenarios' first argument take. {@value #VIRTUAL_THREADS} exists only when the
 * benchmarks were built and run on JDK 21 or newer (the {@code jdk21} Maven profile compiles it).
 * {@value #NETTY_TLS} is {@value #NETTY} with TLS 1.3 ({@link NettyTls}): the baseline for a
 * secure duplex, not one the plaintext report compares with.
 */
public final class Baselines {
  public static final String LOCKED = "locked";
  public static final String VIRTUAL_THREADS = "virtual-threads";
  public static final String NETTY = "netty";
  public static final String NETTY_TLS = "netty-tls";
  /**
   * Plaintext duplex. Its stream client sends with {@code post} (fire and forget, no future per
   * message) and its stream server receives on the lent path (a {@link io.duplex.PayloadHandler},
   * no message decoded); its echo server decodes, as it must send a message back.
   */
  public static final String DUPLEX = "duplex";
  /**
   * Plaintext duplex as before the zero-garbage path: its stream client sends with {@code
   * sendLater} (a future per message) and its server decodes every message into a {@code byte[]}
   * ({@code ByteArrayCodec}, a handler on the read loop). Throughput benchmark only.
   */
  public static final String DUPLEX_BYTES = "duplex-bytes";
  /**
   * Plaintext duplex with lanes configured (workload 6's consensus and blocks lanes), every
   * message on the default lane: lanes on, one lane used. Receives as {@value #DUPLEX_BYTES}
   * does, which is what to compare it with. Throughput benchmark only.
   */
  public static final String DUPLEX_LANES = "duplex-lanes";
  /** As {@value #DUPLEX_LANES}, every message on the configured blocks lane. */
  public static final String DUPLEX_LANES_BLOCKS = "duplex-lanes-blocks";
  /**
   * Plaintext duplex in the low-latency mode: every loop of both sides busy-polls for {@value
   * #BUSY_POLL_MICROS} µs after its last work ({@code NioTransport.Builder.busyPoll}). Round
   * trip benchmark only.
   */
  public static final String DUPLEX_SPIN = "duplex-spin";
  static final long BUSY_POLL_MICROS = 200;
  /** duplex over its secure channel with the default suite, AES-256-GCM. */
  public static final String DUPLEX_SECURE = "duplex-secure";
  /** duplex over its secure channel with ChaCha20-Poly1305. */
  public static final String DUPLEX_CHACHA = "duplex-chacha";

  /** Where the virtual-thread baseline lives; compiled only on JDK 21+ (src/main/java21). */
  static final String VIRTUAL_THREADS_CLASS = "io.duplex.benchmarks.VirtualThreads";

  private Baselines() {}

  /** True when this JVM is 21+ and the jar holds the virtual-thread baseline. */
  public static boolean virtualThreadsAvailable() {
    if (Runtime.version().feature() < 21) {
      return false;
    }
    try {
      Class.forName(VIRTUAL_THREADS_CLASS);
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /** The baselines this JVM can run, in the report's column order. */
  public static List<String> available() {
    List<String> names = new ArrayList<>(List.of(LOCKED));
    if (virtualThreadsAvailable()) {
      names.add(VIRTUAL_THREADS);
    }
    names.add(NETTY);
    names.add(NETTY_TLS);
    names.add(DUPLEX);
    names.add(DUPLEX_SECURE);
    names.add(DUPLEX_CHACHA);
    return names;
  }

  /** The throughput benchmark's streams of baseline {@code name} over {@code connections}. */
  public static Streams streams(String name, int connections) throws Exception {
    return switch (name) {
      case LOCKED -> new LockedStreams(connections);
      case VIRTUAL_THREADS -> virtualThreads("streams", connections);
      case NETTY -> new NettyStreams(connections);
      case NETTY_TLS -> new NettyStreams(connections, new NettyTls());
      case DUPLEX -> new DuplexStreams(connections, DuplexStreams.LanesUse.NONE, true);
      case DUPLEX_BYTES -> new DuplexStreams(connections);
      case DUPLEX_LANES -> new DuplexStreams(connections, DuplexStreams.LanesUse.DEFAULT_LANE);
      case DUPLEX_LANES_BLOCKS -> new DuplexStreams(connections,
          DuplexStreams.LanesUse.CONFIGURED_LANE);
      case DUPLEX_SECURE -> new DuplexStreams(connections, CipherSuite.AES_256_GCM);
      case DUPLEX_CHACHA -> new DuplexStreams(connections, CipherSuite.CHACHA20_POLY1305);
      default -> throw unknown(name);
    };
  }

  /** The round-trip benchmark's echo client of baseline {@code name}. */
  public static Echo echo(String name) throws Exception {
    return switch (name) {
      case LOCKED -> new LockedEcho();
      case VIRTUAL_THREADS -> virtualThreads("echo");
      case NETTY -> new NettyEcho();
      case NETTY_TLS -> new NettyEcho(new NettyTls());
      case DUPLEX -> new DuplexEcho();
      case DUPLEX_SPIN -> new DuplexEcho(null,
          java.time.Duration.ofNanos(BUSY_POLL_MICROS * 1000));
      case DUPLEX_SECURE -> new DuplexEcho(CipherSuite.AES_256_GCM);
      case DUPLEX_CHACHA -> new DuplexEcho(CipherSuite.CHACHA20_POLY1305);
      default -> throw unknown(name);
    };
  }

  static IllegalArgumentException unknown(String name) {
    return new IllegalArgumentException("unknown baseline '" + name + "': use one of "
        + List.of(LOCKED, VIRTUAL_THREADS, NETTY, NETTY_TLS, DUPLEX, DUPLEX_BYTES, DUPLEX_SPIN,
            DUPLEX_SECURE,
            DUPLEX_CHACHA, DUPLEX_LANES, DUPLEX_LANES_BLOCKS));
  }

  /**
   * Calls the static factory {@code method} of the virtual-thread baseline (the only one of that
   * name there), which this class cannot name at compile time on JDK 17.
   */
  @SuppressWarnings("unchecked")
  static <T> T virtualThreads(String method, Object... args) throws Exception {
    if (!virtualThreadsAvailable()) {
      throw new UnsupportedOperationException("the virtual-threads baseline needs JDK 21 or newer,"
          + " and a benchmarks jar built on JDK 21+ (this JVM is " + Runtime.version()
          + "); leave it out with -p transport=" + LOCKED + "," + NETTY + "," + DUPLEX);
    }
    for (Method m : Class.forName(VIRTUAL_THREADS_CLASS).getDeclaredMethods()) {
      if (m.getName().equals(method)) {
        try {
          return (T) m.invoke(null, args);
        } catch (InvocationTargetException e) {
          throw e.getCause() instanceof Exception cause ? cause : e;
        }
      }
    }
    throw new IllegalStateException(VIRTUAL_THREADS_CLASS + " has no factory " + method);
  }
}
