package io.duplex;

/**
 * Makes a transport that reports to a given listener. {@link io.duplex.peer.PeerNode} uses one to
 * build the transport it runs on, so that it can be that transport's listener; a transport
 * implementation provides it (for NIO: {@code NioTransport.builder(codec).config(config)
 * .factory()}).
 *
 * @param <T> the message type
 */
@FunctionalInterface
public interface TransportFactory<T> {
  /** A new, started transport whose connections report to {@code listener}. */
  Transport<T> create(ConnectionListener<T> listener);
}
