package io.duplex.nio;

import io.duplex.TransportConfig;
import io.duplex.internal.Wire;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A hostile peer on a plain socket: it handshakes, then sends PINGs as fast as the socket takes
 * them and never reads a byte (its receive buffer is small), so every PONG the other side owes
 * it stays with the other side. The flood runs on a thread of its own, bounded by a count; a
 * write that blocks because the other side stopped reading ends when {@link #close()} closes
 * the socket, or when the other side closes the connection.
 */
final class PingFlooder implements AutoCloseable {
  /** PINGs per write: 1,000 frames of 13 bytes. */
  private static final int PINGS_PER_WRITE = 1000;

  private final Socket socket;
  private final Thread thread;
  private final AtomicLong sent = new AtomicLong();
  private volatile long limit;
  private volatile boolean done;
  private volatile Throwable ended;

  /**
   * Connects to {@code server}, handshakes as node {@code nodeId} with codec "bytes" and reads
   * the server's handshake (the only bytes it ever reads). The server's connection to it is
   * open once {@code server.nextOpened()} returns it.
   */
  PingFlooder(InetSocketAddress server, String nodeId) throws IOException {
    socket = new Socket();
    socket.setReceiveBufferSize(4 * 1024); // before connect: the window it announces
    socket.connect(server, 5000);
    RawPeer raw = new RawPeer(socket);
    raw.sendHandshake(RawPeer.info(nodeId, TransportConfig.DEFAULT_NETWORK_ID, "bytes"));
    raw.readHandshake();
    thread = new Thread(this::flood, "ping-flooder-" + nodeId);
    thread.setDaemon(true);
  }

  /** Starts sending up to {@code pings} PINGs (rounded up to a whole write). */
  PingFlooder start(long pings) {
    this.limit = pings;
    thread.start();
    return this;
  }

  private void flood() {
    ByteBuffer chunk = ByteBuffer.allocate(PINGS_PER_WRITE * (Wire.HEADER_SIZE + 8));
    long id = 0;
    try {
      OutputStream out = socket.getOutputStream();
      while (sent.get() < limit) {
        chunk.clear();
        for (int i = 0; i < PINGS_PER_WRITE; i++) {
          chunk.putInt(Wire.TYPE_SIZE + 8).put(Wire.PING).putLong(++id);
        }
        out.write(chunk.array(), 0, chunk.position());
        sent.addAndGet(PINGS_PER_WRITE);
      }
    } catch (IOException | RuntimeException e) {
      ended = e; // the server closed the connection, or the test closed the socket
    } finally {
      done = true;
    }
  }

  /** PINGs the socket has taken so far. */
  long sent() {
    return sent.get();
  }

  /** True once the flood ended: all sent, or the connection failed. */
  boolean done() {
    return done;
  }

  /** Why the flood ended early (the connection failed), or null. */
  Throwable ended() {
    return ended;
  }

  @Override
  public void close() throws IOException {
    socket.close();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
