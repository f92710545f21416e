package io.duplex.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.duplex.Connection;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * An honest peer's round trips, timed, on a thread of their own, while a test attacks the
 * server: one echo every 10 ms over {@code connection} (the server must echo). Any failed or
 * wrong round trip fails the test at {@link #close()}; latencies are for the report only.
 */
final class EchoProbe implements AutoCloseable {
  private static final long PACE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private final Connection<byte[]> connection;
  private final Thread thread;
  private final AtomicInteger roundTrips = new AtomicInteger();
  private final long[] latencies = new long[100_000];
  private volatile boolean stop;
  // Round-trip indices of the baseline and the attack; the test's thread only.
  private int baselineFrom = -1;
  private int attackFrom = -1;
  private int attackTo = -1;
  private volatile Throwable failure;

  EchoProbe(Connection<byte[]> connection) {
    this.connection = connection;
    this.thread = new Thread(this::run, "echo-probe");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    try {
      for (int i = 0; i < latencies.length && !stop; i++) {
        long start = System.nanoTime();
        connection.send(ByteBuffer.allocate(64).putInt(i).array());
        byte[] echo = connection.receive(Duration.ofSeconds(20));
        latencies[i] = System.nanoTime() - start;
        assertEquals(i, ByteBuffer.wrap(echo).getInt(), "echo " + i);
        roundTrips.incrementAndGet();
        LockSupport.parkNanos(start + PACE_NANOS - System.nanoTime()); // the probe's pace
      }
    } catch (Throwable t) {
      failure = t;
    }
  }

  /** Waits until {@code n} round trips have completed in all (30 s at most). */
  void awaitRoundTrips(int n) {
    Peers.await(n + " honest round trips (" + roundTrips.get() + " so far, failure " + failure
        + ")", 30, () -> roundTrips.get() >= n || failure != null);
    check();
  }

  /**
   * Times {@code n} round trips before the attack, after a warm-up of 5, as the baseline that
   * {@link #summary()} compares the attack with; the attack starts when this returns.
   */
  void baseline(int n) {
    awaitRoundTrips(5);
    baselineFrom = roundTrips();
    awaitRoundTrips(baselineFrom + n);
    attackFrom = roundTrips();
  }

  /** Marks the end of the attack for {@link #summary()}. */
  void attackOver() {
    attackTo = roundTrips();
  }

  int roundTrips() {
    return roundTrips.get();
  }

  private void check() {
    if (failure != null) {
      throw new AssertionError("an honest round trip failed after " + roundTrips.get(), failure);
    }
  }

  /**
   * For the report: "n round trips: p50/p99/max ms" over every round trip so far or, after
   * {@link #baseline}, over the baseline and over the attack.
   */
  String summary() {
    if (baselineFrom < 0) {
      return summary(0, roundTrips.get());
    }
    return "without the attack " + summary(baselineFrom, attackFrom) + "; during it "
        + summary(attackFrom, attackTo < 0 ? roundTrips.get() : attackTo);
  }

  /**
   * "n round trips: p50/p99/max ms" over round trips {@code from} (inclusive) to {@code to}
   * (exclusive).
   */
  private String summary(int from, int to) {
    int n = to - from;
    if (n <= 0) {
      return "no round trips";
    }
    long[] sorted = Arrays.copyOfRange(latencies, from, to);
    Arrays.sort(sorted);
    return String.format("%d honest round trips: p50 %.2f ms, p99 %.2f ms, max %.2f ms", n,
        sorted[n / 2] / 1e6, sorted[Math.min(n - 1, (int) (n * 0.99))] / 1e6,
        sorted[n - 1] / 1e6);
  }

  /** Stops the probe and fails if any round trip failed. */
  @Override
  public void close() {
    stop = true;
    try {
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    check();
  }
}
