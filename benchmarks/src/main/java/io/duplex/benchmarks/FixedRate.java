package io.duplex.benchmarks;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * A sender at a fixed rate that is charged for falling behind: message {@code i} is due at
 * {@code start + i * interval}, its latency counts from that intended time (no coordinated
 * omission), and a sender that falls twice the run's length behind stops, its unsent messages
 * charged as delivered at that moment (a lower bound) rather than left out.
 */
final class FixedRate {
  /** Sends one message whose intended send time is {@code intendedNanos}. */
  interface Send {
    void at(long intendedNanos) throws Exception;
  }

  final long start = System.nanoTime();
  final long interval;
  final long count;
  private long sent;

  FixedRate(int perSecond, int seconds) {
    this.interval = TimeUnit.SECONDS.toNanos(1) / perSecond;
    this.count = (long) seconds * perSecond;
  }

  /** Sends every message at its time, or stops once it is a whole run late; returns the count. */
  long run(Send send) throws Exception {
    long giveUp = start + 2 * count * interval;
    for (; sent < count && System.nanoTime() < giveUp; sent++) {
      long intended = start + sent * interval;
      long wait;
      while ((wait = intended - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      send.at(intended);
    }
    return sent;
  }

  /**
   * Records each unsent message after {@code warmupEnds} in {@code latency} as delivered now,
   * {@code receivers} times (once per receiver that should have had it).
   */
  void chargeUnsent(Histogram latency, long warmupEnds, int receivers) {
    long now = System.nanoTime();
    for (long unsent = sent; unsent < count; unsent++) {
      long intended = start + unsent * interval;
      if (intended >= warmupEnds) {
        latency.recordValueWithCount(now - intended, receivers);
      }
    }
  }
}
