package io.duplex.benchmarks;

/**
 * A server of one secure transport and a client that dials it: the handshake benchmark's view.
 * The server runs until {@link #close()}; one caller thread at a time.
 */
public interface Handshakes extends AutoCloseable {

  /**
   * Opens a new connection, returns once both ends have completed the secure handshake (each
   * has authenticated the other), and closes the connection.
   */
  void connectAndClose() throws Exception;

  @Override
  void close();
}
