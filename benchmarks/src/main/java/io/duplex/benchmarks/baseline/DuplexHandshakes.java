package io.duplex.benchmarks.baseline;

import io.duplex.Connection;
import io.duplex.ConnectionListener;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.benchmarks.Handshakes;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.nio.NioTransport;
import io.duplex.security.CipherSuite;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * duplex's secure handshake, for {@code TlsHandshakeBenchmark}: a client transport dials a
 * server transport; a connection counts once both ends have opened it (each authenticated the
 * other), then the client aborts it (no close handshake: the handshake is what is measured).
 */
public final class DuplexHandshakes implements Handshakes {
  private final Transport<byte[]> server;
  private final Transport<byte[]> client;
  private final InetSocketAddress at;
  private final BlockingQueue<Connection<byte[]>> serverOpened = new LinkedBlockingQueue<>();

  public DuplexHandshakes(CipherSuite suite) throws Exception {
    server = NioTransport.builder(ByteArrayCodec.instance())
        .config(TransportConfig.builder().cipherSuite(suite).build())
        .listener(new ConnectionListener<>() {
          @Override
          public void onOpen(Connection<byte[]> c) {
            serverOpened.add(c);
          }
        }).build();
    at = server.listen(new InetSocketAddress("127.0.0.1", 0));
    client = NioTransport.builder(ByteArrayCodec.instance())
        .config(TransportConfig.builder().cipherSuite(suite).build()).build();
  }

  @Override
  public void connectAndClose() throws Exception {
    Connection<byte[]> c = client.connect(at).get(10, TimeUnit.SECONDS);
    try {
      if (serverOpened.poll(10, TimeUnit.SECONDS) == null) {
        throw new IllegalStateException("the server opened no connection within 10 s");
      }
    } finally {
      c.abort();
    }
  }

  @Override
  public void close() {
    client.close();
    server.close();
  }
}
