package io.duplex.nio;

import io.duplex.Connection;
import io.duplex.ConnectionListener;
import io.duplex.PayloadHandler;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.TransportFactory;
import io.duplex.codec.Codec;
import io.duplex.nio.internal.LoopTransports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
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
 * thread and what it owns. The other settings that belong to this transport and not to every
 * transport (where handlers run, socket options) are on the {@link Builder} too; the rest is the
 * {@link TransportConfig}.
 */
public final class NioTransport {
  /** The system property that turns {@link Builder#poisonLentBuffers} on by default. */
  public static final String POISON_PROPERTY = "duplex.poisonLentBuffers";

  private NioTransport() {}

  /** A builder for a transport whose messages {@code codec} encodes. */
  public static <T> Builder<T> builder(Codec<T> codec) {
    return new Builder<>(Objects.requireNonNull(codec, "codec"));
  }

  /**
   * Settings of an NIO transport beyond the transport-independent {@link TransportConfig}: its
   * threads (loops, and whether handlers run on the read loop) and the options of its sockets.
   * Each setter checks its own argument, with a message that names the setting and the value.
   * Not thread-safe.
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
    private boolean handlersOnReadLoop;
    private int sendBufferSize;
    private int receiveBufferSize;
    private boolean tcpNoDelay = true;
    private PayloadHandler<T> payloadHandler;
    private Duration busyPoll = Duration.ZERO;
    private boolean poisonLentBuffers = Boolean.getBoolean(POISON_PROPERTY);

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
     * Whether message handlers and listener callbacks run on the read loop itself instead of on
     * the handler threads (or the {@link TransportConfig#handlerExecutor()}). Faster, with no
     * hand-off, but a handler that blocks then stalls every connection of that loop, and its
     * time counts against the {@link TransportConfig#frameReadTimeout()} of those connections.
     * Default false.
     */
    public Builder<T> handlersOnReadLoop(boolean handlersOnReadLoop) {
      this.handlersOnReadLoop = handlersOnReadLoop;
      return this;
    }

    /**
     * SO_SNDBUF for every socket, dialed or accepted, or 0 for the operating system's default.
     * Default 0.
     */
    public Builder<T> sendBufferSize(int sendBufferSize) {
      if (sendBufferSize < 0) {
        throw new IllegalArgumentException("sendBufferSize < 0: " + sendBufferSize);
      }
      this.sendBufferSize = sendBufferSize;
      return this;
    }

    /**
     * SO_RCVBUF for every socket, dialed or accepted, or 0 for the operating system's default.
     * Default 0.
     */
    public Builder<T> receiveBufferSize(int receiveBufferSize) {
      if (receiveBufferSize < 0) {
        throw new IllegalArgumentException("receiveBufferSize < 0: " + receiveBufferSize);
      }
      this.receiveBufferSize = receiveBufferSize;
      return this;
    }

    /**
     * Receives every message of every connection as its payload bytes, lent for the duration of
     * the call, on the read loop: the lent receive path, with no decoded message and no copy
     * (see {@link PayloadHandler} for the rules of the lent buffer and the threads). {@link
     * Connection#receive} and {@link Connection#onMessage} then throw {@link
     * IllegalStateException}; the codec still encodes what this side sends. Default none:
     * messages are decoded with the codec.
     */
    public Builder<T> payloadHandler(PayloadHandler<T> payloadHandler) {
      this.payloadHandler = Objects.requireNonNull(payloadHandler, "payloadHandler");
      return this;
    }

    /**
     * A debug switch: when a {@link PayloadHandler} call (or a codec's {@code decode}) returns,
     * the bytes of the buffer it was lent are overwritten with {@code 0xDD} and the buffer is
     * emptied (limit 0), so code that keeps a lent buffer fails loudly: reading the kept buffer
     * throws, and a kept slice or array reads {@code 0xDD} bytes. It costs a buffer and a pass
     * over the bytes per message: for tests, not production. Default: the system property
     * {@value #POISON_PROPERTY} ({@code -D}{@value #POISON_PROPERTY}{@code =true}), false if
     * unset.
     */
    public Builder<T> poisonLentBuffers(boolean poisonLentBuffers) {
      this.poisonLentBuffers = poisonLentBuffers;
      return this;
    }

    /**
     * The low-latency mode: after each pass that found work, every loop (read and write) keeps
     * polling its selector and its queue without blocking for up to {@code busyPoll}, and only
     * then blocks in {@code select()}, as an Aeron idle strategy spins before it parks. A message
     * that arrives while a loop polls is handled without a thread wake-up, and a sender that
     * hands work to a polling loop makes no wake-up system call, so round trips get shorter. The
     * cost: each loop keeps a CPU busy for {@code busyPoll} after the last message it saw, so
     * give it cores to spare (at least one per loop). Default {@link Duration#ZERO}: loops block
     * at once.
     *
     * @throws IllegalArgumentException if negative or over one second
     */
    public Builder<T> busyPoll(Duration busyPoll) {
      Objects.requireNonNull(busyPoll, "busyPoll");
      if (busyPoll.isNegative() || busyPoll.compareTo(Duration.ofSeconds(1)) > 0) {
        throw new IllegalArgumentException("busyPoll must be 0 to 1 s, was " + busyPoll
            + " (a loop that never blocks keeps its CPU busy for good)");
      }
      this.busyPoll = busyPoll;
      return this;
    }

    /** TCP_NODELAY for every socket. Default true: frames go out without Nagle's delay. */
    public Builder<T> tcpNoDelay(boolean tcpNoDelay) {
      this.tcpNoDelay = tcpNoDelay;
      return this;
    }

    /**
     * A factory that builds a transport with these settings and the listener it is given, for a
     * {@link io.duplex.peer.PeerNode}, which is its transport's listener. Later changes to this builder
     * do not affect the factory.
     */
    public TransportFactory<T> factory() {
      if (payloadHandler != null) {
        throw new IllegalStateException("a PeerNode receives decoded messages through its own"
            + " handler, and this builder has a payloadHandler (the lent receive path); build"
            + " the factory without payloadHandler");
      }
      Builder<T> copy = new Builder<>(codec);
      copy.config = config != null ? config : TransportConfig.defaults();
      copy.errorHandler = errorHandler;
      copy.readLoops = readLoops;
      copy.writeLoops = writeLoops;
      copy.handlersOnReadLoop = handlersOnReadLoop;
      copy.sendBufferSize = sendBufferSize;
      copy.receiveBufferSize = receiveBufferSize;
      copy.tcpNoDelay = tcpNoDelay;
      copy.poisonLentBuffers = poisonLentBuffers;
      copy.busyPoll = busyPoll;
      return listener -> copy.start(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Starts the transport's threads and returns it; it accepts nothing until {@link
     * Transport#listen} and dials nothing until {@link Transport#connect}.
     *
     * @throws UncheckedIOException if a selector cannot be opened (out of file descriptors)
     */
    public Transport<T> build() {
      return start(listener);
    }

    private Transport<T> start(ConnectionListener<T> listener) {
      try {
        return LoopTransports.start(config != null ? config : TransportConfig.defaults(), codec,
            listener, errorHandler, readLoops, writeLoops, handlersOnReadLoop, socketOptions(),
            payloadHandler, poisonLentBuffers, busyPoll.toNanos());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open a selector: " + e.getMessage(), e);
      }
    }

    /** The options set on every socket: TCP_NODELAY, and the buffer sizes that are not 0. */
    private Map<SocketOption<?>, Object> socketOptions() {
      Map<SocketOption<?>, Object> options = new LinkedHashMap<>();
      options.put(StandardSocketOptions.TCP_NODELAY, tcpNoDelay);
      if (sendBufferSize > 0) {
        options.put(StandardSocketOptions.SO_SNDBUF, sendBufferSize);
      }
      if (receiveBufferSize > 0) {
        options.put(StandardSocketOptions.SO_RCVBUF, receiveBufferSize);
      }
      return options;
    }
  }
}
