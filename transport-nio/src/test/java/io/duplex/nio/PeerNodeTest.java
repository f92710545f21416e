package io.duplex.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.NodeId;
import io.duplex.TransportConfig;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.peer.MembershipListener;
import io.duplex.peer.PeerNode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A node keeps its peers: redials, limits, one connection per node, bans. */
@Timeout(60)
class PeerNodeTest {

  private static PeerNode<byte[]> node(String name, UnaryOperator<PeerNode.Builder<byte[]>> how)
      throws Exception {
    TransportConfig config = TransportConfig.builder().nodeId(NodeId.of(name))
        .closeTimeout(Duration.ofMillis(500)).build();
    return how.apply(PeerNode.builder(NioTransport.builder(ByteArrayCodec.instance())
        .config(config).factory())
        .reconnect(Duration.ofMillis(20), Duration.ofMillis(100))).build();
  }

  private static InetSocketAddress address(PeerNode<?> node) {
    return node.listenAddress().orElseThrow();
  }

  /** True if {@code bad} becomes true within {@code millis}: for things that must not happen. */
  private static boolean happensWithin(long millis, BooleanSupplier bad) {
    try {
      Peers.awaitMillis("", millis, bad);
      return true;
    } catch (AssertionError e) {
      return false;
    }
  }

  @Test
  void shouldReconnectAfterTheRemoteRestarts() throws Exception {
    PeerNode<byte[]> b = node("b", x -> x.listen(Peers.ANY_LOCAL));
    InetSocketAddress at = address(b);
    List<String> events = new CopyOnWriteArrayList<>();
    try (PeerNode<byte[]> a = node("a", x -> x.dial(at).membershipListener(
        new MembershipListener<>() {
          @Override
          public void joined(Connection<byte[]> peer) {
            events.add("joined " + peer.peer().nodeId());
          }

          @Override
          public void left(Connection<byte[]> peer, ConnectionClosedException cause) {
            events.add("left " + peer.peer().nodeId());
          }
        }))) {
      Peers.await("a connects to b", 10, () -> a.size() == 1);
      b.close();
      Peers.await("b leaves", 10, () -> a.size() == 0);
      try (PeerNode<byte[]> b2 = node("b", x -> x.listen(at))) {
        Peers.await("a reconnects to the restarted b", 10, () -> a.size() == 1 && b2.size() == 1);
        a.sendTo(NodeId.of("b"), new byte[] {7}).get(10, TimeUnit.SECONDS);
        Connection<byte[]> fromA = b2.peer(NodeId.of("a")).orElseThrow();
        assertEquals(7, fromA.receive(Duration.ofSeconds(10))[0]);
      }
      Peers.await("events", 10, () -> events.size() >= 3);
      assertEquals(List.of("joined b", "left b", "joined b"), events.subList(0, 3));
    }
  }

  @Test
  void shouldApplyInboundAndPerAddressLimits() throws Exception {
    try (PeerNode<byte[]> hub = node("hub", x -> x.listen(Peers.ANY_LOCAL).maxInbound(2));
        Peers.Node p1 = Peers.node("p1");
        Peers.Node p2 = Peers.node("p2");
        Peers.Node p3 = Peers.node("p3")) {
      p1.transport.connect(address(hub)).get(10, TimeUnit.SECONDS);
      p2.transport.connect(address(hub)).get(10, TimeUnit.SECONDS);
      ExecutionException refused = assertThrows(ExecutionException.class,
          () -> p3.transport.connect(address(hub)).get(10, TimeUnit.SECONDS));
      assertTrue(refused.getCause() instanceof ConnectionClosedException
          || refused.getCause() instanceof java.io.IOException, refused.toString());
      Peers.await("two peers in the hub's group", 10, () -> hub.size() == 2);
      p1.close();
      Peers.await("a slot frees", 10, () -> hub.size() == 1);
      Peers.await("p3 gets in", 10, () -> {
        try {
          p3.transport.connect(address(hub)).get(10, TimeUnit.SECONDS);
          return true;
        } catch (Exception e) {
          return false; // the hub may not have counted p1's close yet
        }
      });
    }
    try (PeerNode<byte[]> hub = node("hub", x -> x.listen(Peers.ANY_LOCAL).maxPerAddress(1));
        Peers.Node p1 = Peers.node("p1");
        Peers.Node p2 = Peers.node("p2")) {
      p1.transport.connect(address(hub)).get(10, TimeUnit.SECONDS);
      assertThrows(ExecutionException.class,
          () -> p2.transport.connect(address(hub)).get(10, TimeUnit.SECONDS));
      try (RawPeer other = RawPeer.from("127.0.0.3", address(hub))) {
        other.sendHandshake(RawPeer.info("p3", TransportConfig.DEFAULT_NETWORK_ID, "bytes"))
            .readHandshake();
        Peers.await("another address gets in", 10, () -> hub.size() == 2);
      }
    }
  }

  @Test
  void shouldLimitOutboundPeers() throws Exception {
    try (PeerNode<byte[]> b = node("b", x -> x.listen(Peers.ANY_LOCAL));
        PeerNode<byte[]> c = node("c", x -> x.listen(Peers.ANY_LOCAL));
        PeerNode<byte[]> a = node("a", x -> x.dial(address(b), address(c)).maxOutbound(1))) {
      Peers.await("one outbound peer", 10, () -> a.size() == 1);
      assertFalse(happensWithin(500, () -> a.size() > 1), "maxOutbound 1 holds");
      a.peers().get(0).abort();
      Peers.await("the freed slot is used again", 10, () -> a.size() == 1);
    }
  }

  @Test
  void shouldRefuseASelfConnectionAndNotRedialIt() throws Exception {
    try (PeerNode<byte[]> a = node("a", x -> x.listen(Peers.ANY_LOCAL))) {
      a.addPeer(address(a));
      Peers.await("the self-dial fails", 10, () -> a.transport().stats().dialed() == 1
          && a.transport().stats().openConnections() == 0
          && a.transport().stats().errors().containsKey("HandshakeException"));
      assertFalse(happensWithin(1000, () -> a.transport().stats().dialed() > 1),
          "a node that found itself does not dial itself again");
      assertEquals(0, a.size());
      assertFalse(a.isBanned(InetAddress.getByName("127.0.0.1")), "a self-dial is no attack");
    }
  }

  @Test
  void shouldKeepOneConnectionWhenTwoNodesDialEachOther() throws Exception {
    try (PeerNode<byte[]> a = node("a", x -> x.listen(Peers.ANY_LOCAL));
        PeerNode<byte[]> b = node("b", x -> x.listen(Peers.ANY_LOCAL))) {
      a.addPeer(address(b));
      b.addPeer(address(a));
      // Both nodes may briefly keep different sockets while the duplicates open on each side;
      // they must converge on the same one.
      Peers.await("both ends keep the same single socket", 10, () -> {
        var ab = a.peer(NodeId.of("b"));
        var ba = b.peer(NodeId.of("a"));
        return ab.isPresent() && ba.isPresent()
            && ab.get().localAddress().equals(ba.get().remoteAddress())
            && a.transport().connections().size() == 1
            && b.transport().connections().size() == 1;
      });
      Connection<byte[]> ab = a.peer(NodeId.of("b")).orElseThrow();
      Connection<byte[]> ba = b.peer(NodeId.of("a")).orElseThrow();
      assertTrue(ab.isOutbound(), "the survivor is the one dialed by the smaller id, 'a'");
      assertFalse(happensWithin(500, () -> a.transport().connections().size() > 1
          || a.size() != 1), "no redial storm");
      ab.send(new byte[] {1}).get(10, TimeUnit.SECONDS);
      assertEquals(1, ba.receive(Duration.ofSeconds(10))[0]);
    }
  }

  @Test
  void shouldBanAPeerThatSendsGarbageAndKeepServingOthers() throws Exception {
    try (PeerNode<byte[]> hub = node("hub", x -> x.listen(Peers.ANY_LOCAL)
            .banDuration(Duration.ofMinutes(1)));
        Peers.Node honest = Peers.node("honest")) {
      try (RawPeer hostile = RawPeer.from("127.0.0.2", address(hub))) {
        hostile.sendRaw("\u0000\u0000\u0000\u0010garbage garbage!".getBytes());
        assertTrue(hostile.closedByPeer());
      }
      InetAddress hostileIp = InetAddress.getByName("127.0.0.2");
      Peers.await("the hostile address is banned", 10, () -> hub.isBanned(hostileIp));
      try (RawPeer again = RawPeer.from("127.0.0.2", address(hub))) {
        assertTrue(again.closedByPeer(), "a banned address is refused at accept");
      }
      Connection<byte[]> c = honest.transport.connect(address(hub)).get(10, TimeUnit.SECONDS);
      c.send(new byte[] {1}).get(10, TimeUnit.SECONDS);
      Peers.await("honest peer joined", 10, () -> hub.size() == 1);

      hub.ban(NodeId.of("honest"), Duration.ofMinutes(1));
      c.closeFuture().get(10, TimeUnit.SECONDS);
      assertTrue(hub.isBanned(NodeId.of("honest")));
      // The hub refuses the banned node once it says who it is: the dial fails, or the
      // connection closes right after the handshake.
      Throwable refused = assertThrows(Exception.class, () ->
          honest.transport.connect(address(hub)).get(10, TimeUnit.SECONDS)
              .receive(Duration.ofSeconds(10)));
      Throwable cause = refused instanceof ExecutionException ? refused.getCause() : refused;
      assertTrue(cause instanceof ConnectionClosedException, refused.toString());
    }
  }
}
