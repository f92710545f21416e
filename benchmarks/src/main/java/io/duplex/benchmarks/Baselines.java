package io.duplex.benchmarks;

import java.util.ArrayList;
import java.util.List;

/**
 * The baselines every workload runs, by the names the benchmarks' {@code transport} parameter
 * and the scenarios' first argument take. {@value #VIRTUAL_THREADS} exists only when the
 * benchmarks were built and run on JDK 21 or newer (the {@code jdk21} Maven profile compiles it).
 */
public final class Baselines {
  public static final String LOCKED = "locked";
  public static final String VIRTUAL_THREADS = "virtual-threads";
  public static final String NETTY = "netty";
  public static final String DUPLEX = "duplex";

  /** Where the virtual-thread baseline lives; compiled only on JDK 21+ (src/main/java21). */
  static final String VIRTUAL_THREADS_CLASS = "io.duplex.benchmarks.vthreads.VirtualThreads";

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
    names.add(DUPLEX);
    return names;
  }
}
