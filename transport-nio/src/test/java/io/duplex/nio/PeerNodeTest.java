package io.duplex.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.CloseCodes;
import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.HandshakeException;
import io.duplex.NodeId;
import io.duplex.PeerClosedException;
import io.duplex.ProtocolException;
import io.duplex.TransportConfig;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.codec.Codec;
import io.duplex.codec.PayloadSink;
import io.duplex.peer.MembershipListener;
import io.duplex.peer.PeerNode;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.CompletableFuture;
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
    TransportConfig config = TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of(name))
        .closeTimeout(Duration.ofMillis(500)).build();
    return how.apply(PeerNode.builder(NioTransport.builder(ByteArrayCodec.instance())
        .config(config).factory())
        .reconnect(Duration.ofMillis(20), Duration.ofMillis(100))).build();
  }

  /** A node whose codec ("other/1") differs from every other node's ("bytes"). */
  private static PeerNode<byte[]> otherCodecNode(String name,
      UnaryOperator<PeerNode.Builder<byte[]>> how) throws Exception {
    Codec<byte[]> other = new Codec<>() {
      @Override
      public String name() {
        return "other/1";
      }

      @Override
      public void encode(byte[] message, PayloadSink sink) {
        ByteArrayCodec.instance().encode(message, sink);
      }

      @Override
      public byte[] decode(ByteBuffer payload) {
        return ByteArrayCodec.instance().decode(payload);
      }
    };
    return how.apply(PeerNode.builder(NioTransport.builder(other)
        .config(TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of(name)).build()).factory())).build();
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
      // they must converge on the same one, the one dialed by the smaller id, 'a'. (Both may
      // also keep b's dial for a moment, before a's own dial has opened: one socket each, the
      // same one, and not yet the survivor. Before, the test took that moment for the end.)
      Peers.await("both ends keep the same single socket, the one 'a' dialed", 10, () -> {
        var ab = a.peer(NodeId.of("b"));
        var ba = b.peer(NodeId.of("a"));
        return ab.isPresent() && ba.isPresent() && ab.get().isOutbound()
            && ab.get().localAddress().equals(ba.get().remoteAddress())
            && a.transport().connections().size() == 1
            && b.transport().connections().size() == 1;
      });
      Connection<byte[]> ab = a.peer(NodeId.of("b")).orElseThrow();
      Connection<byte[]> ba = b.peer(NodeId.of("a")).orElseThrow();
      assertTrue(ab.isOutbound() && !ba.isOutbound(), "the survivor is the one dialed by the"
          + " smaller id, 'a'");
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

  @Test
  void shouldDialAnotherPeerAfterRemovingAConnectedOne() throws Exception {
    try (PeerNode<byte[]> b = node("b", x -> x.listen(Peers.ANY_LOCAL));
        PeerNode<byte[]> c = node("c", x -> x.listen(Peers.ANY_LOCAL));
        PeerNode<byte[]> a = node("a", x -> x.maxOutbound(1))) {
      a.addPeer(address(b));
      Peers.await("a connects to b", 10, () -> a.size() == 1 && b.size() == 1);
      a.removePeer(address(b));
      Peers.await("b leaves a's group", 10, () -> a.size() == 0);
      a.addPeer(address(c));
      Peers.await("a dials c in the outbound slot b gave back", 10,
          () -> a.size() == 1 && c.size() == 1);
      assertEquals(NodeId.of("c"), a.peers().get(0).peer().nodeId());
    }
  }

  @Test
  void shouldDropAPeerWhoseDialCompletesAfterItWasRemoved() throws Exception {
    try (ServerSocket slow = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        PeerNode<byte[]> c = node("c", x -> x.listen(Peers.ANY_LOCAL));
        PeerNode<byte[]> a = node("a", x -> x.maxOutbound(1))) {
      slow.setSoTimeout(10_000);
      InetSocketAddress at = (InetSocketAddress) slow.getLocalSocketAddress();
      a.addPeer(at);
      try (RawPeer raw = new RawPeer(slow.accept())) {
        raw.readHandshake(); // a's dial is in flight: it waits for this side's handshake
        a.removePeer(at);
        raw.sendHandshake(RawPeer.info("raw", TransportConfig.DEFAULT_NETWORK_ID, "bytes"));
        assertTrue(raw.closedByPeer(), "a closes the connection its removed dial made");
      }
      Peers.await("the removed peer is not in a's group", 10, () -> a.size() == 0);
      a.addPeer(address(c));
      Peers.await("a dials c in the outbound slot the removed dial gave back", 10,
          () -> a.size() == 1 && c.size() == 1);
    }
  }

  @Test
  void shouldWarnOnceWhenAPeerUsesAnotherCodecNotOncePerRedial() throws Exception {
    try (LogCapture log = new LogCapture();
        PeerNode<byte[]> b = otherCodecNode("b", x -> x.listen(Peers.ANY_LOCAL));
        PeerNode<byte[]> a = node("a", x -> x.dial(address(b)))) {
      Peers.await("a redials b again and again", 10,
          () -> a.transport().stats().dialed() >= 5 && b.transport().stats().accepted() >= 5);
      assertEquals(0, a.size());
      List<String> mismatches = log.lines("codec differs");
      String dialedAt = address(b).toString();
      assertEquals(1, mismatches.stream().filter(l -> l.contains("WARN")
          && l.contains("dial") && l.contains(dialedAt)).count(),
          "one WARN line at the dialer for 5 and more failed dials: " + mismatches);
      assertEquals(1, mismatches.stream().filter(l -> l.contains("WARN")
          && l.contains("inbound peer")).count(),
          "one WARN line at the acceptor for 5 and more failed handshakes: " + mismatches);
    }
  }

  /** One failure as a node's error handler or membership listener heard it. */
  private record Heard(String thread, InetSocketAddress address, Connection<byte[]> connection,
      Throwable cause, int attempt, Duration next) {}

  @Test
  void shouldTellListenersAndTheErrorHandlerOfEachFailedDialOnTheNodeThread() throws Exception {
    List<Heard> dials = new CopyOnWriteArrayList<>();
    List<Heard> errors = new CopyOnWriteArrayList<>();
    List<Heard> errorsAtB = new CopyOnWriteArrayList<>();
    try (PeerNode<byte[]> b = otherCodecNode("b", x -> x.listen(Peers.ANY_LOCAL)
            .errorHandler((at, c, e) -> errorsAtB.add(
                new Heard(Thread.currentThread().getName(), at, c, e, 0, null))));
        PeerNode<byte[]> a = node("a", x -> x
            .errorHandler((at, c, e) -> errors.add(
                new Heard(Thread.currentThread().getName(), at, c, e, 0, null)))
            .membershipListener(new MembershipListener<>() {
              @Override
              public void dialFailed(InetSocketAddress at, Throwable cause, int attempt,
                  Duration nextRetry) {
                dials.add(new Heard(Thread.currentThread().getName(), at, null, cause, attempt,
                    nextRetry));
              }
            }))) {
      a.addPeer(address(b));
      Peers.await("three failed dials heard", 10, () -> dials.size() >= 3 && errors.size() >= 3
          && errorsAtB.size() >= 3);
      a.removePeer(address(b));
      for (int i = 0; i < 3; i++) {
        Heard d = dials.get(i);
        assertTrue(d.thread().startsWith("duplex-node-"), d.thread());
        assertEquals(address(b), d.address());
        assertEquals(i + 1, d.attempt(), "attempts count up: " + dials);
        HandshakeException mismatch = assertInstanceOf(HandshakeException.class, d.cause());
        assertEquals(HandshakeException.Field.CODEC, mismatch.field());
        // Backoff 20 ms doubling to 100 ms, with 20% jitter either way.
        long millis = d.next().toMillis();
        assertTrue(millis >= 16 && millis <= 120, "next retry " + d.next());
        Heard e = errors.get(i);
        assertTrue(e.thread().startsWith("duplex-node-"), e.thread());
        assertEquals(address(b), e.address());
        assertEquals(null, e.connection(), "a failed dial made no connection");
        assertEquals(d.cause(), e.cause());
        Heard atB = errorsAtB.get(i);
        assertTrue(atB.thread().startsWith("duplex-node-"), atB.thread());
        assertEquals(address(b).getAddress(), atB.address().getAddress());
        assertInstanceOf(HandshakeException.class, atB.cause());
      }
      assertTrue(dials.get(1).next().compareTo(dials.get(0).next()) > 0,
          "the delay doubles (20 then 40 ms, less or more 20%): " + dials);
    }
  }

  @Test
  void shouldTellTheErrorHandlerOfAConnectionClosedByAnErrorWithTheConnection() throws Exception {
    List<Heard> errors = new CopyOnWriteArrayList<>();
    try (PeerNode<byte[]> hub = node("hub", x -> x.listen(Peers.ANY_LOCAL)
            .errorHandler((at, c, e) -> errors.add(
                new Heard(Thread.currentThread().getName(), at, c, e, 0, null))));
        RawPeer raw = RawPeer.from("127.0.0.5", address(hub))) {
      raw.sendHandshake(RawPeer.info("raw", TransportConfig.DEFAULT_NETWORK_ID, "bytes"))
          .readHandshake();
      Peers.await("raw joins", 10, () -> hub.size() == 1);
      Connection<byte[]> joined = hub.peers().get(0);
      raw.sendFrame((byte) 99, new byte[] {1}); // no such frame type
      Peers.await("the error handler hears it", 10, () -> !errors.isEmpty());
      Heard e = errors.get(0);
      assertTrue(e.thread().startsWith("duplex-node-"), e.thread());
      assertEquals(joined, e.connection());
      assertEquals(joined.remoteAddress(), e.address());
      assertInstanceOf(ProtocolException.class, e.cause());
      assertTrue(hub.isBanned(InetAddress.getByName("127.0.0.5")), "and it is banned");
      assertEquals(0, hub.size());
    }
  }

  @Test
  void shouldTellADuplicateAndABannedPeerWhyTheyAreClosed() throws Exception {
    try (PeerNode<byte[]> hub = node("hub", x -> x.listen(Peers.ANY_LOCAL));
        Peers.Node z = Peers.node("z")) {
      Connection<byte[]> first = z.transport.connect(address(hub)).get(10, TimeUnit.SECONDS);
      Peers.await("z joins", 10, () -> hub.size() == 1);
      // The hub closes the duplicate as soon as it opens there; here the connect future either
      // completes first (and the connection closes right after) or fails with that close.
      CompletableFuture<Connection<byte[]>> dial = z.transport.connect(address(hub));
      Throwable why;
      try {
        Connection<byte[]> second = dial.get(10, TimeUnit.SECONDS);
        second.closeFuture().get(10, TimeUnit.SECONDS);
        why = second.closeCause();
      } catch (ExecutionException e) {
        why = e.getCause();
      }
      PeerClosedException duplicate = assertInstanceOf(PeerClosedException.class, why);
      assertEquals(CloseCodes.DUPLICATE, duplicate.code(), duplicate.toString());
      assertTrue(first.isAlive(), "the first connection stays");

      hub.ban(NodeId.of("z"), Duration.ofMinutes(1));
      first.closeFuture().get(10, TimeUnit.SECONDS);
      PeerClosedException banned = assertInstanceOf(PeerClosedException.class,
          first.closeCause());
      assertEquals(CloseCodes.BANNED, banned.code(), banned.toString());
      Peers.await("z leaves", 10, () -> hub.size() == 0);
    }
  }
}
