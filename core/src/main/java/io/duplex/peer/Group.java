package io.duplex.peer;

import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.Encoded;
import io.duplex.Lane;
import io.duplex.NodeId;
import io.duplex.Transport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's {@link PeerGroup}: one open connection per peer node id, the membership listeners,
 * and broadcast. Connections join through {@link #admit} (which asks {@link Duplicates} when a
 * node already has one) and leave through {@link #leave}, or when {@code admit} finds the one
 * they replace closed or beaten.
 *
 * <p>Threads: {@link #admit} and {@link #leave} run on the event thread of the connection
 * concerned ({@code onOpen}, {@code onClose}); the application calls broadcast, sendTo and the
 * rest from any thread; {@link #dialFailed} runs on the node thread. {@code peers} is a {@code
 * ConcurrentHashMap} changed only by {@code putIfAbsent}, {@code replace(k, old, new)} and
 * {@code remove(k, v)}, so of two threads that race over one node id exactly one wins, and only
 * the winner tells the listeners: each connection is told joined at most once and left at most
 * once, after joined. {@code membership} is a {@code CopyOnWriteArrayList}.
 *
 * @param <T> the message type
 */
final class Group<T> implements PeerGroup<T> {
  private static final Logger log = LoggerFactory.getLogger(Group.class);

  private final Transport<T> transport;
  private final Duplicates<T> duplicates;
  private final List<MembershipListener<T>> membership;
  private final ConcurrentHashMap<NodeId, Connection<T>> peers = new ConcurrentHashMap<>();

  Group(Transport<T> transport, Duplicates<T> duplicates,
      List<MembershipListener<T>> membership) {
    this.transport = transport;
    this.duplicates = duplicates;
    this.membership = new CopyOnWriteArrayList<>(membership);
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
  public BroadcastResult broadcast(Lane lane, T message) {
    return broadcast(transport.encode(lane, message));
  }

  @Override
  public BroadcastResult broadcast(Lane lane, T message, Duration deadline) {
    return broadcast(transport.encode(lane, message).withDeadline(deadline));
  }

  @Override
  public CompletableFuture<Void> sendTo(NodeId peer, T message) {
    return sendTo(peer, Lane.DEFAULT, message);
  }

  @Override
  public CompletableFuture<Void> sendTo(NodeId peer, Lane lane, T message) {
    Connection<T> c = peers.get(peer);
    if (c == null) {
      return CompletableFuture.failedFuture(new ConnectionClosedException("no connection to peer "
          + peer + "; it is not (or no longer) in the group"));
    }
    return c.send(lane, message);
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
    membership.add(java.util.Objects.requireNonNull(listener, "listener"));
  }

  // ---- the node's side --------------------------------------------------------------------

  /**
   * {@code c} completed its handshake: it joins, unless its node already has a connection that
   * survives it ({@link Duplicates#survivor}), in which case {@code c} is dropped. A connection
   * it replaces leaves, and so does one found closed whose {@code onClose} has not run yet.
   * Event thread of {@code c}.
   */
  void admit(Connection<T> c) {
    NodeId id = c.peer().nodeId();
    for (; ; ) {
      Connection<T> existing = peers.putIfAbsent(id, c);
      if (existing == null) {
        joined(c);
        return;
      }
      if (existing.closeCause() != null) {
        if (peers.remove(id, existing)) { // its onClose has not run yet, and now will not tell
          left(existing, existing.closeCause());
        }
        continue;
      }
      if (duplicates.survivor(existing, c) == existing) {
        duplicates.drop(id, existing, c);
        return;
      }
      if (peers.replace(id, existing, c)) {
        left(existing, new ConnectionClosedException("duplicate connection to " + id
            + "; kept the one dialed by the node with the smaller id"));
        duplicates.drop(id, c, existing);
        joined(c);
        return;
      }
    }
  }

  /** {@code c} closed: it leaves, if it was in the group. Event thread of {@code c}. */
  void leave(Connection<T> c, ConnectionClosedException cause) {
    if (peers.remove(c.peer().nodeId(), c)) {
      left(c, cause);
    }
  }

  /** The open peer of node {@code id}, or null. */
  Connection<T> get(NodeId id) {
    return peers.get(id);
  }

  /** The peers whose remote address is {@code ip}, now. */
  List<Connection<T>> at(InetAddress ip) {
    List<Connection<T>> found = new ArrayList<>();
    for (Connection<T> c : peers.values()) {
      if (c.remoteAddress().getAddress().equals(ip)) {
        found.add(c);
      }
    }
    return found;
  }

  /**
   * Whether an open peer, dialed or accepted, listens at {@code address}: it stands in for a
   * dial to that address. Any thread.
   */
  boolean hasPeerListeningAt(InetSocketAddress address) {
    if (address.isUnresolved()) {
      return false;
    }
    for (Connection<T> c : peers.values()) {
      if (c.closeCause() == null && c.peer().listenPort() == address.getPort()
          && c.remoteAddress().getAddress().equals(address.getAddress())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Tells the membership listeners that a dial to {@code address} failed. Node thread. A
   * listener that throws is logged and the others are still told.
   */
  void dialFailed(InetSocketAddress address, Throwable cause, int attempt, Duration next) {
    for (MembershipListener<T> l : membership) {
      try {
        l.dialFailed(address, cause, attempt, next);
      } catch (RuntimeException e) {
        log.warn("membership listener {} threw in dialFailed", l, e);
      }
    }
  }

  private void joined(Connection<T> c) {
    for (MembershipListener<T> l : membership) {
      l.joined(c);
    }
  }

  private void left(Connection<T> c, ConnectionClosedException cause) {
    for (MembershipListener<T> l : membership) {
      l.left(c, cause);
    }
  }
}
