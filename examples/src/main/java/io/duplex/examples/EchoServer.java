package io.duplex.examples;

import io.duplex.Connection;
import io.duplex.ConnectionListener;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.nio.NioTransport;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code echo-server --port P [--host 127.0.0.1] [--codec json|binary|bytes]}: echoes every
 * message back on the connection it came from, until stopped (SIGTERM or Ctrl-C close it
 * gracefully). Prints one line once it listens.
 */
final class EchoServer {
  static final String USAGE =
      "echo-server --port P [--host 127.0.0.1] [--codec json|binary|bytes]";

  private EchoServer() {}

  /** A running server: where it listens, and how to stop it. */
  static final class Running implements AutoCloseable {
    final InetSocketAddress address;
    private final Transport<?> transport;
    private final CountDownLatch stopped = new CountDownLatch(1);

    private Running(InetSocketAddress address, Transport<?> transport) {
      this.address = address;
      this.transport = transport;
    }

    /** Closes every connection gracefully and stops the transport. Idempotent. */
    @Override
    public void close() {
      transport.close();
      stopped.countDown();
    }

    void awaitStop() throws InterruptedException {
      stopped.await();
    }
  }

  /** Parses the options, starts the server and prints its one line. */
  static Running start(String[] args, PrintStream out) throws Args.UsageException, IOException {
    Args a = Args.parse(args, Set.of("port", "host", "codec"));
    if (!a.has("port")) {
      throw new Args.UsageException("--port is required");
    }
    int port = a.integer("port", 0, 0, 65535);
    String host = a.string("host", "127.0.0.1");
    String codecName = a.string("codec", "json");
    EchoCodecs.Kind<?> kind = EchoCodecs.named(codecName);
    return start(kind, new InetSocketAddress(host, port), codecName, out);
  }

  private static <T> Running start(EchoCodecs.Kind<T> kind, InetSocketAddress at, String codec,
      PrintStream out) throws IOException {
    Transport<T> transport = NioTransport.builder(kind.codec())
        .config(TransportConfig.defaults())
        .listener(new ConnectionListener<>() {
          @Override
          public void onOpen(Connection<T> c) {
            c.onMessage((conn, message) -> conn.send(message));
          }
        })
        .build();
    InetSocketAddress bound;
    try {
      bound = transport.listen(at);
    } catch (IOException e) {
      transport.close();
      throw e;
    }
    out.println("echo-server listening on " + bound.getHostString() + ":" + bound.getPort()
        + " (codec " + codec + ")");
    out.flush();
    return new Running(bound, transport);
  }

  /** The program: runs until SIGTERM or Ctrl-C; returns the exit status. */
  static int run(String[] args, PrintStream out, PrintStream err) throws InterruptedException {
    Running server;
    try {
      server = start(args, out);
    } catch (Args.UsageException e) {
      err.println("echo-server: " + e.getMessage());
      err.println("usage: " + USAGE);
      return 2;
    } catch (IOException e) {
      err.println("echo-server: " + e.getMessage());
      return 1;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "echo-server-shutdown"));
    server.awaitStop();
    return 0;
  }
}
