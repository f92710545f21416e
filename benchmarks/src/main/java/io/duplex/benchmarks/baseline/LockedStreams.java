package io.duplex.benchmarks.baseline;

import io.duplex.benchmarks.Streams;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The locked design streaming: a burst written and flushed under the connection's one lock; on
 * the server, one reader thread per connection polls for whole frames under that connection's
 * lock (see {@link LockedConnection#receiveIfAvailable()}).
 */
public final class LockedStreams implements Streams {
  private final ServerSocket server = new ServerSocket();
  private final List<LockedConnection> clients = new ArrayList<>();
  private final List<LockedConnection> accepted = new ArrayList<>();
  private final AtomicLong received = new AtomicLong();
  private volatile boolean running = true;

  public LockedStreams(int count) throws Exception {
    server.bind(new InetSocketAddress("127.0.0.1", 0));
    for (int i = 0; i < count; i++) {
      Socket s = new Socket();
      s.connect(server.getLocalSocketAddress(), 5000);
      clients.add(new LockedConnection(s));
      LockedConnection in = new LockedConnection(server.accept());
      accepted.add(in);
      Thread reader = new Thread(() -> {
        try {
          while (running) {
            if (in.receiveIfAvailable() != null) {
              received.incrementAndGet();
            } else {
              LockSupport.parkNanos(20_000);
            }
          }
        } catch (Exception e) {
          // closed
        }
      }, "locked-reader-" + i);
      reader.setDaemon(true);
      reader.start();
    }
  }

  @Override
  public void sendBatch(int connection, byte[] payload, int batch) {
    try {
      clients.get(connection).send(payload, batch);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Override
  public long received() {
    return received.get();
  }

  @Override
  public void close() {
    running = false;
    try {
      for (LockedConnection c : clients) {
        c.close();
      }
      for (LockedConnection c : accepted) {
        c.close();
      }
      server.close();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
