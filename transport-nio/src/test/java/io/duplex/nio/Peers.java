package io.duplex.nio;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.ConnectionListener;
import io.duplex.NodeId;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.codec.Codec;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Test fixtures: byte-array transports on 127.0.0.1 that record what their listener hears, and
 * a deadline-bound wait for conditions (never a sleep).
 */
final class Peers {
  static final InetSocketAddress ANY_LOCAL = new InetSocketAddress("127.0.0.1", 0);

  private Peers() {}

  /**
   * A transport of {@code T} messages on any codec, and everything its listener and error
   * handler heard.
   */
  static class CodecNode<T> implements AutoCloseable {
    final Transport<T> transport;
    final BlockingQueue<Connection<T>> opened = new LinkedBlockingQueue<>();
    final BlockingQueue<Connection<T>> closed = new LinkedBlockingQueue<>();
    final List<ConnectionClosedException> closeCauses = new CopyOnWriteArrayList<>();
    final List<Boolean> writability = new CopyOnWriteArrayList<>();
    final List<Throwable> errors = new CopyOnWriteArrayList<>();
    /** What {@code onHandshakeFailed} was given, in order. */
    final List<Throwable> handshakeFailures = new CopyOnWriteArrayList<>();
    InetSocketAddress address;

    CodecNode(String name, Codec<T> codec, Consumer<TransportConfig.Builder> settings,
        Consumer<NioTransport.Builder<T>> nio, Consumer<Connection<T>> onOpen) {
      this(name, codec, settings, nio, onOpen, false);
    }

    CodecNode(String name, Codec<T> codec, Consumer<TransportConfig.Builder> settings,
        Consumer<NioTransport.Builder<T>> nio, Consumer<Connection<T>> onOpen, boolean secure) {
      TransportConfig.Builder b = secure ? TransportConfig.builder()
          : TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of(name));
      settings.accept(b);
      NioTransport.Builder<T> t = NioTransport.builder(codec);
      nio.accept(t);
      transport = t
          .config(b.build())
          .errorHandler((c, e) -> errors.add(e))
          .listener(new ConnectionListener<>() {
            @Override
            public void onHandshakeFailed(InetSocketAddress remote, boolean dialed,
                Throwable cause) {
              handshakeFailures.add(cause);
            }

            @Override
            public void onOpen(Connection<T> c) {
              onOpen.accept(c);
              opened.add(c);
            }

            @Override
            public void onWritabilityChanged(Connection<T> c, boolean writable) {
              writability.add(writable);
            }

            @Override
            public void onClose(Connection<T> c, ConnectionClosedException cause) {
              closeCauses.add(cause);
              closed.add(c);
            }
          })
          .build();
    }

    CodecNode<T> listen() throws Exception {
      address = transport.listen(ANY_LOCAL);
      return this;
    }

    Connection<T> connect(CodecNode<?> other) throws Exception {
      return transport.connect(other.address).get(10, TimeUnit.SECONDS);
    }

    /** The next connection this node accepted (or opened), waiting up to 10 s. */
    Connection<T> nextOpened() throws InterruptedException {
      Connection<T> c = opened.poll(10, TimeUnit.SECONDS);
      assertNotNull(c, "no connection opened within 10 s");
      return c;
    }

    @Override
    public void close() {
      transport.close();
    }
  }

  /** A node of byte-array messages ({@link ByteArrayCodec}), the codec most tests use. */
  static final class Node extends CodecNode<byte[]> {
    Node(String name, Consumer<TransportConfig.Builder> settings,
        Consumer<NioTransport.Builder<byte[]>> nio, Consumer<Connection<byte[]>> onOpen) {
      super(name, ByteArrayCodec.instance(), settings, nio, onOpen);
    }

    Node(String name, Consumer<TransportConfig.Builder> settings,
        Consumer<NioTransport.Builder<byte[]>> nio, Consumer<Connection<byte[]>> onOpen,
        boolean secure) {
      super(name, ByteArrayCodec.instance(), settings, nio, onOpen, secure);
    }

    @Override
    Node listen() throws Exception {
      super.listen();
      return this;
    }
  }

  /** A node of {@code codec}'s messages. */
  static <T> CodecNode<T> node(String name, Codec<T> codec,
      Consumer<TransportConfig.Builder> settings, Consumer<Connection<T>> onOpen) {
    return new CodecNode<>(name, codec, settings, t -> { }, onOpen);
  }

  static Node node(String name) {
    return new Node(name, b -> { }, t -> { }, c -> { });
  }

  static Node node(String name, Consumer<TransportConfig.Builder> settings) {
    return new Node(name, settings, t -> { }, c -> { });
  }

  static Node node(String name, Consumer<TransportConfig.Builder> settings,
      Consumer<Connection<byte[]>> onOpen) {
    return new Node(name, settings, t -> { }, onOpen);
  }

  /**
   * A node with {@code settings} and the NIO transport's own settings {@code nio} (socket
   * buffers, handlers on the read loop).
   */
  static Node node(String name, Consumer<TransportConfig.Builder> settings,
      Consumer<NioTransport.Builder<byte[]>> nio, Consumer<Connection<byte[]>> onOpen) {
    return new Node(name, settings, nio, onOpen);
  }

  /** Waits until {@code condition} holds, failing with {@code what} after {@code seconds}. */
  static void await(String what, long seconds, BooleanSupplier condition) {
    awaitMillis(what, TimeUnit.SECONDS.toMillis(seconds), condition);
  }

  /** Waits until {@code condition} holds, failing with {@code what} after {@code millis}. */
  static void awaitMillis(String what, long millis, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + millis + " ms waiting for: " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // poll, bounded by the deadline
    }
  }

  /** Waits until {@code node} reported an error that {@code what} matches, and returns it. */
  static Throwable awaitError(CodecNode<?> node, Predicate<Throwable> what) {
    await("the expected error", 10, () -> node.errors.stream().anyMatch(what));
    return node.errors.stream().filter(what).findFirst().orElseThrow();
  }

  /** True if {@code t} or one of its causes is a {@code type}. */
  static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return true;
      }
    }
    return false;
  }

  /** Descriptors this process has open, or -1 where /proc/self/fd is missing. */
  static long openDescriptors() {
    String[] fds = new java.io.File("/proc/self/fd").list();
    return fds == null ? -1 : fds.length;
  }

  /** Live threads of any duplex transport in this JVM (named {@code duplex-...}). */
  static long duplexThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith("duplex-")).count();
  }

  static byte[] bytes(int size, int seed) {
    byte[] b = new byte[size];
    new java.util.Random(seed).nextBytes(b);
    return b;
  }
}
