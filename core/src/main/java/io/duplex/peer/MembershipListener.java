package io.duplex.peer;

import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.ConnectionListener;

/**
 * Hears peers join and leave a {@link PeerGroup}. Both methods default to nothing. They run on
 * the peer connection's event thread (see {@link ConnectionListener}), so calls for one peer never
 * overlap, and {@code left} follows {@code joined} exactly once.
 *
 * @param <T> the message type
 */
public interface MembershipListener<T> {
  /** {@code peer} completed its handshake and joined the group. */
  default void joined(Connection<T> peer) {}

  /** {@code peer} left the group: its connection closed because of {@code cause}. */
  default void left(Connection<T> peer, ConnectionClosedException cause) {}
}
