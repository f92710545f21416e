package io.duplex.peer;

import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.ConnectionListener;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Hears peers join and leave a {@link PeerGroup}, and a {@link PeerNode}'s dials fail. Every
 * method defaults to nothing.
 *
 * <p>{@code joined} and {@code left} run on the peer connection's event thread (see {@link
 * ConnectionListener}), so calls for one connection never overlap, and {@code left} follows
 * {@code joined} exactly once. {@code dialFailed} runs on the node's thread {@code
 * duplex-node-N}, one call at a time, the thread that dials: it must be quick.
 *
 * @param <T> the message type
 */
public interface MembershipListener<T> {
  /** {@code peer} completed its handshake and joined the group. */
  default void joined(Connection<T> peer) {}

  /** {@code peer} left the group: its connection closed because of {@code cause}. */
  default void left(Connection<T> peer, ConnectionClosedException cause) {}

  /**
   * A dial of the node to {@code address} failed: the connect, or the handshake after it.
   *
   * @param address the address dialed ({@link PeerNode#addPeer})
   * @param cause why: an {@link java.io.IOException} (refused, unreachable, reset), a {@link
   *     io.duplex.HandshakeException} (a mismatch, a timeout), ...
   * @param attempt how many dials to {@code address} in a row failed, this one included (a
   *     dialed connection that closed sooner than the longest redial delay counts too)
   * @param nextRetry the delay before the next dial, or null if the node gives the address up
   *     (its node id is this node's own)
   */
  default void dialFailed(InetSocketAddress address, Throwable cause, int attempt,
      Duration nextRetry) {}
}
