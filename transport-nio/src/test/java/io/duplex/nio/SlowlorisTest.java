package io.duplex.nio;

import static io.duplex.nio.Peers.node;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.DuplexTimeoutException;
import io.duplex.HandshakeException;
import io.duplex.PeerInfo;
import io.duplex.ReceiveTimeoutException;
import io.duplex.TransportConfig;
import io.duplex.internal.Wire;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Slowloris: 200 peers each send one byte every 100 ms, of a handshake or, after a valid
 * handshake, of a frame. The handshake deadline closes the first kind and the frame read
 * deadline the second, while an honest peer's round trips keep completing.
 */
@Timeout(60)
class SlowlorisTest {
  private static final int ATTACKERS = 200;
  private static final Duration BYTE_EVERY = Duration.ofMillis(100);
  private static final PeerInfo LORIS =
      RawPeer.info("loris", TransportConfig.DEFAULT_NETWORK_ID, "bytes");

  private static Peers.Node echoServer(Consumer<TransportConfig.Builder> settings)
      throws Exception {
    return node("server", settings, c -> c.onMessage((conn, m) -> conn.send(m))).listen();
  }

  private static long errors(Peers.Node n, Class<? extends Throwable> type) {
    return n.errors.stream().filter(type::isInstance).count();
  }

  @Test
  void shouldCloseTwoHundredPeersTricklingAHandshakeAtTheHandshakeDeadline() throws Exception {
    byte[] handshake = RawPeer.handshakeFrame(LORIS); // valid: it would finish after ~5 s
    assertTrue(handshake.length * BYTE_EVERY.toMillis() > 3_000, "longer than the deadline");
    try (Peers.Node server = echoServer(b -> b.handshakeTimeout(Duration.ofSeconds(1)));
        Peers.Node client = node("client")) {
      try (EchoProbe probe = new EchoProbe(client.connect(server))) {
        probe.baseline(100);
        try (Swarm loris = new Swarm(server.address, ATTACKERS)) {
          assertEquals(ATTACKERS, loris.trickle(handshake, BYTE_EVERY, Duration.ofSeconds(30)),
              "every trickling handshake closed");
          probe.attackOver();
          assertEquals(ATTACKERS, server.errors.stream().filter(e -> e instanceof HandshakeException
              && ((HandshakeException) e).field() == HandshakeException.Field.TIMEOUT).count());
          Peers.await("slots back", 10, () -> server.transport.stats().inboundConnections() == 1);
          probe.awaitRoundTrips(probe.roundTrips() + 20);
          System.out.printf("slowloris handshake: %d peers, a byte every %d ms of a %d-byte"
              + " handshake, handshakeTimeout 1 s: %s; %s%n", ATTACKERS, BYTE_EVERY.toMillis(),
              handshake.length, loris.summary(), probe.summary());
        }
      }
      assertEquals(1, server.opened.size(), "no trickled handshake ever completed");
    }
  }

  @Test
  void shouldCloseTwoHundredPeersTricklingAFrameAfterTheHandshakeAtTheFrameReadDeadline()
      throws Exception {
    // A MESSAGE frame of 64 KiB, header first: at 10 bytes a second it never ends.
    byte[] frame = ByteBuffer.allocate(Wire.HEADER_SIZE + 64 * 1024)
        .putInt(Wire.TYPE_SIZE + 64 * 1024).put(Wire.MESSAGE).array();
    try (Peers.Node server = echoServer(b -> b.frameReadTimeout(Duration.ofSeconds(1)));
        Peers.Node client = node("client")) {
      try (EchoProbe probe = new EchoProbe(client.connect(server))) {
        probe.baseline(100);
        try (Swarm loris = new Swarm(server.address, ATTACKERS)) {
          loris.handshake(LORIS);
          Peers.await("every loris open", 10, () -> server.opened.size() == ATTACKERS + 1);
          assertEquals(ATTACKERS, loris.trickle(frame, BYTE_EVERY, Duration.ofSeconds(30)),
              "every trickling frame closed");
          probe.attackOver();
          assertEquals(ATTACKERS, errors(server, DuplexTimeoutException.class));
          assertTrue(server.errors.stream().filter(DuplexTimeoutException.class::isInstance)
              .allMatch(e -> e.getMessage().contains("frame read timeout")), "the frame deadline");
          Peers.await("slots back", 10, () -> server.transport.stats().inboundConnections() == 1);
          probe.awaitRoundTrips(probe.roundTrips() + 20);
          System.out.printf("slowloris frame: %d peers, a byte every %d ms of a frame (header"
              + " first) after a valid handshake, frameReadTimeout 1 s: %s; %s%n", ATTACKERS,
              BYTE_EVERY.toMillis(), loris.summary(), probe.summary());
        }
      }
    }
  }

  @Test
  void shouldNotBlameThePeerForAFrameThatStallsWhileThisNodeStopsReading() throws Exception {
    // The server reads nothing (queue of 1, no handler): the client's frames stall mid-way in
    // TCP buffers for many frame read deadlines, and the connection must survive that.
    try (Peers.Node server = node("server", b -> b.inboundQueueCapacity(1)
            .frameReadTimeout(Duration.ofMillis(200)), t -> t.receiveBufferSize(32 * 1024),
            c -> { }).listen();
        Peers.Node client = node("client", b -> b.sendTimeout(Duration.ofSeconds(30)),
            t -> t.sendBufferSize(32 * 1024), c -> { })) {
      Connection<byte[]> c = client.connect(server);
      Connection<byte[]> s = server.nextOpened();
      List<CompletableFuture<Void>> sent = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        sent.add(c.send(Peers.bytes(8 * 1024, i)));
      }
      Peers.await("the server to pause reading", 10, () -> s.stats().readPauses() > 0);
      // Ten frame read deadlines pass while the server does not read.
      assertThrows(ReceiveTimeoutException.class, () -> c.receive(Duration.ofSeconds(2)));
      assertTrue(s.isAlive(), "closed while it was this node that stopped reading: "
          + s.closeCause());
      for (int i = 0; i < 40; i++) {
        assertArrayEquals(Peers.bytes(8 * 1024, i), s.receive(Duration.ofSeconds(10)),
            "message " + i);
      }
      for (CompletableFuture<Void> f : sent) {
        f.get(10, TimeUnit.SECONDS);
      }
      assertTrue(s.isAlive() && c.isAlive());
      assertEquals(0, errors(server, DuplexTimeoutException.class));
    }
  }
}
