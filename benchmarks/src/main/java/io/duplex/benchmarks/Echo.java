package io.duplex.benchmarks;

/**
 * A client connection to an echo server of one baseline: the round-trip benchmark's view. One
 * caller thread at a time.
 */
public interface Echo extends AutoCloseable {

  /** Sends {@code payload} and returns when its echo has arrived. */
  void roundTrip(byte[] payload) throws Exception;

  @Override
  void close();
}
