package io.duplex;

/**
 * Hears about the life of a transport's connections. Every method has an empty default; override
 * what you need. Calls for one connection never overlap: {@code onOpen} first, {@code onClose}
 * last and exactly once. They run where message handlers run, so the same rule applies: do not
 * block in them if handlers run on the read loop.
 *
 * @param <T> the message type
 */
public interface ConnectionListener<T> {

  /**
   * A peer at {@code remote} was accepted, before any byte is read from it: return false to close
   * it at once (a ban, a limit). Runs on the read loop that accepted it, so it must be quick and
   * must not block. Default: accept everyone.
   */
  default boolean onAccept(java.net.InetSocketAddress remote) {
    return true;
  }

  /**
   * A connection to or from {@code remote} failed before its handshake completed (garbage, a
   * mismatch, a timeout, a refused dial); {@code cause} says how. The connection was never
   * opened, so {@link #onClose} is not called for it.
   */
  default void onHandshakeFailed(java.net.InetSocketAddress remote, boolean dialed,
      Throwable cause) {}

  /**
   * A connection completed its handshake, accepted or dialed. Install a push handler here with
   * {@link Connection#onMessage}; messages that arrive before that wait in the inbound queue.
   */
  default void onOpen(Connection<T> connection) {}

  /** {@link Connection#isWritable()} changed to {@code writable}. */
  default void onWritabilityChanged(Connection<T> connection, boolean writable) {}

  /** The connection closed; {@code cause} says why (see {@link Connection#closeCause()}). */
  default void onClose(Connection<T> connection, ConnectionClosedException cause) {}
}
