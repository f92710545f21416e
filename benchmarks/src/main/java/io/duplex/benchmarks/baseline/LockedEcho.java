package io.duplex.benchmarks.baseline;

import io.duplex.benchmarks.Echo;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * The locked design in ping-pong: the client sends and then receives under its connection's one
 * lock, in turn; the server echoes from a thread that blocks in receive.
 */
public final class LockedEcho implements Echo {
  private final ServerSocket server = new ServerSocket();
  private final LockedConnection client;
  private final LockedConnection serverSide;

  public LockedEcho() throws Exception {
    server.bind(new InetSocketAddress("127.0.0.1", 0));
    Socket s = new Socket();
    s.connect(server.getLocalSocketAddress(), 5000);
    client = new LockedConnection(s);
    serverSide = new LockedConnection(server.accept());
    Thread echo = new Thread(() -> {
      try {
        while (true) {
          serverSide.send(serverSide.receive());
        }
      } catch (Exception e) {
        // closed
      }
    }, "locked-echo");
    echo.setDaemon(true);
    echo.start();
  }

  @Override
  public void roundTrip(byte[] payload) throws Exception {
    client.send(payload);
    client.receive();
  }

  @Override
  public void close() {
    try {
      client.close();
      serverSide.close();
      server.close();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
