package io.duplex.peer;

import io.duplex.Connection;
import io.duplex.NodeId;
import io.duplex.Transport;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The node's outbound side: its {@link Target}s (the peer addresses it keeps dialed, one each),
 * the outbound slots they share ({@link PeerNode.Builder#maxOutbound}), and the redial backoff.
 * Each target holds at most one slot, and gives it back itself: {@link Target} says when.
 *
 * <p>Threads: {@link #add} and {@link #remove} run on application threads; {@link #kick} on the
 * event thread of any closed connection; the dials themselves on the node thread ({@code
 * duplex-node-N}), scheduled through {@link #schedule}. {@code targets} is a {@code
 * ConcurrentHashMap}: a target is put by {@code add} and removed by {@code remove} or by the
 * target itself when it gives up (each with {@code remove(k, v)} or {@code remove(k)}, once).
 * {@code outbound} (slots taken) is an {@code AtomicInteger} moved up by compare-and-set, never
 * past {@code maxOutbound}. {@code closed} is volatile, written once by {@link #close}.
 *
 * @param <T> the message type
 */
final class Dialer<T> {
  private final Transport<T> transport;
  private final ScheduledExecutorService nodeThread;
  private final Group<T> group;
  private final Failures<T> failures;
  private final int maxOutbound;
  private final long reconnectMinNanos;
  private final long reconnectMaxNanos;
  private final ConcurrentHashMap<InetSocketAddress, Target<T>> targets =
      new ConcurrentHashMap<>();
  private final AtomicInteger outbound = new AtomicInteger();
  private volatile boolean closed;

  Dialer(Transport<T> transport, ScheduledExecutorService nodeThread, Group<T> group,
      Failures<T> failures, int maxOutbound, long reconnectMinNanos, long reconnectMaxNanos) {
    this.transport = transport;
    this.nodeThread = nodeThread;
    this.group = group;
    this.failures = failures;
    this.maxOutbound = maxOutbound;
    this.reconnectMinNanos = reconnectMinNanos;
    this.reconnectMaxNanos = reconnectMaxNanos;
  }

  /**
   * Keeps {@code peer}'s address dialed, starting now, refusing any node but its node id if it
   * names one. Application thread.
   */
  void add(PeerAddress peer) {
    targets.computeIfAbsent(peer.address(), a -> new Target<>(a, peer.nodeId(), this)).start(0);
  }

  /**
   * Stops keeping {@code address} dialed: its target ends, giving back its slot if it holds one
   * and closing the connection its dial made or will make. Application thread.
   */
  void remove(InetSocketAddress address) {
    Target<T> t = targets.remove(address);
    if (t != null) {
      t.remove();
    }
  }

  /**
   * A connection closed: a peer that stood in for a target's dial may have gone, so every
   * target that is not dialing, waiting or connected dials again after the shortest delay.
   */
  void kick() {
    for (Target<T> t : targets.values()) {
      t.start(reconnectMinNanos);
    }
  }

  /** Stops every dial not started yet; the node thread is shut down by the node. */
  void close() {
    closed = true;
  }

  // ---- for targets ------------------------------------------------------------------------

  boolean isClosed() {
    return closed;
  }

  /** Runs {@code dial} on the node thread after {@code delayNanos}; null if the node closed. */
  ScheduledFuture<?> schedule(Runnable dial, long delayNanos) {
    if (closed) {
      return null;
    }
    try {
      return nodeThread.schedule(dial, delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      return null; // the node closed meanwhile
    }
  }

  /** Takes an outbound slot, or returns false if {@code maxOutbound} are taken. */
  boolean takeSlot() {
    int n;
    do {
      n = outbound.get();
      if (n >= maxOutbound) {
        return false;
      }
    } while (!outbound.compareAndSet(n, n + 1));
    return true;
  }

  /** Gives back an outbound slot. Called by a target, once per slot it took. */
  void giveBackSlot() {
    outbound.decrementAndGet();
  }

  /** Outbound slots taken now. */
  int slotsTaken() {
    return outbound.get();
  }

  /** Whether an open peer at {@code address} makes a dial to it needless. */
  boolean standsIn(InetSocketAddress address) {
    return group.hasPeerListeningAt(address);
  }

  CompletableFuture<Connection<T>> connect(InetSocketAddress address, NodeId expected) {
    try {
      return expected == null ? transport.connect(address) : transport.connect(address, expected);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  Failures<T> failures() {
    return failures;
  }

  /** A target gave up: it leaves the set, unless a new target took its address already. */
  void forget(Target<T> t) {
    targets.remove(t.address, t);
  }

  long reconnectMinNanos() {
    return reconnectMinNanos;
  }

  long reconnectMaxNanos() {
    return reconnectMaxNanos;
  }

  /** Exponential backoff with 20% jitter either way: min * 2^(attempt-1), capped at max. */
  long delay(int attempt) {
    if (attempt <= 0) {
      return reconnectMinNanos;
    }
    long base = reconnectMinNanos << Math.min(attempt - 1, 30);
    if (base <= 0 || base > reconnectMaxNanos) {
      base = reconnectMaxNanos;
    }
    double jitter = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
    return (long) (base * jitter);
  }
}
