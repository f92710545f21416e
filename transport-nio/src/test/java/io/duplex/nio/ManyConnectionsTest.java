package io.duplex.nio;

import static io.duplex.nio.Peers.duplexThreads;
import static io.duplex.nio.Peers.node;
import static io.duplex.nio.Peers.openDescriptors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.duplex.Connection;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Many connections on the default one read loop and one write loop, and nothing left after. */
@Timeout(120)
class ManyConnectionsTest {
  private static final int CONNECTIONS = 1_000;

  @Test
  void shouldServeAThousandConnectionsAndLeaveNoThreadSelectorOrDescriptorBehind()
      throws Exception {
    Assumptions.assumeTrue(openDescriptors() > 0, "needs /proc/self/fd to count descriptors");
    warmUp(); // the JDK opens a few descriptors once per process (class files, NIO's close pipe)
    Peers.await("threads of earlier tests to end", 30, () -> duplexThreads() == 0);
    long descriptorsBefore = openDescriptors();

    try (Peers.Node server = node("server", b -> b.maxInboundConnectionsPerAddress(CONNECTIONS),
            c -> c.onMessage((conn, m) -> conn.send(m))).listen(); // all from 127.0.0.1
        Peers.Node client = node("client")) {
      List<CompletableFuture<Connection<byte[]>>> dialing = new ArrayList<>();
      for (int i = 0; i < CONNECTIONS; i++) {
        dialing.add(client.transport.connect(server.address));
      }
      List<Connection<byte[]>> connections = new ArrayList<>();
      for (CompletableFuture<Connection<byte[]>> f : dialing) {
        connections.add(f.get(30, TimeUnit.SECONDS));
      }
      for (int i = 0; i < CONNECTIONS; i++) {
        connections.get(i).send(ByteBuffer.allocate(64).putInt(i).array());
      }
      for (int i = 0; i < CONNECTIONS; i++) {
        byte[] echo = connections.get(i).receive(Duration.ofSeconds(30));
        assertEquals(i, ByteBuffer.wrap(echo).getInt(), "echo on connection " + i);
      }
      // Both sides at once: a second round in the other direction.
      List<Connection<byte[]>> accepted = server.transport.connections();
      assertEquals(CONNECTIONS, accepted.size());
      assertEquals(CONNECTIONS, client.transport.connections().size());
      assertEquals(2 * 3, duplexThreads() - handlerThreads(),
          "two loops and a timer per transport, whatever the number of connections");
      byte[] hello = {1, 2, 3};
      connections.get(0).send(hello);
      assertArrayEquals(hello, connections.get(0).receive(Duration.ofSeconds(10)));
    }

    Peers.await("every duplex thread to end", 30, () -> duplexThreads() == 0);
    Peers.await("descriptors back to " + descriptorsBefore + " (now " + openDescriptors() + ")",
        30, () -> openDescriptors() <= descriptorsBefore);
  }

  /** One small round of everything the real test does, so one-time descriptors open first. */
  static void warmUp() throws Exception {
    try (Peers.Node server = node("warm-server", b -> { }, c -> c.onMessage((conn, m) ->
            conn.send(m))).listen();
        Peers.Node client = node("warm-client")) {
      Connection<byte[]> c = client.connect(server);
      c.send(new byte[64]);
      assertEquals(64, c.receive(Duration.ofSeconds(10)).length);
      assertEquals(1, server.transport.connections().size());
    }
  }

  private static long handlerThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().contains("-handler-")).count();
  }
}
