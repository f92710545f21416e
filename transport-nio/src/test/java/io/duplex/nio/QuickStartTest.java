package io.duplex.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.ConnectionListener;
import io.duplex.NodeId;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.security.Identity;
import io.duplex.codec.ByteArrayCodec;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's quick start, as written there, so it stays true. */
@Timeout(30)
class QuickStartTest {
  @Test
  void shouldRunTheReadmeQuickStart() throws Exception {
    CompletableFuture<Throwable> sent = new CompletableFuture<>();
    // --- from README.md ---
    // A server that echoes every message back on its connection. Secure by default: a fresh
    // identity key (load one with Identity.loadOrGenerate(path) for a stable node id).
    Transport<byte[]> server = NioTransport.builder(ByteArrayCodec.instance())
        .config(TransportConfig.builder().identity(Identity.generate()).build())
        .listener(new ConnectionListener<>() {
          @Override
          public void onOpen(Connection<byte[]> c) {
            c.onMessage((conn, message) -> conn.send(message)); // push: a handler per connection
          }
        })
        .build();
    InetSocketAddress address = server.listen(new InetSocketAddress("127.0.0.1", 0));

    // A client: connect (handshake included), send without blocking, receive by pull.
    Transport<byte[]> client = NioTransport.builder(ByteArrayCodec.instance()).build();
    Connection<byte[]> connection = client.connect(address).join();
    NodeId serverId = connection.peer().nodeId();       // authenticated: the server's key
    connection.send("hello".getBytes())                 // returns at once
        .whenComplete((v, error) -> sent.complete(error));
    byte[] echo = connection.receive(Duration.ofSeconds(5));
    Duration rtt = connection.ping().join();

    connection.close().join();                          // drains what is queued, then closes
    client.close();
    server.close();
    // --- end ---
    assertNull(sent.get());
    assertEquals(server.config().nodeId(), serverId);
    assertArrayEquals("hello".getBytes(), echo);
    assertTrue(!rtt.isNegative());
  }
}
