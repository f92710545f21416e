package io.duplex.nio.internal;

import io.duplex.PongTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pings of one connection that wait for their pong: the application's ({@code ping()}) and
 * the liveness check's. Started by any thread, answered by the read loop, expired by the timer,
 * failed by the close: a concurrent map and atomics, no lock.
 */
final class Pings {
  private static final class Pending {
    final long sentNanos = System.nanoTime();
    final CompletableFuture<Duration> future;

    Pending(CompletableFuture<Duration> future) {
      this.future = future;
    }
  }

  private final ConnectionMetrics metrics;
  private final ConcurrentHashMap<Long, Pending> pending = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  // The id of the liveness ping waiting for its pong, or 0. Timer and read loop.
  private volatile long livenessId;

  Pings(ConnectionMetrics metrics) {
    this.metrics = metrics;
  }

  /** Registers a ping completed through {@code future}; returns the id to send. Any thread. */
  long start(boolean liveness, CompletableFuture<Duration> future) {
    long id = ids.incrementAndGet();
    pending.put(id, new Pending(future));
    if (liveness) {
      livenessId = id;
    }
    return id;
  }

  /** Whether a liveness ping waits for its pong. */
  boolean livenessOutstanding() {
    return livenessId != 0;
  }

  /**
   * The pong for {@code id} arrived: records the round-trip time in the metrics, then completes
   * the ping with it (in that order, so whoever waits on the ping sees the metric). An id nobody
   * waits for is ignored. Read loop.
   */
  void answer(long id) {
    Pending p = pending.remove(id);
    if (p == null) {
      return;
    }
    if (id == livenessId) {
      livenessId = 0;
    }
    long rtt = System.nanoTime() - p.sentNanos;
    metrics.lastPingRttNanos = rtt;
    p.future.complete(Duration.ofNanos(rtt));
  }

  /**
   * Fails the pings sent more than {@code timeout} before {@code now} with a {@link
   * PongTimeoutException}. Returns that exception if the liveness ping was among them, else null.
   * Timer thread.
   */
  PongTimeoutException expire(long now, Duration timeout) {
    long limit = Durations.nanos(timeout);
    PongTimeoutException liveness = null;
    for (Map.Entry<Long, Pending> e : pending.entrySet()) {
      Pending p = e.getValue();
      if (now - p.sentNanos > limit && pending.remove(e.getKey(), p)) {
        PongTimeoutException late = new PongTimeoutException("no pong within " + timeout
            + "; the peer is unresponsive");
        p.future.completeExceptionally(late);
        if (e.getKey() == livenessId) {
          livenessId = 0;
          liveness = late;
        }
      }
    }
    return liveness;
  }

  /** Fails every waiting ping with {@code reason}. Any thread, at close. */
  void failAll(Throwable reason) {
    for (Long id : pending.keySet()) {
      Pending p = pending.remove(id);
      if (p != null) {
        p.future.completeExceptionally(reason);
      }
    }
  }
}
