package io.duplex.nio;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.HandshakeException;
import io.duplex.HandshakeException.Field;
import io.duplex.NodeId;
import io.duplex.TransportConfig;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.nio.FaultProxy.Way;
import io.duplex.peer.MembershipListener;
import io.duplex.peer.PeerAddress;
import io.duplex.peer.PeerNode;
import io.duplex.security.RecordException;
import io.duplex.security.RecordException.Reason;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Someone on the path between two secure nodes, over loopback. (a) A man in the middle that
 * terminates both sides with its own key (itself two secure transports, forwarding messages): a
 * dialer that names the node it wants, by {@code connect(address, id)} or a {@link PeerAddress},
 * refuses it with {@code IDENTITY} before anything reaches the application; a dialer that names
 * none reaches it, and sees its node id, not the server's. (b) A byte relay ({@link FaultProxy}):
 * unchanged (even in small pieces) it is invisible; one byte flipped after the handshake closes
 * the receiving side with {@code RecordException AUTHENTICATION}, nothing of it delivered.
 */
@Timeout(60)
class SecureMitmTest {

  /** A secure node that notes who sent what, and echoes it. */
  private static final class Server implements AutoCloseable {
    final List<String> delivered = new CopyOnWriteArrayList<>();
    final Peers.Node node;

    Server() throws Exception {
      node = new Peers.Node("server", b -> { }, t -> { }, c -> c.onMessage((conn, m) -> {
        delivered.add(conn.peer().nodeId().toHex() + ": " + new String(m, UTF_8));
        conn.send(m);
      }), true).listen();
    }

    NodeId id() {
      return node.transport.config().nodeId();
    }

    @Override
    public void close() {
      node.close();
    }
  }

  /**
   * The man in the middle: accepts dialers as itself, and for each one that gets through dials
   * the real server as itself and forwards messages both ways.
   */
  private static final class Relay implements AutoCloseable {
    final Peers.Node node;
    final List<Connection<byte[]>> accepted = new CopyOnWriteArrayList<>();

    Relay(InetSocketAddress server) throws Exception {
      AtomicReference<Peers.Node> self = new AtomicReference<>();
      node = new Peers.Node("relay", b -> { }, t -> { }, c -> {
        if (c.isOutbound()) {
          return;
        }
        accepted.add(c);
        self.get().transport.connect(server).thenAccept(up -> {
          up.onMessage((x, m) -> c.send(m));
          c.onMessage((x, m) -> up.send(m));
        });
      }, true);
      self.set(node);
      node.listen();
    }

    NodeId id() {
      return node.transport.config().nodeId();
    }

    @Override
    public void close() {
      node.close();
    }
  }

  private static Peers.Node secureNode(String name) {
    return new Peers.Node(name, b -> { }, t -> { }, c -> { }, true);
  }

  // ---- (a) a man in the middle with its own key --------------------------------------------

  @Test
  void aDialerThatNamesTheServerRefusesARelayWithItsOwnKey() throws Exception {
    try (Server server = new Server(); Relay relay = new Relay(server.node.address);
        Peers.Node dialer = secureNode("dialer")) {
      ExecutionException e = assertThrows(ExecutionException.class, () -> dialer.transport
          .connect(relay.node.address, server.id()).get(10, TimeUnit.SECONDS));
      HandshakeException h = assertInstanceOf(HandshakeException.class, e.getCause());
      assertEquals(Field.IDENTITY, h.field(), h.getMessage());
      assertTrue(h.getMessage().contains("dialed node " + server.id().toHex()
          + " and reached node " + relay.id().toHex()), h.getMessage());
      Peers.await("the dialer hears of its failed handshake", 10,
          () -> dialer.handshakeFailures.contains(h));
      Peers.await("the relay's side of it fails too", 10,
          () -> !relay.node.handshakeFailures.isEmpty());
      assertTrue(dialer.opened.isEmpty() && dialer.closed.isEmpty(), "nothing opened");
      assertTrue(relay.accepted.isEmpty(), "the relay never had a connection to forward");
      assertTrue(server.node.opened.isEmpty() && server.delivered.isEmpty());

      // The same dialer reaches the real server by its id; the control for the refusal above.
      Connection<byte[]> real = dialer.transport.connect(server.node.address, server.id())
          .get(10, TimeUnit.SECONDS);
      assertEquals(server.id(), real.peer().nodeId());
    }
  }

  @Test
  void aPeerNodeDialingAPeerAddressWithTheIdRefusesTheRelayAndKeepsRefusingIt() throws Exception {
    List<Throwable> dialFailures = new CopyOnWriteArrayList<>();
    List<NodeId> joined = new CopyOnWriteArrayList<>();
    try (Server server = new Server(); Relay relay = new Relay(server.node.address);
        PeerNode<byte[]> node = PeerNode.builder(NioTransport.builder(ByteArrayCodec.instance())
                .config(TransportConfig.builder().closeTimeout(Duration.ofMillis(500)).build())
                .factory())
            .dial(PeerAddress.of(server.id(), relay.node.address))
            .reconnect(Duration.ofMillis(20), Duration.ofMillis(100))
            .membershipListener(new MembershipListener<>() {
              @Override
              public void joined(Connection<byte[]> peer) {
                joined.add(peer.peer().nodeId());
              }

              @Override
              public void dialFailed(InetSocketAddress address, Throwable cause, int attempt,
                  Duration nextRetry) {
                dialFailures.add(cause);
              }
            })
            .build()) {
      Peers.await("three refused dials", 10, () -> dialFailures.size() >= 3);
      for (Throwable t : dialFailures) {
        HandshakeException h = assertInstanceOf(HandshakeException.class, t);
        assertEquals(Field.IDENTITY, h.field(), h.getMessage());
      }
      assertEquals(0, node.size());
      assertTrue(joined.isEmpty(), "the relay never joined: " + joined);
      assertTrue(relay.accepted.isEmpty() && server.node.opened.isEmpty());

      // Given the real address under the same id, the node joins the real server.
      node.addPeer(PeerAddress.of(server.id(), server.node.address));
      Peers.await("the node joins the real server", 10, () -> node.size() == 1);
      assertEquals(List.of(server.id()), joined);
      node.sendTo(server.id(), "hello".getBytes(UTF_8)).get(10, TimeUnit.SECONDS);
      Peers.await("the server hears the node", 10, () -> server.delivered.contains(
          node.transport().config().nodeId().toHex() + ": hello"));
      int failuresNow = dialFailures.size();
      Peers.await("the relay is still refused", 10, () -> dialFailures.size() > failuresNow);
      assertEquals(1, node.size());
    }
  }

  @Test
  void aDialerThatNamesNoNodeReachesTheRelayAndSeesTheRelaysId() throws Exception {
    try (Server server = new Server(); Relay relay = new Relay(server.node.address);
        Peers.Node dialer = secureNode("dialer")) {
      Connection<byte[]> c = dialer.transport.connect(relay.node.address)
          .get(10, TimeUnit.SECONDS);
      assertEquals(relay.id(), c.peer().nodeId(), "it sees who it reached: the relay");
      assertNotEquals(server.id(), c.peer().nodeId());
      c.send("through".getBytes(UTF_8));
      assertArrayEquals("through".getBytes(UTF_8), c.receive(Duration.ofSeconds(10)));
      // The server, for its part, sees the relay as its peer: nobody's id was borrowed.
      assertEquals(List.of(relay.id().toHex() + ": through"), server.delivered);
      NodeId dialerId = dialer.transport.config().nodeId();
      assertTrue(server.node.opened.stream().noneMatch(s -> s.peer().nodeId().equals(dialerId)));
    }
  }

  // ---- (b) a byte relay --------------------------------------------------------------------

  /** A dialer, a proxy and the server, one connection through them, opened by the server's id. */
  private static final class Path implements AutoCloseable {
    final Server server;
    final FaultProxy proxy;
    final Peers.Node dialer;
    final Connection<byte[]> c;
    final Connection<byte[]> s;
    final FaultProxy.Link link;

    Path(java.util.function.Consumer<FaultProxy> before) throws Exception {
      server = new Server();
      proxy = new FaultProxy(server.node.address);
      dialer = secureNode("dialer");
      before.accept(proxy);
      c = dialer.transport.connect(proxy.address(), server.id()).get(20, TimeUnit.SECONDS);
      s = server.node.nextOpened();
      link = proxy.links().get(0);
    }

    @Override
    public void close() throws Exception {
      try (server; proxy; dialer) {
        // closes the dialer, the proxy, then the server
      }
    }
  }

  @Test
  void aRelayThatPassesBytesUnchangedIsInvisibleEvenInSmallPieces() throws Exception {
    // Throttled to 40-byte slices 20 ms apart: every handshake message arrives in pieces.
    try (Path path = new Path(p -> {
      p.faults(Way.TO_SERVER).throttle(2000);
      p.faults(Way.TO_CLIENT).throttle(2000);
    })) {
      assertEquals(path.server.id(), path.c.peer().nodeId());
      assertEquals(path.dialer.transport.config().nodeId(), path.s.peer().nodeId());
      path.proxy.healAll();
      for (int size : new int[] {0, 1, 1000, 70_000, 300_000}) {
        byte[] m = Peers.bytes(size, size);
        path.c.send(m);
        assertArrayEquals(m, path.c.receive(Duration.ofSeconds(20)), "echo of " + size);
      }
      assertEquals(5, path.s.stats().messagesIn());
    }
  }

  enum Where { LENGTH_FIELD, CIPHERTEXT, TAG }

  @ParameterizedTest
  @EnumSource(Where.class)
  void oneByteFlippedAfterTheHandshakeClosesTheReceiverAndDeliversNothingOfIt(Where where)
      throws Exception {
    for (Way way : Way.values()) {
      try (Path path = new Path(p -> { })) {
        Connection<byte[]> sender = way == Way.TO_SERVER ? path.c : path.s;
        Connection<byte[]> receiver = way == Way.TO_SERVER ? path.s : path.c;
        Peers.Node receiving = way == Way.TO_SERVER ? path.server.node : path.dialer;
        byte[] good = Peers.bytes(100, 1);
        sender.send(good).get(10, TimeUnit.SECONDS);
        if (way == Way.TO_CLIENT) {
          assertArrayEquals(good, receiver.receive(Duration.ofSeconds(10)));
        } else {
          Peers.await("the good message delivered", 10, () -> path.server.delivered.size() == 1);
          path.c.receive(Duration.ofSeconds(10)); // its echo
        }
        // The next record: u16 length 121 (a 105-byte frame and the tag), then the ciphertext.
        long start = path.link.forwarded(way);
        path.link.faults(way).flipAt(start + switch (where) {
          case LENGTH_FIELD -> 1;
          case CIPHERTEXT -> 2 + 50;
          case TAG -> 2 + 105 + 15;
        });
        sender.send(Peers.bytes(100, 2));
        receiver.closeFuture().get(10, TimeUnit.SECONDS);
        ConnectionClosedException closed = receiver.closeCause();
        RecordException e = assertInstanceOf(RecordException.class, closed.getCause(),
            way + " " + where + ": " + closed);
        assertEquals(Reason.AUTHENTICATION, e.reason(), e.getMessage());
        assertTrue(receiving.errors.contains(e), "its error handler heard of it");
        assertEquals(1, receiver.stats().messagesIn(), "nothing of the flipped record");
        if (way == Way.TO_SERVER) {
          assertEquals(1, path.server.delivered.size(), path.server.delivered.toString());
        } else {
          ConnectionClosedException end = assertThrows(ConnectionClosedException.class,
              () -> receiver.receive(Duration.ofSeconds(10)));
          assertEquals(closed.getMessage(), end.getMessage());
        }
        sender.closeFuture().get(10, TimeUnit.SECONDS); // told by the receiver's CLOSE or FIN
      }
    }
  }
}
