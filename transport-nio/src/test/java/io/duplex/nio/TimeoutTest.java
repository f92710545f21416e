package io.duplex.nio;

import static io.duplex.nio.Peers.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.HandshakeException;
import io.duplex.PongTimeoutException;
import io.duplex.ReceiveTimeoutException;
import io.duplex.SendTimeoutException;
import io.duplex.TransportConfig;
import io.duplex.internal.Wire;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every deadline the transport keeps, each met by a peer that makes it pass. */
@Timeout(60)
class TimeoutTest {

  @Test
  void shouldCloseWithASendTimeoutWhenAFrameStallsMidWayToAPeerThatStoppedReading()
      throws Exception {
    try (Peers.Node stalled = node("stalled", b -> b.inboundQueueCapacity(1),
            t -> t.receiveBufferSize(64 * 1024), c -> { }).listen();
        Peers.Node sender = node("sender", b -> b.sendTimeout(Duration.ofMillis(300))
            .outboundHardLimit(64L << 20), t -> t.sendBufferSize(64 * 1024), c -> { })) {
      Connection<byte[]> c = sender.connect(stalled);
      List<CompletableFuture<Void>> sent = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        sent.add(c.send(new byte[64 * 1024]));
      }
      int failed = 0;
      for (CompletableFuture<Void> f : sent) {
        try {
          f.get(10, TimeUnit.SECONDS); // every future completes, one way or the other
        } catch (ExecutionException e) {
          failed++;
          Throwable cause = e.getCause();
          assertTrue(cause instanceof SendTimeoutException
              || cause.getCause() instanceof SendTimeoutException, cause.toString());
        }
      }
      assertTrue(failed > 0, "a peer that stopped reading cannot take 6.4 MB");
      c.closeFuture().get(10, TimeUnit.SECONDS);
      SendTimeoutException cause = assertInstanceOf(SendTimeoutException.class,
          c.closeCause().getCause());
      assertTrue(cause.getMessage().contains("mid-frame"), cause.getMessage());
      assertEquals(0, c.pendingBytes());
    }
  }

  @Test
  void shouldTimeOutAReceiveAndStayOpen() throws Exception {
    try (Peers.Node server = node("server").listen(); Peers.Node client = node("client")) {
      Connection<byte[]> c = client.connect(server);
      ReceiveTimeoutException e = assertThrows(ReceiveTimeoutException.class,
          () -> c.receive(Duration.ofMillis(100)));
      assertTrue(e.getMessage().contains("PT0.1S"), e.getMessage());
      assertTrue(c.isAlive());
      server.nextOpened().send(new byte[] {1});
      assertEquals(1, c.receive(Duration.ofSeconds(10))[0]);
    }
  }

  @Test
  void shouldMeasureThePingRoundTrip() throws Exception {
    try (Peers.Node server = node("server").listen(); Peers.Node client = node("client")) {
      Connection<byte[]> c = client.connect(server);
      for (int i = 0; i < 10; i++) {
        Duration rtt = c.ping().get(10, TimeUnit.SECONDS);
        assertTrue(!rtt.isNegative() && rtt.compareTo(Duration.ofSeconds(10)) < 0, rtt::toString);
      }
    }
  }

  @Test
  void shouldKeepAQuietButHealthyConnectionOpenWithPings() throws Exception {
    var quick = (java.util.function.Consumer<TransportConfig.Builder>) b -> b
        .pingInterval(Duration.ofMillis(50)).pongTimeout(Duration.ofMillis(500));
    try (Peers.Node server = node("server", quick).listen();
        Peers.Node client = node("client", quick)) {
      Connection<byte[]> c = client.connect(server);
      // Nothing is sent for 20 ping intervals; pings and pongs keep both sides alive.
      assertThrows(ReceiveTimeoutException.class, () -> c.receive(Duration.ofSeconds(1)));
      assertTrue(c.isAlive());
      assertTrue(server.closeCauses.isEmpty() && client.closeCauses.isEmpty());
    }
  }

  @Test
  void shouldCloseAnIdlePeerThatDoesNotAnswerPings() throws Exception {
    try (Peers.Node server = node("server", b -> b.pingInterval(Duration.ofMillis(100))
            .pongTimeout(Duration.ofMillis(200))).listen();
        RawPeer raw = new RawPeer(server.address)) {
      raw.sendHandshake(RawPeer.info("silent", TransportConfig.DEFAULT_NETWORK_ID, "bytes"))
          .readHandshake();
      byte[] ping = raw.readFrame();
      assertEquals(Wire.PING, ping[0], "an idle connection gets a ping");
      assertTrue(raw.closedByPeer(), "no pong: the server closes");
      Peers.await("close", 10, () -> !server.closeCauses.isEmpty());
      assertInstanceOf(PongTimeoutException.class, server.closeCauses.get(0).getCause());
    }
  }

  @Test
  void shouldCloseAPeerThatNeverHandshakes() throws Exception {
    try (Peers.Node server = node("server", b -> b.handshakeTimeout(Duration.ofMillis(200)))
            .listen();
        RawPeer raw = new RawPeer(server.address)) {
      raw.readHandshake(); // the server speaks first; we never answer
      assertTrue(raw.closedByPeer());
      Peers.await("handshake timeout reported", 10, () -> server.errors.stream().anyMatch(e ->
          e instanceof HandshakeException
              && ((HandshakeException) e).field() == HandshakeException.Field.TIMEOUT));
    }
  }

  @Test
  void shouldFailConnectWhenNothingListens() throws Exception {
    try (Peers.Node client = node("client")) {
      java.net.InetSocketAddress nowhere;
      try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1,
          java.net.InetAddress.getByName("127.0.0.1"))) {
        nowhere = (java.net.InetSocketAddress) s.getLocalSocketAddress();
      }
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> client.transport.connect(nowhere).get(10, TimeUnit.SECONDS));
      assertInstanceOf(java.net.ConnectException.class, e.getCause());
    }
  }
}
