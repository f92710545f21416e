package io.duplex.benchmarks;

/**
 * One-way streams from a client to a server over {@code n} connections of one baseline: the
 * sender's side of the throughput benchmark. The server counts what it receives, on one I/O
 * thread, so {@link #received()} has a single writer.
 */
public interface Streams extends AutoCloseable {

  /** Sends {@code batch} frames of {@code payload} on connection {@code connection}, then flushes. */
  void sendBatch(int connection, byte[] payload, int batch);

  /** Frames the server has received so far, over all connections. */
  long received();

  @Override
  void close();
}
