package io.duplex.nio;

import io.duplex.TransportConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A deliberately slow peer on a plain socket: handshakes, then reads 4 KiB and sleeps 50 ms, in
 * a loop, like a peer on a poor link. Counts the bytes it read.
 */
final class SlowReader implements AutoCloseable {
  private final Socket socket;
  private final Thread reader;
  private volatile long bytesRead;

  SlowReader(InetSocketAddress hub, String nodeId) throws IOException {
    socket = new Socket();
    socket.setReceiveBufferSize(16 * 1024);
    socket.connect(hub, 5000);
    RawPeer raw = new RawPeer(socket);
    raw.sendHandshake(RawPeer.info(nodeId, TransportConfig.DEFAULT_NETWORK_ID, "bytes"));
    reader = new Thread(this::readSlowly, "slow-reader-" + nodeId);
    reader.setDaemon(true);
    reader.start();
  }

  private void readSlowly() {
    byte[] chunk = new byte[4096];
    try {
      InputStream in = socket.getInputStream();
      while (true) {
        int n = in.read(chunk);
        if (n < 0) {
          return;
        }
        bytesRead += n;
        Thread.sleep(50); // the point of this peer: it is slow
      }
    } catch (IOException | InterruptedException e) {
      // closed by the test or the hub
    }
  }

  long bytesRead() {
    return bytesRead;
  }

  @Override
  public void close() throws IOException {
    reader.interrupt();
    socket.close();
  }
}
