package io.duplex.nio.internal;

import io.duplex.TransportConfig;
import io.duplex.internal.RefusalLog;
import io.duplex.internal.Slots;
import java.net.InetSocketAddress;
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
 * the slot was taken; {@link #refused} on read loop 0; {@link #flushLog} on the timer; {@link
 * #flushLogAll} on the thread that closes the transport. So nothing here takes a lock: the slots
 * are a {@link Slots} (core's lock-free counter of slots in all and per address, the same that a
 * {@code PeerNode} counts its inbound peers with), the refusal count a {@code LongAdder}, and the
 * log ({@link RefusalLog}) is lock-free too, since the timer flushes what read loop 0 counted.
 *
 * <h2>Logging</h2>
 * The first refusal is logged at once (WARN), naming the address, the limit and the setting to
 * raise; later ones within a second are counted and summed up in one line, by the next refusal
 * or by the timer's next sweep after that second. So a flood writes about a line a second, and
 * the lines account for every refusal.
 */
final class InboundLimits {
  private static final Logger LOG = LoggerFactory.getLogger(InboundLimits.class);

  private final Slots slots;
  private final LongAdder refusals = new LongAdder();
  private final RefusalLog log =
      new RefusalLog(LOG, "inbound connections refused by the connection limits");

  InboundLimits(TransportConfig config) {
    this.slots = new Slots(config.maxInboundConnections(),
        config.maxInboundConnectionsPerAddress());
  }

  /**
   * Takes a slot for a connection from {@code remote}; returns null if it got one, otherwise
   * the reason for the refusal, naming the limit and the setting to raise (the caller resets
   * the socket and calls {@link #refused}).
   */
  String tryAcquire(InetSocketAddress remote) {
    Slots.Refusal refusal = slots.tryAcquire(remote.getAddress());
    if (refusal == Slots.Refusal.TOTAL) {
      return slots.maxTotal() + " inbound connections are open, the limit maxInboundConnections ("
          + slots.maxTotal() + "); raise TransportConfig.maxInboundConnections if these peers"
          + " are honest";
    }
    if (refusal == Slots.Refusal.PER_ADDRESS) {
      return slots.maxPerAddress() + " inbound connections from "
          + remote.getAddress().getHostAddress() + " are open, the limit"
          + " maxInboundConnectionsPerAddress (" + slots.maxPerAddress() + "); raise"
          + " TransportConfig.maxInboundConnectionsPerAddress if these peers are honest";
    }
    return null;
  }

  /** Gives back the slot of a connection from {@code remote}. Call once per acquired slot. */
  void release(InetSocketAddress remote) {
    slots.release(remote.getAddress());
  }

  /** Counts and logs (rate-limited) a connection refused for {@code reason}. Read loop 0. */
  void refused(InetSocketAddress remote, String reason) {
    refusals.increment();
    log.refused("refused inbound connection from " + remote + ": " + reason);
  }

  /** Logs the refusals not logged yet, unless a line went out less than a second ago. Timer. */
  void flushLog(long now) {
    log.flush(now);
  }

  /** Accepted connections alive now. */
  int inbound() {
    return slots.total();
  }

  /** Logs every refusal not logged yet, now. When the transport closes: the timer is gone. */
  void flushLogAll() {
    log.flushAll();
  }

  /** Connections refused so far. */
  long refusals() {
    return refusals.sum();
  }
}
