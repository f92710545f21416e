package io.duplex.peer;

import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.ConnectionListener;
import io.duplex.Encoded;
import io.duplex.HandshakeException;
import io.duplex.MessageHandler;
import io.duplex.NodeId;
import io.duplex.ProtocolException;
import io.duplex.Transport;
import io.duplex.TransportFactory;
import io.duplex.codec.DecoderException;
import io.duplex.internal.RefusalLog;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link PeerNode} implementation: the transport's listener, the peer group, the dialer.
 *
 * <p>Threads: listener callbacks come from the transport (accept checks on a read loop, the rest
 * on each connection's event thread); dials are scheduled on one daemon thread {@code
 * duplex-node-N}; a duplicate probe ({@code probe}) ends on the thread that completes its
 * ping (the read loop that reads the pong, or the JDK's delay scheduler at its timeout), which
 * only logs and aborts; the application calls broadcast and the rest from any thread. Shared
 * state: {@code peers}, {@code bans}, {@code perAddress}, {@code targets} and {@code probing}
 * are concurrent maps or sets; the counters are atomics; each {@link Target}'s fields are
 * guarded by the target's monitor, which is never held while calling the transport or a
 * listener.
 */
final class Mesh<T> implements PeerNode<T>, ConnectionListener<T> {
  private static final Logger log = LoggerFactory.getLogger(Mesh.class);
  private static final AtomicInteger IDS = new AtomicInteger();
  private static final long REFUSAL_LOG_FLUSH_MILLIS = 1000;
  /** The longest wait for a pong from a connection whose peer dialed again (see probe). */
  private static final Duration DUPLICATE_PROBE_MAX = Duration.ofSeconds(2);

  /** A configured peer to dial and keep. */
  private final class Target {
    final InetSocketAddress address;
    // Guarded by this.
    int attempt;
    long openedNanos; // when the current connection was dialed successfully
    boolean dialing;
    boolean removed;
    Connection<T> connection;
    ScheduledFuture<?> pending;

    Target(InetSocketAddress address) {
      this.address = address;
    }
  }

  private final Transport<T> transport;
  private final NodeId self;
  private final int maxInbound;
  private final int maxOutbound;
  private final int maxPerAddress;
  private final long reconnectMinNanos;
  private final long reconnectMaxNanos;
  private final Duration banDuration;
  private final MessageHandler<T> handler;
  private final List<MembershipListener<T>> membership;
  private final ConcurrentHashMap<NodeId, Connection<T>> peers = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<InetAddress, AtomicInteger> perAddress =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<InetSocketAddress, Target> targets = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Object, Long> bans = new ConcurrentHashMap<>();
  private final AtomicInteger inbound = new AtomicInteger();
  private final AtomicInteger outbound = new AtomicInteger();
  // Connections pinged because their peer dialed again (see probe): added by the thread that
  // runs onOpen, removed by whoever completes the ping.
  private final Set<Connection<T>> probing = ConcurrentHashMap.newKeySet();
  // Refusals at accept: a flood must not write a line each (flushed by the dialer thread).
  private final RefusalLog refusals =
      new RefusalLog(log, "inbound peers refused by the PeerNode limits");
  private final ScheduledThreadPoolExecutor dialer;
  private final InetSocketAddress listenAddress;
  private volatile boolean closed;

  /** Builds the transport, listens, and starts dialing. Called by {@link PeerNode.Builder}. */
  Mesh(TransportFactory<T> transports, InetSocketAddress listen,
      List<InetSocketAddress> dial, int maxInbound, int maxOutbound, int maxPerAddress,
      Duration reconnectMin, Duration reconnectMax, Duration banDuration,
      MessageHandler<T> handler, List<MembershipListener<T>> membership) throws IOException {
    this.maxInbound = maxInbound;
    this.maxOutbound = maxOutbound;
    this.maxPerAddress = maxPerAddress;
    this.reconnectMinNanos = reconnectMin.toNanos();
    this.reconnectMaxNanos = reconnectMax.toNanos();
    this.banDuration = banDuration;
    this.handler = handler;
    this.membership = new CopyOnWriteArrayList<>(membership);
    String name = "duplex-node-" + IDS.incrementAndGet();
    this.dialer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
    dialer.setRemoveOnCancelPolicy(true);
    try {
      this.transport = transports.create(this);
    } catch (RuntimeException | Error e) {
      dialer.shutdownNow(); // no node: no thread left behind
      throw e;
    }
    dialer.scheduleWithFixedDelay(() -> refusals.flush(System.nanoTime()),
        REFUSAL_LOG_FLUSH_MILLIS, REFUSAL_LOG_FLUSH_MILLIS, TimeUnit.MILLISECONDS);
    this.self = transport.config().nodeId();
    InetSocketAddress bound = null;
    if (listen != null) {
      try {
        bound = transport.listen(listen);
      } catch (IOException | RuntimeException e) {
        close();
        throw e;
      }
    }
    this.listenAddress = bound;
    for (InetSocketAddress address : dial) {
      addPeer(address);
    }
  }

  // ---- PeerGroup --------------------------------------------------------------------------

  @Override
  public BroadcastResult broadcast(T message) {
    return broadcast(transport.encode(message));
  }

  @Override
  public BroadcastResult broadcast(T message, Duration deadline) {
    return broadcast(transport.encode(message).withDeadline(deadline));
  }

  @Override
  public BroadcastResult broadcast(Encoded<T> message) {
    Map<NodeId, CompletableFuture<Void>> sends = new LinkedHashMap<>();
    for (Map.Entry<NodeId, Connection<T>> peer : peers.entrySet()) {
      sends.put(peer.getKey(), peer.getValue().send(message));
    }
    return new BroadcastResult(sends);
  }

  @Override
  public CompletableFuture<Void> sendTo(NodeId peer, T message) {
    Connection<T> c = peers.get(peer);
    if (c == null) {
      return CompletableFuture.failedFuture(new ConnectionClosedException("no connection to peer "
          + peer + "; it is not (or no longer) in the group"));
    }
    return c.send(message);
  }

  @Override
  public Optional<Connection<T>> peer(NodeId peer) {
    return Optional.ofNullable(peers.get(peer));
  }

  @Override
  public List<Connection<T>> peers() {
    return new ArrayList<>(peers.values());
  }

  @Override
  public int size() {
    return peers.size();
  }

  @Override
  public void addMembershipListener(MembershipListener<T> listener) {
    membership.add(listener);
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
    schedule(targets.computeIfAbsent(address, Target::new), 0);
  }

  @Override
  public void removePeer(InetSocketAddress address) {
    Target t = targets.remove(address);
    if (t == null) {
      return;
    }
    Connection<T> c;
    synchronized (t) {
      t.removed = true;
      if (t.pending != null) {
        t.pending.cancel(false);
      }
      c = t.connection;
    }
    if (c != null) {
      c.close();
    }
  }

  @Override
  public void ban(NodeId node, Duration duration) {
    bans.put(node, System.nanoTime() + duration.toNanos());
    Connection<T> c = peers.get(node);
    if (c != null) {
      c.abort();
    }
  }

  @Override
  public void ban(InetAddress address, Duration duration) {
    bans.put(address, System.nanoTime() + duration.toNanos());
    for (Connection<T> c : peers.values()) {
      if (c.remoteAddress().getAddress().equals(address)) {
        c.abort();
      }
    }
  }

  @Override
  public boolean isBanned(NodeId node) {
    return banned(node);
  }

  @Override
  public boolean isBanned(InetAddress address) {
    return banned(address);
  }

  private boolean banned(Object key) {
    Long until = bans.get(key);
    if (until == null) {
      return false;
    }
    if (System.nanoTime() - until > 0) {
      bans.remove(key, until);
      return false;
    }
    return true;
  }

  @Override
  public void close() {
    closed = true;
    dialer.shutdownNow();
    if (transport != null) {
      transport.close();
    }
    refusals.flushAll(); // the dialer that flushed them each second is gone
  }

  // ---- ConnectionListener: the transport reports here -------------------------------------

  @Override
  public boolean onAccept(InetSocketAddress remote) {
    InetAddress ip = remote.getAddress();
    if (closed || banned(ip)) {
      log.debug("refusing {}: banned", remote);
      return false;
    }
    if (inbound.incrementAndGet() > maxInbound) {
      inbound.decrementAndGet();
      refusals.refused("refusing inbound peer " + remote + ": " + maxInbound
          + " inbound peers already (PeerNode.Builder.maxInbound)");
      return false;
    }
    if (perAddress.computeIfAbsent(ip, k -> new AtomicInteger()).incrementAndGet()
        > maxPerAddress) {
      release(ip);
      refusals.refused("refusing inbound peer " + remote + ": " + maxPerAddress
          + " connections from " + ip.getHostAddress()
          + " already (PeerNode.Builder.maxPerAddress)");
      return false;
    }
    return true;
  }

  @Override
  public void onHandshakeFailed(InetSocketAddress remote, boolean dialed, Throwable cause) {
    if (dialed) {
      return; // the dial's own future reports it
    }
    release(remote.getAddress());
    if (brokeProtocol(cause)) {
      log.info("banning {} for {}: {}", remote.getAddress().getHostAddress(), banDuration,
          cause.getMessage());
      bans.put(remote.getAddress(), System.nanoTime() + banDuration.toNanos());
    }
  }

  @Override
  public void onOpen(Connection<T> c) {
    NodeId id = c.peer().nodeId();
    if (banned(id) || banned(c.remoteAddress().getAddress())) {
      c.abort();
      return;
    }
    if (handler != null) {
      c.onMessage(handler);
    }
    for (; ; ) {
      Connection<T> existing = peers.putIfAbsent(id, c);
      if (existing == null) {
        joined(c);
        return;
      }
      if (existing.closeCause() != null) {
        if (peers.remove(id, existing)) { // its onClose has not run yet, and now will not tell
          for (MembershipListener<T> l : membership) {
            l.left(existing, existing.closeCause());
          }
        }
        continue;
      }
      if (survivor(existing, c) == existing) {
        log.debug("duplicate connection to {}: keeping {}, closing {}", id, existing, c);
        c.close();
        if (!existing.isOutbound() && !c.isOutbound()) {
          probe(id, existing);
        }
        return;
      }
      if (peers.replace(id, existing, c)) {
        log.debug("duplicate connection to {}: keeping {}, closing {}", id, c, existing);
        ConnectionClosedException why = new ConnectionClosedException("duplicate connection to "
            + id + "; kept the one dialed by the node with the smaller id");
        for (MembershipListener<T> l : membership) {
          l.left(existing, why);
        }
        existing.close();
        joined(c);
        return;
      }
    }
  }

  /**
   * The peer dialed us again while we hold a connection it dialed before: it must have given
   * that one up, most likely because the link died silently, and our own liveness check may take
   * {@code pingInterval + pongTimeout} to notice. Ping it now: no pong within the probe timeout
   * (the pong timeout, at most {@link #DUPLICATE_PROBE_MAX}) and it is aborted, so the peer's
   * next redial gets in. One probe at a time per connection.
   */
  private void probe(NodeId id, Connection<T> existing) {
    if (!probing.add(existing)) {
      return;
    }
    Duration timeout = transport.config().pongTimeout().compareTo(DUPLICATE_PROBE_MAX) < 0
        ? transport.config().pongTimeout() : DUPLICATE_PROBE_MAX;
    existing.ping().orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS)
        .whenComplete((rtt, error) -> {
          probing.remove(existing);
          if (error != null && existing.closeCause() == null) {
            log.info("node {} dialed again while its connection {} did not answer a ping within"
                + " {}: dropping that connection as dead", id, existing, timeout);
            existing.abort();
          }
        });
  }

  /**
   * Of two connections to one node, the one dialed by the node with the smaller id; both ends
   * compute the same answer. If one node dialed both, the older stays.
   */
  private Connection<T> survivor(Connection<T> existing, Connection<T> fresh) {
    NodeId a = existing.isOutbound() ? self : existing.peer().nodeId();
    NodeId b = fresh.isOutbound() ? self : fresh.peer().nodeId();
    return b.compareTo(a) < 0 ? fresh : existing;
  }

  private void joined(Connection<T> c) {
    for (MembershipListener<T> l : membership) {
      l.joined(c);
    }
  }

  @Override
  public void onClose(Connection<T> c, ConnectionClosedException cause) {
    NodeId id = c.peer().nodeId();
    if (peers.remove(id, c)) {
      for (MembershipListener<T> l : membership) {
        l.left(c, cause);
      }
    }
    if (!c.isOutbound()) {
      release(c.remoteAddress().getAddress());
    }
    if (brokeProtocol(cause.getCause())) {
      log.info("banning node {} at {} for {}: {}", id, c.remoteAddress(), banDuration,
          cause.getMessage());
      long until = System.nanoTime() + banDuration.toNanos();
      bans.put(id, until);
      bans.put(c.remoteAddress().getAddress(), until);
    }
    for (Target t : targets.values()) {
      boolean redial;
      long delay = reconnectMinNanos; // a peer that stood in for this target has gone
      synchronized (t) {
        if (t.connection == c) {
          t.connection = null;
          outbound.decrementAndGet();
          // A connection that stayed up for the longest redial delay was stable: start the
          // backoff over. One that closed sooner counts as a failed attempt, so a peer that
          // keeps closing our dials (as duplicates of a connection it still believes alive,
          // say) is not redialed at the shortest delay again and again.
          t.attempt = System.nanoTime() - t.openedNanos >= reconnectMaxNanos ? 0 : t.attempt + 1;
          delay = delay(t.attempt);
        }
        redial = t.connection == null && !t.dialing && t.pending == null;
      }
      if (redial) {
        schedule(t, delay);
      }
    }
  }

  /** Bad frames and garbage handshakes: the peer is broken or hostile. */
  private static boolean brokeProtocol(Throwable cause) {
    if (cause instanceof HandshakeException) {
      HandshakeException.Field f = ((HandshakeException) cause).field();
      return f == HandshakeException.Field.MAGIC || f == HandshakeException.Field.VERSION
          || f == HandshakeException.Field.FORMAT;
    }
    return cause instanceof DecoderException || cause instanceof ProtocolException;
  }

  private void release(InetAddress ip) {
    inbound.decrementAndGet();
    AtomicInteger n = perAddress.get(ip);
    if (n != null && n.decrementAndGet() <= 0) {
      perAddress.remove(ip, n);
    }
  }

  // ---- dialing ----------------------------------------------------------------------------

  private void schedule(Target t, long delayNanos) {
    synchronized (t) {
      if (closed || t.removed || t.dialing || t.connection != null || t.pending != null) {
        return;
      }
      try {
        t.pending = dialer.schedule(() -> dial(t), delayNanos, TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // closing
      }
    }
  }

  private void dial(Target t) {
    synchronized (t) {
      t.pending = null;
      if (closed || t.removed || t.dialing || t.connection != null || satisfied(t)) {
        return;
      }
      if (outbound.incrementAndGet() > maxOutbound) {
        outbound.decrementAndGet();
        t.pending = dialer.schedule(() -> dial(t), reconnectMinNanos, TimeUnit.NANOSECONDS);
        return;
      }
      t.dialing = true;
    }
    transport.connect(t.address).whenComplete((c, error) -> dialed(t, c, error));
  }

  private void dialed(Target t, Connection<T> c, Throwable error) {
    long delay;
    synchronized (t) {
      t.dialing = false;
      if (error == null && c.closeCause() == null) {
        t.connection = c;
        t.openedNanos = System.nanoTime(); // the backoff restarts only once it proves stable
        return;
      }
      outbound.decrementAndGet();
      Throwable cause = error instanceof CompletionException && error.getCause() != null
          ? error.getCause() : error;
      if (cause instanceof HandshakeException
          && ((HandshakeException) cause).field() == HandshakeException.Field.NODE_ID) {
        log.warn("not dialing {} again: {}", t.address, cause.getMessage());
        t.removed = true;
        return;
      }
      if (cause != null) {
        log.debug("dial {} failed (attempt {}): {}", t.address, t.attempt + 1, cause.toString());
      }
      delay = delay(++t.attempt);
    }
    schedule(t, delay);
  }

  /** A peer already connected (either way) at the target's address stands in for a dial. */
  private boolean satisfied(Target t) {
    for (Connection<T> c : peers.values()) {
      if (c.peer().listenPort() == t.address.getPort() && !t.address.isUnresolved()
          && c.remoteAddress().getAddress().equals(t.address.getAddress())) {
        return true;
      }
    }
    return false;
  }

  /** Exponential backoff with 20% jitter either way: min * 2^(attempt-1), capped at max. */
  private long delay(int attempt) {
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
