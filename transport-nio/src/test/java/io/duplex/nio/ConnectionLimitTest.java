package io.duplex.nio;

import static io.duplex.nio.Peers.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.ConnectionListener;
import io.duplex.NodeId;
import io.duplex.PeerInfo;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.TransportStats;
import io.duplex.codec.ByteArrayCodec;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The inbound connection limits: the total and per remote address, each refusal counted and
 * logged in few lines, and every slot given back exactly once however the connection ends.
 * Sources are distinct addresses of 127.0.0.0/8, each of which counts apart.
 */
@Timeout(60)
class ConnectionLimitTest {
  private static final PeerInfo HONEST =
      RawPeer.info("raw", TransportConfig.DEFAULT_NETWORK_ID, "bytes");

  /** A raw peer from {@code ip} that completes the handshake: it was admitted. */
  private static RawPeer admitted(String ip, InetSocketAddress to) throws IOException {
    RawPeer p = RawPeer.from(ip, to);
    p.sendHandshake(HONEST).readHandshake();
    return p;
  }

  /** A connection from {@code ip} is reset or closed before a single byte comes back. */
  static void assertRefused(String ip, InetSocketAddress to) throws IOException {
    RawPeer refused;
    try {
      refused = RawPeer.from(ip, to);
    } catch (SocketException reset) {
      return; // the reset came back before connect() returned: refused all the same
    }
    try (RawPeer p = refused) {
      InputStream in = p.socket.getInputStream();
      try {
        assertEquals(-1, in.read(), "a refused connection gets no handshake, only its end");
      } catch (SocketException reset) {
        // refused with a reset: as expected
      } catch (SocketTimeoutException e) {
        throw new AssertionError("a connection from " + ip + " over the limit was not closed");
      }
    }
  }

  private static TransportStats stats(Peers.Node n) {
    return n.transport.stats();
  }

  @Test
  void shouldRefuseConnectionsOverThePerAddressAndTotalLimitsAndAcceptAgainOnceSlotsFree()
      throws Exception {
    try (LogCapture log = new LogCapture();
        Peers.Node server = node("server", b -> b.maxInboundConnections(3)
            .maxInboundConnectionsPerAddress(2)).listen()) {
      RawPeer a1 = admitted("127.0.0.2", server.address);
      RawPeer a2 = admitted("127.0.0.2", server.address);
      assertRefused("127.0.0.2", server.address); // third from one address, limit 2
      assertEquals(1, stats(server).refusedByLimit());
      RawPeer b1 = admitted("127.0.0.3", server.address); // another address: fine
      assertRefused("127.0.0.4", server.address); // fourth in all, limit 3
      assertEquals(2, stats(server).refusedByLimit());
      assertEquals(3, stats(server).inboundConnections());
      assertEquals(3, stats(server).accepted());

      a1.close(); // its slot comes back once the server has seen the end
      Peers.await("a1's slot back", 10, () -> stats(server).inboundConnections() == 2);
      RawPeer a3 = admitted("127.0.0.2", server.address);
      assertRefused("127.0.0.5", server.address); // full again
      assertEquals(3, stats(server).refusedByLimit());

      Peers.await("every refusal accounted for in the log", 10,
          () -> log.refusalsLogged() == 3);
      List<String> lines = log.refusalLines();
      assertTrue(lines.stream().anyMatch(l -> l.contains("/127.0.0.2:")
          && l.contains("maxInboundConnectionsPerAddress (2)")
          && l.contains("raise TransportConfig.maxInboundConnectionsPerAddress")), lines::toString);
      assertTrue(lines.stream().anyMatch(l -> l.contains("the limit maxInboundConnections (3)")
          && l.contains("raise TransportConfig.maxInboundConnections ")), lines::toString);
      assertTrue(lines.size() <= 3, lines::toString);
      for (RawPeer p : List.of(a2, b1, a3)) {
        p.close();
      }
      Peers.await("every slot back", 10, () -> stats(server).inboundConnections() == 0);
    }
  }

  @Test
  void shouldGiveTheSlotBackOnEveryWayAConnectionEnds() throws Exception {
    String ip = "127.0.0.6";
    try (Peers.Node server = node("server", b -> b.maxInboundConnectionsPerAddress(1)
            .handshakeTimeout(Duration.ofMillis(300)).frameReadTimeout(Duration.ofMillis(300)))
        .listen()) {
      List<String> ways = new ArrayList<>();
      // Handshake failure: another network.
      try (RawPeer p = RawPeer.from(ip, server.address)) {
        p.sendHandshake(RawPeer.info("stranger", "other-network", "bytes"));
        assertTrue(p.closedByPeer());
      }
      ways.add("handshake refused");
      assertSlotBack(server, ip, ways);
      // Garbage instead of a handshake.
      try (RawPeer p = RawPeer.from(ip, server.address)) {
        p.sendRaw("GET / HTTP/1.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertTrue(p.closedByPeer());
      }
      ways.add("not a duplex peer");
      assertSlotBack(server, ip, ways);
      // Silence: the handshake deadline.
      try (RawPeer p = RawPeer.from(ip, server.address)) {
        assertTrue(p.closedByPeer());
      }
      ways.add("handshake timeout");
      assertSlotBack(server, ip, ways);
      // Half a frame after the handshake: the frame read deadline.
      try (RawPeer p = admitted(ip, server.address)) {
        p.sendRaw(new byte[] {0, 0, 0, 9, 0, 1});
        assertTrue(p.closedByPeer());
      }
      ways.add("frame read timeout");
      assertSlotBack(server, ip, ways);
      // The peer closes after the handshake, gracefully and with a reset.
      admitted(ip, server.address).close();
      ways.add("peer close");
      assertSlotBack(server, ip, ways);
      RawPeer reset = admitted(ip, server.address);
      reset.socket.setSoLinger(true, 0);
      reset.close();
      ways.add("peer reset");
      assertSlotBack(server, ip, ways);
      // The server closes it, gracefully and by abort.
      try (RawPeer p = admitted(ip, server.address)) {
        onlyConnection(server).close();
        assertTrue(p.closedByPeer());
      }
      ways.add("local close");
      assertSlotBack(server, ip, ways);
      try (RawPeer p = admitted(ip, server.address)) {
        onlyConnection(server).abort();
        assertTrue(p.closedByPeer());
      }
      ways.add("local abort");
      assertSlotBack(server, ip, ways);
      assertEquals(0, stats(server).refusedByLimit(), "no way leaked a slot");
    }
  }

  /** The one slot of {@code ip} is free: a new connection from it is admitted, then closed. */
  private static void assertSlotBack(Peers.Node server, String ip, List<String> ways)
      throws IOException {
    String after = "after " + ways.get(ways.size() - 1);
    Peers.await("slot back " + after, 10, () -> stats(server).inboundConnections() == 0);
    try (RawPeer p = admitted(ip, server.address)) {
      assertEquals(1, stats(server).inboundConnections(), after + " (" + p.socket + ")");
    }
    Peers.await("slot back again " + after, 10, () -> stats(server).inboundConnections() == 0);
  }

  /** The server's one open connection, once its handshake is done. */
  private static io.duplex.Connection<byte[]> onlyConnection(Peers.Node server) {
    Peers.await("one open connection", 10, () -> server.transport.connections().size() == 1);
    return server.transport.connections().get(0);
  }

  @Test
  void shouldGiveTheSlotBackWhenTheListenerRefusesTheConnection() throws Exception {
    try (Transport<byte[]> server = NioTransport.builder(ByteArrayCodec.instance())
        .config(TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of("picky"))
            .maxInboundConnectionsPerAddress(1).build())
        .listener(new ConnectionListener<>() {
          @Override
          public boolean onAccept(InetSocketAddress remote) {
            return !remote.getAddress().getHostAddress().equals("127.0.0.7");
          }
        })
        .build()) {
      InetSocketAddress address = server.listen(Peers.ANY_LOCAL);
      for (int i = 0; i < 3; i++) {
        try (RawPeer p = RawPeer.from("127.0.0.7", address)) {
          assertTrue(p.closedByPeer());
        }
      }
      Peers.await("the listener's refusals give their slots back", 10,
          () -> server.stats().inboundConnections() == 0);
      assertEquals(0, server.stats().refusedByLimit(), "refused by the listener, not the limit");
      try (RawPeer p = admitted("127.0.0.8", address)) {
        assertEquals(1, server.stats().inboundConnections(), "admitted " + p.socket);
      }
    }
  }

  @Test
  void shouldLogAFloodOfRefusalsInAFewLinesThatAccountForEveryOne() throws Exception {
    int refusals = 300;
    try (LogCapture log = new LogCapture();
        Peers.Node server = node("server", b -> b.maxInboundConnectionsPerAddress(1)).listen();
        RawPeer holder = admitted("127.0.0.9", server.address)) {
      long start = System.nanoTime();
      for (int i = 0; i < refusals; i++) {
        assertRefused("127.0.0.9", server.address);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      assertEquals(refusals, stats(server).refusedByLimit());
      Peers.await("the log to account for every refusal (" + log.refusalsLogged() + ")", 10,
          () -> log.refusalsLogged() == refusals);
      int lines = log.refusalLines().size();
      assertTrue(lines <= seconds + 3, lines + " lines for " + refusals + " refusals in "
          + seconds + " s: at most one a second, plus the first and the last");
      System.out.printf("%d refusals in %.2f s logged in %d lines%n", refusals, seconds, lines);
      assertEquals(1, stats(server).inboundConnections(), "the holder only: " + holder.socket);
    }
  }

  @Test
  void shouldLogEveryRefusalWhenTheTransportClosesBeforeTheNextSummaryLine() throws Exception {
    int refusals = 20;
    try (LogCapture log = new LogCapture()) {
      try (Peers.Node server = node("server", b -> b.maxInboundConnectionsPerAddress(1)).listen();
          RawPeer holder = admitted("127.0.0.10", server.address)) {
        for (int i = 0; i < refusals; i++) {
          assertRefused("127.0.0.10", server.address);
        }
        assertEquals(refusals, stats(server).refusedByLimit());
      } // closed at once: the summary of the refusals after the first is not due yet
      assertEquals(refusals, log.refusalsLogged(), () -> "lines: " + log.refusalLines());
    }
  }
}
