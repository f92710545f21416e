package io.duplex.nio.internal;

import io.duplex.Connection;
import io.duplex.ConnectionListener;
import io.duplex.PayloadHandler;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.codec.Codec;
import java.io.IOException;
import java.net.SocketOption;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Starts the NIO transport for {@link io.duplex.nio.NioTransport.Builder}: the one public type of
 * this package, whose other types are package-private. The package is not exported (see
 * module-info), so this is no API either; {@code NioTransport} checks the settings first.
 */
public final class LoopTransports {
  private LoopTransports() {}

  /**
   * Starts a transport's loops and timer, and returns it.
   *
   * @param readLoops read loops, at least 1
   * @param writeLoops write loops, at least 1
   * @param handlersOnReadLoop whether handlers and listeners run on the read loop
   * @param socketOptions set on every socket, dialed or accepted, before its first byte
   * @param payloadHandler the lent receive path's handler, or null to decode messages
   * @param poisonLent whether lent buffers are poisoned as their calls return
   * @param spinNanos how long each loop busy-polls after its last work before it blocks in
   *     select (0: it blocks at once, the default)
   * @throws IOException if a selector cannot be opened
   */
  public static <T> Transport<T> start(TransportConfig config, Codec<T> codec,
      ConnectionListener<T> listener, BiConsumer<Connection<?>, Throwable> errorHandler,
      int readLoops, int writeLoops, boolean handlersOnReadLoop,
      Map<SocketOption<?>, Object> socketOptions, PayloadHandler<T> payloadHandler,
      boolean poisonLent, long spinNanos) throws IOException {
    return new LoopTransport<>(config, codec, listener, errorHandler, readLoops, writeLoops,
        handlersOnReadLoop, socketOptions, Lending.of(payloadHandler, config, poisonLent),
        spinNanos);
  }
}
