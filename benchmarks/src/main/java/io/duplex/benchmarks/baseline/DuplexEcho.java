package io.duplex.benchmarks.baseline;

import io.duplex.Connection;
import io.duplex.ConnectionListener;
import io.duplex.security.CipherSuite;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.benchmarks.Echo;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.nio.NioTransport;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * duplex ping-pong: the server echoes from a handler on its read loop (write-through, no
 * hand-off); the client sends (write-through) and takes the echo with a blocking receive.
 */
public final class DuplexEcho implements Echo {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private final Transport<byte[]> server;
  private final Transport<byte[]> client;
  private final Connection<byte[]> connection;

  /** Insecure plaintext, as the plaintext report compares. */
  public DuplexEcho() throws Exception {
    this(null);
  }

  /** Over the secure channel with {@code suite}, or plaintext if it is null. */
  public DuplexEcho(CipherSuite suite) throws Exception {
    this(suite, Duration.ZERO);
  }

  /**
   * Plaintext (or {@code suite}), every loop of both sides in the low-latency mode: busy-polling
   * for {@code busyPoll} after its last work ({@code NioTransport.Builder.busyPoll}).
   */
  public DuplexEcho(CipherSuite suite, Duration busyPoll) throws Exception {
    server = NioTransport.builder(ByteArrayCodec.instance()).busyPoll(busyPoll)
        .config(DuplexSecurity.config(suite, "server").build())
        .handlersOnReadLoop(true)
        .listener(new ConnectionListener<>() {
          @Override
          public void onOpen(Connection<byte[]> c) {
            c.onMessage((conn, m) -> conn.send(m));
          }
        }).build();
    InetSocketAddress at = server.listen(new InetSocketAddress("127.0.0.1", 0));
    client = NioTransport.builder(ByteArrayCodec.instance()).busyPoll(busyPoll)
        .config(DuplexSecurity.config(suite, "client").build()).build();
    connection = client.connect(at).get(10, TimeUnit.SECONDS);
  }

  @Override
  public void roundTrip(byte[] payload) throws Exception {
    connection.send(payload);
    connection.receive(TIMEOUT);
  }

  @Override
  public void close() {
    client.close();
    server.close();
  }
}
