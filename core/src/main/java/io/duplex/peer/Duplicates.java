package io.duplex.peer;

import io.duplex.CloseCodes;
import io.duplex.Connection;
import io.duplex.NodeId;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Duplicate resolution: of two open connections to one node, which survives ({@link
 * #survivor}), how the other is closed ({@link #drop}), and the duplicate probe ({@link
 * #probe}). {@link Group#admit} asks, and keeps the group's map.
 *
 * <p>Threads: {@link #survivor} and {@link #drop} run on the event thread of the connection
 * that just opened ({@code onOpen}). {@link #probe} starts there, and its ping ends on the
 * thread that completes it: the read loop that reads the pong, or the JDK's delay scheduler at
 * the timeout, which only logs and aborts. The one mutable field, {@code probing} (the
 * connections pinged now), is a concurrent set: added to by the thread that starts a probe,
 * removed from by the one that ends it, so at most one probe per connection runs at a time.
 *
 * @param <T> the message type
 */
final class Duplicates<T> {
  private static final Logger log = LoggerFactory.getLogger(Duplicates.class);
  /** The longest wait for a pong from a connection whose peer dialed again (see probe). */
  static final Duration PROBE_MAX = Duration.ofSeconds(2);

  private final NodeId self;
  private final Duration probeTimeout;
  private final Set<Connection<T>> probing = ConcurrentHashMap.newKeySet();

  /** For the node {@code self}, whose pong timeout is {@code pongTimeout}. */
  Duplicates(NodeId self, Duration pongTimeout) {
    this.self = self;
    this.probeTimeout = pongTimeout.compareTo(PROBE_MAX) < 0 ? pongTimeout : PROBE_MAX;
  }

  /**
   * Of two connections to one node, the one dialed by the node with the smaller id; both ends
   * compute the same answer. If one node dialed both, the older ({@code existing}) stays.
   */
  Connection<T> survivor(Connection<T> existing, Connection<T> fresh) {
    NodeId a = existing.isOutbound() ? self : existing.peer().nodeId();
    NodeId b = fresh.isOutbound() ? self : fresh.peer().nodeId();
    return b.compareTo(a) < 0 ? fresh : existing;
  }

  /**
   * Closes {@code loser}, a duplicate of {@code kept}, gracefully with {@link
   * CloseCodes#DUPLICATE}, so the peer knows why. If the peer dialed both (it dialed again while
   * this node holds its earlier connection), probes {@code kept}.
   */
  void drop(NodeId id, Connection<T> kept, Connection<T> loser) {
    log.debug("duplicate connection to {}: keeping {}, closing {}", id, kept, loser);
    loser.close(CloseCodes.DUPLICATE, "duplicate connection; kept the one dialed by the node"
        + " with the smaller id");
    if (!kept.isOutbound() && !loser.isOutbound()) {
      probe(id, kept);
    }
  }

  /**
   * The peer dialed us again while we hold a connection it dialed before: it must have given
   * that one up, most likely because the link died silently, and our own liveness check may take
   * {@code pingInterval + pongTimeout} to notice. Ping it now: no pong within the probe timeout
   * (the pong timeout, at most {@link #PROBE_MAX}) and it is aborted (a dead link: nothing to
   * drain), so the peer's next redial gets in. One probe at a time per connection.
   */
  private void probe(NodeId id, Connection<T> existing) {
    if (!probing.add(existing)) {
      return;
    }
    existing.ping().orTimeout(probeTimeout.toNanos(), TimeUnit.NANOSECONDS)
        .whenComplete((rtt, error) -> {
          probing.remove(existing);
          if (error != null && existing.closeCause() == null) {
            log.info("node {} dialed again while its connection {} did not answer a ping within"
                + " {}: dropping that connection as dead", id, existing, probeTimeout);
            existing.abort();
          }
        });
  }
}
