package io.duplex.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.security.CipherSuite;
import io.duplex.security.Identity;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The secure channel end to end over loopback, both suites: identities, order, every size. */
@Timeout(60)
class SecureChannelTest {

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void peersSeeEachOthersKeyDerivedIdsAndExchangeEverySize(CipherSuite suite) throws Exception {
    Identity serverId = Identity.generate();
    Identity clientId = Identity.generate();
    try (Peers.Node server = secure(serverId, suite).listen();
        Peers.Node client = secure(clientId, suite)) {
      Connection<byte[]> c = client.connect(server);
      Connection<byte[]> s = server.nextOpened();
      assertEquals(serverId.nodeId(), c.peer().nodeId());
      assertEquals(clientId.nodeId(), s.peer().nodeId());

      Random random = new Random(42);
      int[] sizes = {0, 1, 63, 64, 65_510, 65_519, 65_520, 200_000, 1 << 20, 3 << 20};
      List<byte[]> sent = new ArrayList<>();
      List<CompletableFuture<Void>> futures = new ArrayList<>();
      for (int round = 0; round < 3; round++) {
        for (int size : sizes) {
          byte[] m = new byte[size];
          random.nextBytes(m);
          sent.add(m);
          futures.add(round == 1 ? c.sendLater(m) : c.send(m));
        }
      }
      c.flush();
      for (byte[] m : sent) {
        assertArrayEquals(m, s.receive(Duration.ofSeconds(20)));
      }
      for (CompletableFuture<Void> f : futures) {
        f.get(10, TimeUnit.SECONDS);
      }
      // and back, many small messages in batches
      for (int i = 0; i < 20_000; i++) {
        s.sendLater(ByteBuffer.allocate(64).putInt(i).array());
      }
      s.flush();
      for (int i = 0; i < 20_000; i++) {
        assertEquals(i, ByteBuffer.wrap(c.receive(Duration.ofSeconds(20))).getInt());
      }
      assertTrue(c.ping().get(10, TimeUnit.SECONDS).toNanos() >= 0);
      c.close().get(10, TimeUnit.SECONDS);
      s.closeFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void aRefusedPeerHearsWhyInASealedCloseAndTheRefuserNeverOpensIt(CipherSuite suite)
      throws Exception {
    // The responder's authorizer refuses the dialer once it proved its identity (message 3).
    Identity clientId = Identity.generate();
    try (Peers.Node server = new Peers.Node("s", b -> b.cipherSuite(suite)
            .authorizer((peer, inbound) -> !peer.nodeId().equals(clientId.nodeId())),
            t -> { }, c -> { }, true).listen();
        Peers.Node client = secure(clientId, suite)) {
      java.util.concurrent.CompletableFuture<io.duplex.Connection<byte[]>> dial =
          client.transport.connect(server.address);
      Throwable why;
      try {
        Connection<byte[]> c = dial.get(10, TimeUnit.SECONDS); // the initiator opens first
        c.closeFuture().get(10, TimeUnit.SECONDS);
        why = c.closeCause();
      } catch (java.util.concurrent.ExecutionException e) {
        why = e.getCause();
      }
      io.duplex.PeerClosedException closed =
          org.junit.jupiter.api.Assertions.assertInstanceOf(io.duplex.PeerClosedException.class,
              why);
      assertEquals(io.duplex.CloseCodes.UNAUTHORIZED, closed.code(), closed.toString());
      assertTrue(closed.getMessage().contains("authorizer"), closed.getMessage());
      Peers.await("the server tells its listener", 10,
          () -> !server.handshakeFailures.isEmpty());
      io.duplex.HandshakeException refused = org.junit.jupiter.api.Assertions.assertInstanceOf(
          io.duplex.HandshakeException.class, server.handshakeFailures.get(0));
      assertEquals(io.duplex.HandshakeException.Field.UNAUTHORIZED, refused.field());
      assertTrue(server.opened.isEmpty(), "the refused peer never opened on the server");
    }
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void aNetworkMismatchIsNamedOnBothSides(CipherSuite suite) throws Exception {
    try (Peers.Node server = new Peers.Node("s", b -> b.cipherSuite(suite).networkId("main"),
            t -> { }, c -> { }, true).listen();
        Peers.Node client = new Peers.Node("c", b -> b.cipherSuite(suite).networkId("test"),
            t -> { }, c -> { }, true)) {
      java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
          java.util.concurrent.ExecutionException.class,
          () -> client.transport.connect(server.address).get(10, TimeUnit.SECONDS));
      io.duplex.HandshakeException dialer = org.junit.jupiter.api.Assertions.assertInstanceOf(
          io.duplex.HandshakeException.class, e.getCause());
      assertEquals(io.duplex.HandshakeException.Field.NETWORK_ID, dialer.field());
      // The server checks the dialer's settings in message 3 and refuses them too, with the
      // same field; the two sealed CLOSEs cross, and neither side ever opens.
      Peers.await("the server refuses it", 10, () -> !server.handshakeFailures.isEmpty());
      io.duplex.HandshakeException listener = org.junit.jupiter.api.Assertions.assertInstanceOf(
          io.duplex.HandshakeException.class, server.handshakeFailures.get(0));
      assertEquals(io.duplex.HandshakeException.Field.NETWORK_ID, listener.field());
      assertTrue(server.opened.isEmpty() && client.opened.isEmpty(), "nobody opened");
    }
  }

  static Peers.Node secure(Identity id, CipherSuite suite) {
    return new Peers.Node("n", b -> b.identity(id).cipherSuite(suite), t -> { }, c -> { },
        true);
  }
}
