package io.duplex;

import io.duplex.codec.Codec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Makes and serves {@link Connection}s: listens for peers, dials them, and runs the loops that
 * move their bytes. Every connection of a transport shares its configuration, codec and
 * listener. A transport implementation (such as duplex's NIO transport) provides the factory.
 *
 * <p>All methods are thread-safe. {@link #close()} ends every connection and every thread the
 * transport started.
 *
 * @param <T> the type of messages its codec encodes
 */
public interface Transport<T> extends AutoCloseable {

  /**
   * Binds a listening socket at {@code local} (port 0 picks a free port) and accepts peers on
   * it; each accepted peer that completes the handshake is reported to {@link
   * ConnectionListener#onOpen}. May be called more than once to listen on several addresses.
   *
   * @return the address actually bound
   * @throws IOException if the address cannot be bound (in use, not local, no permission)
   */
  InetSocketAddress listen(InetSocketAddress local) throws IOException;

  /**
   * Dials {@code remote} without blocking and performs the handshake.
   *
   * @return a future completed with the open connection (also reported to {@link
   *     ConnectionListener#onOpen}), or failed with an {@link IOException} (refused,
   *     unreachable), a {@link HandshakeException}, or a {@link ConnectionClosedException}
   */
  CompletableFuture<Connection<T>> connect(InetSocketAddress remote);

  /**
   * Dials {@code remote}, expecting to reach node {@code expected}: a secure handshake that
   * reaches any other node (one that proves another identity, such as a man in the middle with
   * its own key) fails with a {@link HandshakeException} of field {@code IDENTITY}, before the
   * connection opens. In insecure plaintext mode the claimed node id is compared, which proves
   * nothing.
   */
  CompletableFuture<Connection<T>> connect(InetSocketAddress remote, NodeId expected);

  /**
   * Encodes {@code message} once with this transport's codec, for sending to many connections
   * with {@link Connection#send(Encoded)}.
   *
   * @throws io.duplex.codec.EncoderException if the codec refuses it or it exceeds the max frame
   *     size
   */
  default Encoded<T> encode(T message) {
    return Encoded.encode(codec(), message, config().maxFrameSize());
  }

  /**
   * Encodes {@code message} once, for {@code lane}, to send to many peers with {@link
   * Connection#send(Encoded)} or a {@code PeerGroup} broadcast: a large message is laid out in
   * chunks once, and every connection shares them. On a transport without lanes, {@code lane}
   * must be {@link Lane#DEFAULT}, and this is {@link #encode(Object)}.
   *
   * @throws IllegalArgumentException if the transport has no such lane
   * @throws io.duplex.codec.EncoderException if the codec refuses the message, or it is over the
   *     lane's max message size
   */
  default Encoded<T> encode(Lane lane, T message) {
    TransportConfig c = config();
    int n = c.laneNumber(lane);
    if (c.lanes().isEmpty()) {
      return encode(message);
    }
    int max = n == 0 ? c.maxFrameSize() - 1 : c.lanes().get(n - 1).maxMessageSize();
    return Encoded.encodeOnLane(codec(), message, n, max, c.chunkSize());
  }

  /** A snapshot of the open connections. */
  List<Connection<T>> connections();

  /** A snapshot of the transport's counters and gauges, closed connections included. */
  TransportStats stats();

  /** The configuration every connection of this transport uses. */
  TransportConfig config();

  /** The codec every connection of this transport uses. */
  Codec<T> codec();

  /**
   * Stops listening, closes every connection gracefully within the close timeout (aborting what
   * is left after it), ends the transport's threads and releases its selectors. Idempotent.
   * Blocks the caller meanwhile, so a transport's own loop threads may not call it (they would
   * wait on themselves): from a handler running on a read loop, hand it to another thread.
   *
   * @throws IllegalStateException if called on one of the transport's loop threads
   */
  @Override
  void close();
}
