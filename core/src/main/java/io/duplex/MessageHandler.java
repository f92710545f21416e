package io.duplex;

/**
 * Receives the messages of a connection that has a push handler ({@link
 * Connection#onMessage}). Calls for one connection never overlap and come in arrival order.
 *
 * <p>Runs on the transport's handler executor unless handlers are configured to run on the read
 * loop; there it must not block, or every connection of that loop waits. An exception thrown
 * from here closes this connection, with the exception as the cause, and no other.
 *
 * @param <T> the message type
 */
@FunctionalInterface
public interface MessageHandler<T> {
  /** Handles one message that arrived on {@code connection}. */
  void onMessage(Connection<T> connection, T message) throws Exception;
}
