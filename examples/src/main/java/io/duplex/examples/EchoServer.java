package io.duplex.examples;

import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.ConnectionListener;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.security.KeyFileException;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.codec.Codec;
import io.duplex.codec.binary.ConsensusBinaryCodec;
import io.duplex.codec.json.JsonCodec;
import io.duplex.nio.NioTransport;
import java.io.IOException;
import java.io.PrintStream;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * {@code echo-server --port P [--host 127.0.0.1] [--codec json|binary|bytes] [--key FILE |
 * --insecure]}: sends every
 * message back on the connection it came from, until the process is stopped. SIGTERM or Ctrl-C
 * closes it gracefully: it stops listening and closes each connection after writing the echoes
 * already queued.
 *
 * <p>Output: exactly one line on stdout once it listens, {@code echo-server listening on
 * 127.0.0.1:9000 (codec json, node 3f2a...)}, with the real port when {@code --port 0} let the
 * system pick one, and the node id clients may expect ({@code --server-id}); {@code INSECURE
 * plaintext} in its place with {@code --insecure}. Connections are secure unless {@code
 * --insecure}: the identity key is {@code --key FILE} (created there, owner-only, if the file
 * does not exist), or a fresh one for this run.
 * Exit status: 1 if the address cannot be bound (one line on stderr), 2 for bad options.
 *
 * <p>Codecs: {@code json} (the default) and {@code binary} speak the consensus message family
 * ({@code io.duplex.codec.message}); {@code bytes} passes byte arrays through as they are. A
 * client must use the same codec: the handshake refuses a mismatch.
 */
final class EchoServer {
  static final String USAGE =
      "echo-server --port P [--host 127.0.0.1] [--codec json|binary|bytes] " + Security.USAGE;

  private EchoServer() {}

  /** A server that is listening: its address, and {@link #close()} to stop it. */
  static final class Running implements AutoCloseable {
    private final Transport<?> transport;
    private final InetSocketAddress address;
    private final CountDownLatch closed = new CountDownLatch(1);

    private Running(Transport<?> transport, InetSocketAddress address) {
      this.transport = transport;
      this.address = address;
    }

    /** The address it listens on, with the real port. */
    InetSocketAddress address() {
      return address;
    }

    /**
     * Stops listening and closes every connection gracefully, within the transport's close
     * timeout; {@link #run} then returns 0. Idempotent; any thread (the shutdown hook's, a
     * test's).
     */
    @Override
    public void close() {
      transport.close();
      closed.countDown();
    }
  }

  /**
   * The program: serves until SIGTERM or Ctrl-C (a shutdown hook closes the server), then returns
   * 0; returns 1 or 2 at once if it cannot start.
   */
  static int run(String[] args, PrintStream out, PrintStream err) {
    return run(args, out, err, server -> Runtime.getRuntime()
        .addShutdownHook(new Thread(server::close, "echo-server-shutdown")));
  }

  /**
   * As {@link #run(String[], PrintStream, PrintStream)}, but hands the server, once it listens,
   * to {@code started} instead of registering a shutdown hook: whoever gets it stops the server
   * with {@link Running#close()}. {@code started} runs before the line that says it listens is
   * printed, so that a SIGTERM sent by someone who read the line always finds the hook.
   */
  static int run(String[] args, PrintStream out, PrintStream err, Consumer<Running> started) {
    InetSocketAddress at;
    String codecName;
    TransportConfig config;
    try {
      Args a = Args.parse(args, Set.of("port", "host", "codec", "key"), Set.of("insecure"));
      int port = a.requiredInt("port", 0, 65535);
      at = new InetSocketAddress(a.string("host", "127.0.0.1"), port);
      codecName = a.oneOf("codec", "json", List.of("json", "binary", "bytes"));
      config = Security.config(a).build();
    } catch (Args.UsageException e) {
      err.println("echo-server: " + e.getMessage());
      err.println("usage: " + USAGE);
      return Args.USAGE_STATUS;
    } catch (KeyFileException e) {
      err.println("echo-server: " + e.getMessage());
      return 1;
    }
    if (at.isUnresolved()) {
      err.println("echo-server: cannot listen on " + at.getHostString() + ":" + at.getPort()
          + ": unknown host");
      return 1;
    }

    Running server;
    try {
      server = start(codec(codecName), at, config);
    } catch (IOException e) {
      err.println("echo-server: " + e.getMessage()); // "cannot listen on <address>: <reason>"
      return 1;
    } catch (RuntimeException e) {
      err.println("echo-server: cannot listen on " + at + ": " + e);
      return 1;
    }
    started.accept(server);
    out.println("echo-server listening on " + hostAndPort(server.address) + " (codec "
        + codecName + ", " + Security.describe(config) + ")");
    out.flush();

    try {
      server.closed.await();
    } catch (InterruptedException e) {
      server.close();
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  private static Codec<?> codec(String name) {
    return switch (name) {
      case "json" -> JsonCodec.consensus();
      case "binary" -> ConsensusBinaryCodec.instance();
      default -> ByteArrayCodec.instance();
    };
  }

  /** Starts a transport that echoes on every connection, and binds {@code at}. */
  private static <T> Running start(Codec<T> codec, InetSocketAddress at,
      TransportConfig config) throws IOException {
    Transport<T> transport = NioTransport.builder(codec)
        .config(config)
        .listener(new ConnectionListener<T>() {
          @Override
          public void onOpen(Connection<T> connection) {
            connection.onMessage(EchoServer::echo);
          }
        })
        .build();
    try {
      return new Running(transport, transport.listen(at));
    } catch (IOException | RuntimeException e) {
      transport.close();
      throw e;
    }
  }

  /**
   * Sends {@code message} back. Runs on the transport's handler threads (one connection's
   * messages one at a time, in order), where waiting is allowed: when the echoes queued for this
   * client pass the high water mark, because it sends faster than it reads, the handler waits
   * for this echo to be written. Meanwhile the connection's inbound queue fills, the transport
   * stops reading its socket, and TCP slows the client down. So no echo is ever dropped and the
   * server's memory stays bounded.
   *
   * <p>A send refused because the connection is closing (the server stops, or the client left)
   * is expected: the messages still arriving go unanswered and the close stays graceful. Any
   * other failure (timed out, refused) is thrown, which closes this connection and no other.
   */
  private static <T> void echo(Connection<T> connection, T message) {
    CompletableFuture<Void> sent = connection.send(message);
    if (connection.isWritable() && !sent.isCompletedExceptionally()) {
      return;
    }
    try {
      sent.join();
    } catch (CompletionException e) {
      if (!(e.getCause() instanceof ConnectionClosedException)) {
        throw e;
      }
    }
  }

  private static String hostAndPort(InetSocketAddress a) {
    String host = a.getAddress().getHostAddress();
    return (a.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort();
  }
}
