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
 *
 * <p>A PONG answers its own PING and every PING this side sent before it: the peer may answer
 * only the latest of several PINGs it had not answered yet (docs/PROTOCOL.md), and a PONG for a
 * later PING shows it read the earlier ones. Ids come from one counter per connection, so "sent
 * before" is "a smaller id".
 *
 * <p>A ping started while or after the connection closes fails at once: {@link #start} registers
 * the ping, then reads {@code closedBy}; {@link #failAll} writes {@code closedBy}, then fails
 * what is registered. Whichever order they meet in, the ping is failed exactly once.
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
  // Why the connection closed, once it did: set by failAll (the closer), read by start.
  private volatile Throwable closedBy;

  Pings(ConnectionMetrics metrics) {
    this.metrics = metrics;
  }

  /**
   * Registers a ping completed through {@code future}; returns the id to send, or 0 if the
   * connection has closed (the future is failed then). Any thread.
   */
  long start(boolean liveness, CompletableFuture<Duration> future) {
    long id = ids.incrementAndGet();
    pending.put(id, new Pending(future));
    if (liveness) {
      livenessId = id;
    }
    Throwable closed = closedBy;
    if (closed != null) {
      forget(id, closed);
      return 0;
    }
    return id;
  }

  /** Fails the ping {@code id} with {@code cause}, if it still waits: it could not be sent. */
  void forget(long id, Throwable cause) {
    Pending p = pending.remove(id);
    if (id == livenessId) {
      livenessId = 0;
    }
    if (p != null) {
      p.future.completeExceptionally(cause);
    }
  }

  /** Whether a liveness ping waits for its pong. */
  boolean livenessOutstanding() {
    return livenessId != 0;
  }

  /**
   * The pong for {@code id} arrived: completes that ping and every earlier one with its round
   * trip, recording the latest in the metrics first (so whoever waits on it sees the metric). An
   * id nobody waits for is ignored. Read loop.
   */
  void answer(long id) {
    long now = System.nanoTime();
    Pending p = pending.remove(id);
    if (p != null) {
      metrics.lastPingRttNanos = now - p.sentNanos;
    }
    for (Map.Entry<Long, Pending> e : pending.entrySet()) {
      if (e.getKey() < id && pending.remove(e.getKey(), e.getValue())) {
        complete(e.getKey(), e.getValue(), now);
      }
    }
    if (p != null) {
      complete(id, p, now);
    }
  }

  private void complete(long id, Pending p, long now) {
    if (id == livenessId) {
      livenessId = 0;
    }
    p.future.complete(Duration.ofNanos(now - p.sentNanos));
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

  /** Fails every waiting ping, and every later one, with {@code reason}. The closer, once. */
  void failAll(Throwable reason) {
    closedBy = reason;
    for (Long id : pending.keySet()) {
      Pending p = pending.remove(id);
      if (p != null) {
        p.future.completeExceptionally(reason);
      }
    }
  }
}
