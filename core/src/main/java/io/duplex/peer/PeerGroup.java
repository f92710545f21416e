package io.duplex.peer;

import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.Encoded;
import io.duplex.Lane;
import io.duplex.NodeId;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The live, handshaken connections of a node, one per peer node id, and the ways to send to
 * them. Connections that close leave the group by themselves. Thread-safe.
 *
 * <p>{@link #broadcast} encodes the message once and queues the same read-only frame for every
 * peer; it never waits for any of them, so a slow peer delays nobody but itself. The returned
 * {@link BroadcastResult} says, per peer, whether the frame reached the wire, was refused by
 * backpressure, timed out, was dropped, or failed.
 *
 * @param <T> the message type
 */
public interface PeerGroup<T> {

  /** Encodes {@code message} once and queues it for every peer; returns at once. */
  BroadcastResult broadcast(T message);

  /**
   * As {@link #broadcast(Object)}, but a peer whose queue has not started writing the frame
   * within {@code deadline} drops it (outcome {@link BroadcastResult.Outcome#DROPPED}) rather than
   * send stale data late.
   */
  BroadcastResult broadcast(T message, Duration deadline);

  /**
   * Queues an already encoded message for every peer, on the lane it was encoded for ({@link
   * io.duplex.Transport#encode(Lane, Object)}); returns at once.
   */
  BroadcastResult broadcast(Encoded<T> message);

  /**
   * As {@link #broadcast(Object)}, on {@code lane}: encoded (and, if large, cut into chunks) once
   * for every peer. See {@link Lane}.
   *
   * @throws IllegalArgumentException if the transport has no such lane
   */
  BroadcastResult broadcast(Lane lane, T message);

  /** As {@link #broadcast(Object, Duration)}, on {@code lane}. */
  BroadcastResult broadcast(Lane lane, T message, Duration deadline);

  /** As {@link #sendTo(NodeId, Object)}, on {@code lane}. */
  CompletableFuture<Void> sendTo(NodeId peer, Lane lane, T message);

  /**
   * Sends {@code message} to the peer with node id {@code peer}.
   *
   * @return the send's future; failed with {@link ConnectionClosedException} if there is no such
   *     peer in the group
   */
  CompletableFuture<Void> sendTo(NodeId peer, T message);

  /** The connection to the peer with node id {@code peer}, if it is in the group. */
  Optional<Connection<T>> peer(NodeId peer);

  /** A snapshot of the peers in the group. */
  List<Connection<T>> peers();

  /** How many peers are in the group. */
  int size();

  /** Adds a listener for peers joining and leaving. */
  void addMembershipListener(MembershipListener<T> listener);
}
