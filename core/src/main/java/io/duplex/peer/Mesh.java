package io.duplex.peer;

import io.duplex.CloseCodes;
import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.ConnectionListener;
import io.duplex.Encoded;
import io.duplex.Lane;
import io.duplex.MessageHandler;
import io.duplex.NodeId;
import io.duplex.Transport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link PeerNode}: its transport's listener, wiring the parts that each own one concern.
 * <ul>
 *   <li>{@link Group}: the peers, one per node id, the membership listeners, broadcast;</li>
 *   <li>{@link Duplicates}: which of two connections to one node survives, and the probe;</li>
 *   <li>{@link Dialer} and its {@link Target}s: the addresses kept dialed, each with its own
 *       outbound slot, and the backoff;</li>
 *   <li>{@link InboundSlots}: the inbound limits, in all and per IP address;</li>
 *   <li>{@link Bans}: node ids and addresses refused for a while;</li>
 *   <li>{@link Failures}: the log lines, error handler and dial-failure events.</li>
 * </ul>
 *
 * <p>Threads: listener callbacks come from the transport: {@code onAccept} on read loop 0, the
 * rest on each connection's event thread. The node thread {@code duplex-node-N} (one daemon
 * thread of a {@code ScheduledThreadPoolExecutor}) runs the dials, the calls into application
 * code that {@link Failures} hands it, and a flush of the inbound refusal log each second. The
 * application calls the {@link PeerNode} methods from any thread. This class's own fields are
 * final, but for {@code closed}, which is volatile and written once by {@link #close}; each part
 * says how it guards its own.
 */
final class Mesh<T> implements PeerNode<T>, ConnectionListener<T> {
  private static final Logger log = LoggerFactory.getLogger(Mesh.class);
  private static final AtomicInteger IDS = new AtomicInteger();
  private static final long REFUSAL_LOG_FLUSH_MILLIS = 1000;

  private final Transport<T> transport;
  private final MessageHandler<T> handler;
  private final Duration banDuration;
  private final ScheduledThreadPoolExecutor nodeThread;
  private final Group<T> group;
  private final Dialer<T> dialer;
  private final InboundSlots inbound;
  private final Bans bans = new Bans();
  private final Failures<T> failures;
  private final InetSocketAddress listenAddress;
  private volatile boolean closed;

  /** Builds the transport, listens, and starts dialing. Called by {@link PeerNode.Builder}. */
  Mesh(PeerNode.Builder<T> settings) throws IOException {
    this.handler = settings.handler;
    this.banDuration = settings.banDuration;
    String name = "duplex-node-" + IDS.incrementAndGet();
    this.nodeThread = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
    nodeThread.setRemoveOnCancelPolicy(true);
    try {
      this.transport = settings.transports.create(this);
    } catch (RuntimeException | Error e) {
      nodeThread.shutdownNow(); // no node: no thread left behind
      throw e;
    }
    // The transport reports nothing before listen or connect, both below: the parts exist first.
    this.inbound = new InboundSlots(settings.maxInbound, settings.maxPerAddress);
    this.group = new Group<>(transport,
        new Duplicates<>(transport.config().nodeId(), transport.config().pongTimeout()),
        settings.membership);
    this.failures = new Failures<>(nodeThread, settings.errorHandler, group);
    this.dialer = new Dialer<>(transport, nodeThread, group, failures, settings.maxOutbound,
        settings.reconnectMin.toNanos(), settings.reconnectMax.toNanos());
    nodeThread.scheduleWithFixedDelay(() -> inbound.flush(System.nanoTime()),
        REFUSAL_LOG_FLUSH_MILLIS, REFUSAL_LOG_FLUSH_MILLIS, TimeUnit.MILLISECONDS);
    InetSocketAddress bound = null;
    if (settings.listen != null) {
      try {
        bound = transport.listen(settings.listen);
      } catch (IOException | RuntimeException e) {
        close();
        throw e;
      }
    }
    this.listenAddress = bound;
    for (PeerAddress peer : settings.dial) {
      addPeer(peer);
    }
  }

  // ---- PeerGroup: the group's -------------------------------------------------------------

  @Override
  public BroadcastResult broadcast(T message) {
    return group.broadcast(message);
  }

  @Override
  public BroadcastResult broadcast(T message, Duration deadline) {
    return group.broadcast(message, deadline);
  }

  @Override
  public BroadcastResult broadcast(Encoded<T> message) {
    return group.broadcast(message);
  }

  @Override
  public BroadcastResult broadcast(Lane lane, T message) {
    return group.broadcast(lane, message);
  }

  @Override
  public BroadcastResult broadcast(Lane lane, T message, Duration deadline) {
    return group.broadcast(lane, message, deadline);
  }

  @Override
  public CompletableFuture<Void> sendTo(NodeId peer, Lane lane, T message) {
    return group.sendTo(peer, lane, message);
  }

  @Override
  public CompletableFuture<Void> sendTo(NodeId peer, T message) {
    return group.sendTo(peer, message);
  }

  @Override
  public Optional<Connection<T>> peer(NodeId peer) {
    return group.peer(peer);
  }

  @Override
  public List<Connection<T>> peers() {
    return group.peers();
  }

  @Override
  public int size() {
    return group.size();
  }

  @Override
  public void addMembershipListener(MembershipListener<T> listener) {
    group.addMembershipListener(listener);
  }

  // ---- PeerNode ---------------------------------------------------------------------------

  @Override
  public Transport<T> transport() {
    return transport;
  }

  @Override
  public Optional<InetSocketAddress> listenAddress() {
    return Optional.ofNullable(listenAddress);
  }

  @Override
  public void addPeer(InetSocketAddress address) {
    dialer.add(PeerAddress.of(address));
  }

  @Override
  public void addPeer(PeerAddress peer) {
    dialer.add(java.util.Objects.requireNonNull(peer, "peer"));
  }

  @Override
  public void removePeer(InetSocketAddress address) {
    dialer.remove(java.util.Objects.requireNonNull(address, "address"));
  }

  @Override
  public void ban(NodeId node, Duration duration) {
    bans.ban(node, duration, false);
    Connection<T> c = group.get(node);
    if (c != null) {
      tellBanned(c, duration);
    }
  }

  @Override
  public void ban(InetAddress address, Duration duration) {
    bans.ban(address, duration, false);
    for (Connection<T> c : group.at(address)) {
      tellBanned(c, duration);
    }
  }

  private void tellBanned(Connection<T> c, Duration duration) {
    c.close(CloseCodes.BANNED, "banned by this node for " + duration);
  }

  @Override
  public boolean isBanned(NodeId node) {
    return bans.isBanned(node);
  }

  @Override
  public boolean isBanned(InetAddress address) {
    return bans.isBanned(address);
  }

  @Override
  public void close() {
    closed = true;
    dialer.close();
    nodeThread.shutdownNow();
    for (Connection<T> c : group.peers()) {
      c.close(CloseCodes.GOING_AWAY, "node shutting down");
    }
    transport.close(); // waits for the graceful closes, then aborts what is left
    inbound.flushAll(); // the node thread that flushed them each second is gone
  }

  // ---- ConnectionListener: the transport reports here -------------------------------------

  /** Read loop 0: bans, then the inbound limits. */
  @Override
  public boolean onAccept(InetSocketAddress remote) {
    if (closed || bans.isBanned(remote.getAddress())) {
      log.debug("refusing {}: banned", remote);
      return false;
    }
    return inbound.tryTake(remote);
  }

  /** Event thread. Dialed ones are reported by their dial's future ({@link Target}). */
  @Override
  public void onHandshakeFailed(InetSocketAddress remote, boolean dialed, Throwable cause) {
    if (dialed) {
      return;
    }
    inbound.giveBack(remote.getAddress());
    if (Bans.brokeProtocol(cause)) {
      log.info("banning {} for {}: {}", remote.getAddress().getHostAddress(), banDuration,
          cause.getMessage());
      bans.ban(remote.getAddress(), banDuration, true);
    }
    failures.handshakeFailed(remote, cause);
  }

  /**
   * Event thread of {@code c}. A banned peer is aborted if its ban is for breaking the protocol
   * (a hostile peer gets nothing more from us), otherwise told {@link CloseCodes#BANNED}.
   */
  @Override
  public void onOpen(Connection<T> c) {
    Bans.Ban ban = bans.find(c.peer().nodeId());
    if (ban == null) {
      ban = bans.find(c.remoteAddress().getAddress());
    }
    if (ban != null) {
      if (ban.hostile()) {
        c.abort();
      } else {
        c.close(CloseCodes.BANNED, "banned by this node");
      }
      return;
    }
    if (handler != null) {
      c.onMessage(handler);
    }
    group.admit(c);
  }

  /** Event thread of {@code c}. */
  @Override
  public void onClose(Connection<T> c, ConnectionClosedException cause) {
    group.leave(c, cause);
    if (!c.isOutbound()) {
      inbound.giveBack(c.remoteAddress().getAddress());
    }
    if (Bans.brokeProtocol(cause.getCause())) {
      log.info("banning node {} at {} for {}: {}", c.peer().nodeId(), c.remoteAddress(),
          banDuration, cause.getMessage());
      bans.ban(c.peer().nodeId(), banDuration, true);
      bans.ban(c.remoteAddress().getAddress(), banDuration, true);
    }
    if (Failures.isError(cause)) {
      failures.connectionFailed(c, cause);
    }
    dialer.kick(); // a peer that stood in for a target's dial may have gone
  }
}
