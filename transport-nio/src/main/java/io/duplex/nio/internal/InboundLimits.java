package io.duplex.nio.internal;

import io.duplex.TransportConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The slots of {@link TransportConfig#maxInboundConnections()} and {@link
 * TransportConfig#maxInboundConnectionsPerAddress()}: one per accepted connection, taken on
 * accept and given back once when the connection closes, by whatever path.
 *
 * <h2>Threads</h2>
 * {@link #tryAcquire} runs on read loop 0 (the acceptor); {@link #release} on the thread that
 * runs the connection's {@code finish} (any thread), or on read loop 0 if the accept fails after
 * the slot was taken; {@link #refused} on read loop 0; {@link #flushLog} on the timer. So every
 * field is an atomic or a concurrent map: {@code total} is an {@code AtomicInteger} moved by
 * compare-and-set, {@code perAddress} is changed only inside {@code compute}, which is atomic
 * per key, and an entry is removed when its count reaches zero, so the map holds only addresses
 * with a live connection. The log state ({@code nextLogNanos}, {@code unlogged}, {@code
 * lastRefusal}) is atomic too, since the timer flushes what read loop 0 counted.
 *
 * <h2>Logging</h2>
 * The first refusal is logged at once (WARN). Later refusals within a second are only counted;
 * the next refusal after that second, or the timer's next sweep after it, logs one summary line
 * with the count and the latest refusal. So a flood of thousands of connections writes a line a second,
 * and the lines account for every refusal.
 */
final class InboundLimits {
  private static final Logger log = LoggerFactory.getLogger(InboundLimits.class);
  private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final int maxTotal;
  private final int maxPerAddress;
  private final AtomicInteger total = new AtomicInteger();
  private final ConcurrentHashMap<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();
  private final LongAdder refusals = new LongAdder();
  private final AtomicLong nextLogNanos = new AtomicLong(System.nanoTime());
  private final AtomicInteger unlogged = new AtomicInteger();
  private volatile String lastRefusal;

  InboundLimits(TransportConfig config) {
    this.maxTotal = config.maxInboundConnections();
    this.maxPerAddress = config.maxInboundConnectionsPerAddress();
  }

  /**
   * Takes a slot for a connection from {@code remote}; returns null if it got one, otherwise
   * the reason for the refusal, naming the limit and the setting to raise (the caller resets
   * the socket and calls {@link #refused}).
   */
  String tryAcquire(InetSocketAddress remote) {
    int n;
    do {
      n = total.get();
      if (n >= maxTotal) {
        return n + " inbound connections are open, the limit maxInboundConnections (" + maxTotal
            + "); raise TransportConfig.maxInboundConnections if these peers are honest";
      }
    } while (!total.compareAndSet(n, n + 1));
    boolean[] taken = {false};
    Integer count = perAddress.compute(remote.getAddress(), (a, c) -> {
      int v = c == null ? 0 : c;
      if (v >= maxPerAddress) {
        return c;
      }
      taken[0] = true;
      return v + 1;
    });
    if (!taken[0]) {
      total.decrementAndGet();
      return count + " inbound connections from " + remote.getAddress().getHostAddress()
          + " are open, the limit maxInboundConnectionsPerAddress (" + maxPerAddress + "); raise"
          + " TransportConfig.maxInboundConnectionsPerAddress if these peers are honest";
    }
    return null;
  }

  /** Gives back the slot of a connection from {@code remote}. Call once per acquired slot. */
  void release(InetSocketAddress remote) {
    perAddress.computeIfPresent(remote.getAddress(), (a, c) -> c <= 1 ? null : c - 1);
    total.decrementAndGet();
  }

  /** Counts and logs (rate-limited) a connection refused for {@code reason}. Read loop 0. */
  void refused(InetSocketAddress remote, String reason) {
    refusals.increment();
    lastRefusal = "refused inbound connection from " + remote + ": " + reason;
    unlogged.incrementAndGet();
    flushLog(System.nanoTime());
  }

  /** Logs the refusals not logged yet, unless a line went out less than a second ago. */
  void flushLog(long now) {
    if (unlogged.get() == 0) {
      return;
    }
    long next = nextLogNanos.get();
    if (now - next < 0 || !nextLogNanos.compareAndSet(next, now + LOG_INTERVAL_NANOS)) {
      return;
    }
    int count = unlogged.getAndSet(0);
    if (count == 1) {
      log.warn("{}", lastRefusal);
    } else if (count > 1) {
      log.warn("{} inbound connections refused by the connection limits since the previous"
          + " line; latest: {}", count, lastRefusal);
    }
  }

  /** Accepted connections alive now. */
  int inbound() {
    return total.get();
  }

  /** Connections refused so far. */
  long refusals() {
    return refusals.sum();
  }
}
