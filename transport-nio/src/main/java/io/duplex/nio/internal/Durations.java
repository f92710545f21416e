package io.duplex.nio.internal;

import java.time.Duration;

/** Durations as nanoseconds for deadline arithmetic on {@link System#nanoTime()}. */
final class Durations {
  private Durations() {}

  /** {@code d} in nanoseconds, saturated at {@link Long#MAX_VALUE} for the very long. */
  static long nanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }
}
