package io.duplex.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.duplex.Connection;
import io.duplex.ConnectionListener;
import io.duplex.NodeId;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.codec.ByteArrayCodec;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class SmokeTest {
  @Test
  void shouldEchoOverLoopback() throws Exception {
    try (Transport<byte[]> server = NioTransport.builder(ByteArrayCodec.instance())
            .config(TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of("server")).build())
            .listener(new ConnectionListener<>() {
              @Override
              public void onOpen(Connection<byte[]> c) {
                c.onMessage((conn, m) -> conn.send(m));
              }
            })
            .build();
        Transport<byte[]> client = NioTransport.builder(ByteArrayCodec.instance())
            .config(TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of("client")).build())
            .build()) {
      InetSocketAddress at = server.listen(new InetSocketAddress("127.0.0.1", 0));
      Connection<byte[]> c = client.connect(at).get(10, TimeUnit.SECONDS);
      assertEquals(NodeId.of("server"), c.peer().nodeId());
      for (int i = 0; i < 1000; i++) {
        byte[] m = ("hello " + i).getBytes();
        c.send(m);
        assertArrayEquals(m, c.receive(Duration.ofSeconds(5)));
      }
      byte[] big = new byte[5_000_000];
      new java.util.Random(1).nextBytes(big);
      c.send(big).get(10, TimeUnit.SECONDS);
      assertArrayEquals(big, c.receive(Duration.ofSeconds(10)));
      Duration rtt = c.ping().get(5, TimeUnit.SECONDS);
      System.out.println("rtt " + rtt);
      c.close().get(10, TimeUnit.SECONDS);
    }
  }
}
