package io.duplex.benchmarks.baseline;

import io.duplex.Connection;
import io.duplex.ConnectionListener;
import io.duplex.security.CipherSuite;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.benchmarks.Streams;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.nio.NioTransport;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * duplex as a user would stream raw frames: {@code sendLater} for a burst, one {@code flush}; the
 * server counts in a handler that runs on its read loop (no hand-off).
 */
public final class DuplexStreams implements Streams {
  private final Transport<byte[]> server;
  private final Transport<byte[]> client;
  private final List<Connection<byte[]>> connections = new ArrayList<>();
  // Written only by the server's single read loop.
  private volatile long received;

  /** Insecure plaintext streams, as the plaintext report compares. */
  public DuplexStreams(int count) throws Exception {
    this(count, null);
  }

  /** Streams over the secure channel with {@code suite}, or plaintext if it is null. */
  public DuplexStreams(int count, CipherSuite suite) throws Exception {
    TransportConfig serverConfig = DuplexSecurity.config(suite, "server").build();
    server = NioTransport.builder(ByteArrayCodec.instance()).config(serverConfig)
        .handlersOnReadLoop(true)
        .listener(new ConnectionListener<>() {
          @Override
          public void onOpen(Connection<byte[]> c) {
            c.onMessage((conn, m) -> received++);
          }
        }).build();
    InetSocketAddress at = server.listen(new InetSocketAddress("127.0.0.1", 0));
    client = NioTransport.builder(ByteArrayCodec.instance())
        .config(DuplexSecurity.config(suite, "client")
            .outboundHardLimit(256L << 20).highWaterMark(64L << 20).build())
        .build();
    for (int i = 0; i < count; i++) {
      connections.add(client.connect(at).get(10, TimeUnit.SECONDS));
    }
  }

  @Override
  @SuppressWarnings("NonAtomicVolatileUpdate")
  public void sendBatch(int connection, byte[] payload, int batch) {
    Connection<byte[]> c = connections.get(connection);
    for (int i = 0; i < batch; i++) {
      c.sendLater(payload);
    }
    c.flush();
  }

  @Override
  public long received() {
    return received;
  }

  @Override
  public void close() {
    client.close();
    server.close();
  }
}
