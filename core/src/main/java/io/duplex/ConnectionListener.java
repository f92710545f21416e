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
   * A connection completed its handshake, accepted or dialed. Install a push handler here with
   * {@link Connection#onMessage}; messages that arrive before that wait in the inbound queue.
   */
  default void onOpen(Connection<T> connection) {}

  /** {@link Connection#isWritable()} changed to {@code writable}. */
  default void onWritabilityChanged(Connection<T> connection, boolean writable) {}

  /** The connection closed; {@code cause} says why (see {@link Connection#closeCause()}). */
  default void onClose(Connection<T> connection, ConnectionClosedException cause) {}
}
