package io.duplex.nio;

import io.duplex.Connection;
import io.duplex.ConnectionListener;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.TransportFactory;
import io.duplex.codec.Codec;
import io.duplex.nio.internal.LoopTransports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * Builds duplex's NIO {@link Transport}: every connection is split into a read half, served by
 * a read loop (a thread with its own {@link java.nio.channels.Selector}), and a write half, which
 * senders write through directly while the socket keeps up and a separate write loop (another
 * thread and selector) flushes when it does not. A send never waits for a receive, and a slow
 * peer only slows itself.
 *
 * <pre>{@code
 * Transport<byte[]> transport = NioTransport.builder(ByteArrayCodec.instance())
 *     .config(TransportConfig.builder().networkId("testnet").build())
 *     .listener(new ConnectionListener<>() {
 *       public void onOpen(Connection<byte[]> c) {
 *         c.onMessage((conn, msg) -> conn.send(msg)); // echo
 *       }
 *     })
 *     .build();
 * transport.listen(new InetSocketAddress("127.0.0.1", 9000));
 * }</pre>
 *
 * <p>By default the transport runs one read loop and one write loop whatever the number of
 * connections; on bigger machines raise them with {@link Builder#readLoops} and {@link
 * Builder#writeLoops}, and connections are spread across them. docs/THREADING.md names every
 * thread and what it owns.
 */
public final class NioTransport {
  private NioTransport() {}

  /** A builder for a transport whose messages {@code codec} encodes. */
  public static <T> Builder<T> builder(Codec<T> codec) {
    return new Builder<>(Objects.requireNonNull(codec, "codec"));
  }

  /**
   * Settings of an NIO transport beyond the transport-independent {@link TransportConfig}. Not
   * thread-safe.
   *
   * @param <T> the message type
   */
  public static final class Builder<T> {
    private final Codec<T> codec;
    private TransportConfig config;
    private ConnectionListener<T> listener = new ConnectionListener<T>() {};
    private BiConsumer<Connection<?>, Throwable> errorHandler;
    private int readLoops = 1;
    private int writeLoops = 1;

    private Builder(Codec<T> codec) {
      this.codec = codec;
    }

    /** The configuration; default {@link TransportConfig#defaults()}. */
    public Builder<T> config(TransportConfig config) {
      this.config = Objects.requireNonNull(config, "config");
      return this;
    }

    /** Hears every connection's open, writability changes and close; default: none. */
    public Builder<T> listener(ConnectionListener<T> listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Gets every error the transport meets (a connection's cause of close, a failed accept), with
     * the connection concerned or null. Runs on the thread that met the error, so it must be
     * quick and must not block. Errors are also logged through slf4j (debug for I/O and protocol
     * errors, warn for anything unexpected). Default: none.
     */
    public Builder<T> errorHandler(BiConsumer<Connection<?>, Throwable> errorHandler) {
      this.errorHandler = Objects.requireNonNull(errorHandler, "errorHandler");
      return this;
    }

    /** Read loops (threads with a read selector each); default 1. */
    public Builder<T> readLoops(int readLoops) {
      if (readLoops <= 0) {
        throw new IllegalArgumentException("readLoops <= 0: " + readLoops);
      }
      this.readLoops = readLoops;
      return this;
    }

    /** Write loops (threads with a write selector each); default 1. */
    public Builder<T> writeLoops(int writeLoops) {
      if (writeLoops <= 0) {
        throw new IllegalArgumentException("writeLoops <= 0: " + writeLoops);
      }
      this.writeLoops = writeLoops;
      return this;
    }

    /**
     * A factory that builds a transport with these settings and the listener it is given, for a
     * {@link io.duplex.PeerNode}, which is its transport's listener. Later changes to this builder
     * do not affect the factory.
     */
    public TransportFactory<T> factory() {
      TransportConfig c = config != null ? config : TransportConfig.defaults();
      BiConsumer<Connection<?>, Throwable> errors = errorHandler;
      int reads = readLoops;
      int writes = writeLoops;
      return listener -> {
        Builder<T> b = new Builder<>(codec).config(c).listener(listener).readLoops(reads)
            .writeLoops(writes);
        if (errors != null) {
          b.errorHandler(errors);
        }
        return b.build();
      };
    }

    /**
     * Starts the transport's threads and returns it; it accepts nothing until {@link
     * Transport#listen} and dials nothing until {@link Transport#connect}.
     *
     * @throws UncheckedIOException if a selector cannot be opened (out of file descriptors)
     */
    public Transport<T> build() {
      try {
        return LoopTransports.start(config != null ? config : TransportConfig.defaults(), codec,
            listener, errorHandler, readLoops, writeLoops);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open a selector: " + e.getMessage(), e);
      }
    }
  }
}
