package io.duplex.nio;

import static io.duplex.nio.FaultTest.causedBy;
import static io.duplex.nio.FaultTest.message;
import static io.duplex.nio.FaultTest.sequenceOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.DuplexException;
import io.duplex.NodeId;
import io.duplex.PongTimeoutException;
import io.duplex.TransportConfig;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.nio.FaultProxy.Way;
import io.duplex.peer.MembershipListener;
import io.duplex.peer.PeerNode;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A {@link PeerNode} dialing its peer through a {@link FaultProxy}: when the link is reset, cut
 * by a partition, or dies silently on one side only, the node drops the peer once, redials it
 * with backoff, and gets it back once the network heals, with messages flowing both ways again.
 * Membership events fire at most once per connection: joined, then left.
 */
@Timeout(60)
class PeerNodeFaultTest {

  /** Every joined and left a node heard, per connection. */
  private static final class Membership implements MembershipListener<byte[]> {
    final List<String> events = new CopyOnWriteArrayList<>();
    final List<Connection<byte[]>> joined = new CopyOnWriteArrayList<>();
    final List<Connection<byte[]>> left = new CopyOnWriteArrayList<>();
    final List<ConnectionClosedException> causes = new CopyOnWriteArrayList<>();
    final List<String> problems = new CopyOnWriteArrayList<>();

    @Override
    public void joined(Connection<byte[]> peer) {
      if (joined.contains(peer)) {
        problems.add("joined twice: " + peer);
      }
      joined.add(peer);
      events.add("joined " + peer.peer().nodeId());
    }

    @Override
    public void left(Connection<byte[]> peer, ConnectionClosedException cause) {
      if (!joined.contains(peer) || left.contains(peer)) {
        problems.add("left without joining, or twice: " + peer);
      }
      left.add(peer);
      causes.add(cause);
      events.add("left " + peer.peer().nodeId());
    }

    /** The cause of the one left event of {@code peer}. */
    ConnectionClosedException leftCause(Connection<byte[]> peer) {
      int i = left.indexOf(peer);
      assertTrue(i >= 0, "no left event for " + peer);
      return causes.get(i);
    }
  }

  private static PeerNode<byte[]> peerNode(String name,
      UnaryOperator<TransportConfig.Builder> settings,
      UnaryOperator<PeerNode.Builder<byte[]>> how) throws Exception {
    TransportConfig config = settings.apply(TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of(name))
        .closeTimeout(Duration.ofMillis(500))).build();
    return how.apply(PeerNode.builder(NioTransport.builder(ByteArrayCodec.instance())
        .config(config).factory())
        .reconnect(Duration.ofMillis(20), Duration.ofMillis(200))).build();
  }

  /**
   * Within 20 s, both nodes have each other and a message goes each way on their current
   * connections. A try that meets a connection closing under it (a duplicate being dropped, a
   * stale dial from a partition) tries again, with the next sequence numbers.
   */
  private static void assertConnected(PeerNode<byte[]> a, PeerNode<byte[]> b, int seq)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    Throwable last = null;
    for (int attempt = 0; attempt < 1000 && System.nanoTime() - deadline < 0; attempt++) {
      Peers.await("a and b have each other", 20, () -> alivePeer(a) && alivePeer(b));
      long s = seq + 2L * attempt;
      try {
        Connection<byte[]> atA = a.peer(NodeId.of("b")).orElseThrow();
        Connection<byte[]> atB = b.peer(NodeId.of("a")).orElseThrow();
        atA.send(message(s, 100)).get(10, TimeUnit.SECONDS);
        atB.send(message(s + 1, 100)).get(10, TimeUnit.SECONDS);
        assertEquals(s, sequenceOf(atB.receive(Duration.ofSeconds(5)), 100));
        assertEquals(s + 1, sequenceOf(atA.receive(Duration.ofSeconds(5)), 100));
        return;
      } catch (java.util.NoSuchElementException | ExecutionException | DuplexException e) {
        last = e; // the connection changed under the try
      }
    }
    throw new AssertionError("a and b did not exchange messages within 20 s", last);
  }

  private static boolean alivePeer(PeerNode<byte[]> node) {
    List<Connection<byte[]>> peers = node.peers();
    return peers.size() == 1 && peers.get(0).isAlive();
  }

  @Test
  void shouldRedialAPeerLostToAResetOnceTheLinkAcceptsAgain() throws Exception {
    Membership atA = new Membership();
    Membership atB = new Membership();
    try (PeerNode<byte[]> b = peerNode("b", x -> x,
            x -> x.listen(Peers.ANY_LOCAL).membershipListener(atB));
        FaultProxy proxy = new FaultProxy(b.listenAddress().orElseThrow());
        PeerNode<byte[]> a = peerNode("a", x -> x,
            x -> x.dial(proxy.address()).membershipListener(atA))) {
      assertConnected(a, b, 0);
      Connection<byte[]> first = a.peers().get(0);
      Connection<byte[]> firstAtB = b.peers().get(0);
      proxy.refuse(true); // down: every redial is reset at once
      proxy.resetAll();
      Peers.await("both lose the peer", 10, () -> a.size() == 0 && b.size() == 0);
      long dialed = a.transport().stats().dialed();
      Peers.await("a keeps redialing while the link is down", 10,
          () -> a.transport().stats().dialed() >= dialed + 3);
      assertEquals(0, a.size());
      long healed = System.nanoTime();
      proxy.refuse(false);
      assertConnected(a, b, 10);
      System.out.printf("FaultTest PeerNode reset: %d redials refused; rejoined %d ms after the"
          + " link healed%n", a.transport().stats().dialed() - dialed,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - healed));
      Peers.await("every event heard", 10,
          () -> atA.events.size() == 3 && atB.events.size() == 3);
      assertTrue(causedBy(atA.leftCause(first), IOException.class), atA.causes.toString());
      assertTrue(causedBy(atB.leftCause(firstAtB), IOException.class), atB.causes.toString());
      assertEquals(List.of("joined b", "left b", "joined b"), atA.events);
      assertEquals(List.of("joined a", "left a", "joined a"), atB.events);
      assertEquals(List.of(), atA.problems);
      assertEquals(List.of(), atB.problems);
    }
  }

  @Test
  void shouldRedialAPeerLostToAPartitionOnceItHeals() throws Exception {
    UnaryOperator<TransportConfig.Builder> watchful = x -> x.pingInterval(Duration.ofMillis(100))
        .pongTimeout(Duration.ofMillis(400)).handshakeTimeout(Duration.ofMillis(500));
    Membership atA = new Membership();
    Membership atB = new Membership();
    try (PeerNode<byte[]> b = peerNode("b", watchful,
            x -> x.listen(Peers.ANY_LOCAL).membershipListener(atB));
        FaultProxy proxy = new FaultProxy(b.listenAddress().orElseThrow());
        PeerNode<byte[]> a = peerNode("a", watchful,
            x -> x.dial(proxy.address()).membershipListener(atA))) {
      assertConnected(a, b, 0);
      Connection<byte[]> first = a.peers().get(0);
      Connection<byte[]> firstAtB = b.peers().get(0);
      proxy.faults(Way.TO_SERVER).cut(); // a partition: every link, present and future, is mute
      proxy.faults(Way.TO_CLIENT).cut();
      Peers.await("both hear the peer leave", 10,
          () -> atA.left.contains(first) && atB.left.contains(firstAtB));
      assertInstanceOf(PongTimeoutException.class, atA.leftCause(first).getCause());
      assertInstanceOf(PongTimeoutException.class, atB.leftCause(firstAtB).getCause());
      long dialed = a.transport().stats().dialed();
      Peers.await("a keeps redialing into the partition", 10,
          () -> a.transport().stats().dialed() >= dialed + 2);
      long healed = System.nanoTime();
      proxy.healAll();
      assertConnected(a, b, 10);
      System.out.printf("FaultTest PeerNode partition: %d redials timed out; rejoined %d ms"
          + " after the partition healed; events a %s, b %s%n",
          a.transport().stats().dialed() - dialed,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - healed), atA.events, atB.events);
      // Each connection joined at most once and left at most once, after joining; the first
      // ones left exactly once. (A dial in flight when the partition healed may open on one
      // side just after the other gave up on it: it joins and leaves there, once each.)
      assertEquals(List.of(), atA.problems);
      assertEquals(List.of(), atB.problems);
      assertEquals(1, atA.left.stream().filter(c -> c == first).count());
      assertEquals(1, atB.left.stream().filter(c -> c == firstAtB).count());
    }
  }

  @Test
  void shouldRecoverWhenOnlyTheDialerNoticesThatTheLinkDied() throws Exception {
    // a notices the dead link within 0.5 s. b has the default liveness check, which would
    // notice only after 15 to 25 s; but a's redial tells b, which pings the old connection and
    // drops it when no pong comes within 2 s (Duplicates.probe).
    UnaryOperator<TransportConfig.Builder> quick = x -> x.pingInterval(Duration.ofMillis(100))
        .pongTimeout(Duration.ofMillis(300));
    UnaryOperator<TransportConfig.Builder> slow = x -> x;
    Membership atA = new Membership();
    Membership atB = new Membership();
    try (PeerNode<byte[]> b = peerNode("b", slow,
            x -> x.listen(Peers.ANY_LOCAL).membershipListener(atB));
        FaultProxy proxy = new FaultProxy(b.listenAddress().orElseThrow());
        PeerNode<byte[]> a = peerNode("a", quick,
            x -> x.dial(proxy.address()).membershipListener(atA))) {
      assertConnected(a, b, 0);
      Connection<byte[]> first = a.peers().get(0);
      Connection<byte[]> firstAtB = b.peers().get(0);
      long cut = System.nanoTime();
      proxy.links().get(0).faults(Way.TO_SERVER).cut(); // this link dies; new ones work
      proxy.links().get(0).faults(Way.TO_CLIENT).cut();
      Peers.await("a gives the link up", 10, () -> atA.left.contains(first));
      long aLeft = System.nanoTime();
      Peers.await("b gives the link up, long before its liveness check would", 10,
          () -> atB.left.contains(firstAtB));
      long bLeft = System.nanoTime();
      assertConnected(a, b, 10);
      long back = System.nanoTime();
      System.out.printf("FaultTest PeerNode stale link: a left after %d ms, b after %d ms;"
          + " rejoined %d ms after the cut; meanwhile b refused %d redials of a as duplicates"
          + " of the dead connection (a saw %d short-lived joins)%n",
          TimeUnit.NANOSECONDS.toMillis(aLeft - cut), TimeUnit.NANOSECONDS.toMillis(bLeft - cut),
          TimeUnit.NANOSECONDS.toMillis(back - cut), proxy.links().size() - 2,
          atA.joined.size() - 2);
      assertInstanceOf(PongTimeoutException.class, atA.leftCause(first).getCause());
      assertTrue(atB.leftCause(firstAtB).getMessage().contains("aborted"),
          () -> "dropped by b's probe: " + atB.leftCause(firstAtB));
      assertEquals(List.of(), atA.problems);
      assertEquals(List.of(), atB.problems);
      // Each refused redial counts as a failed attempt: the delays double (20, 40, 80, 160 ms,
      // then 200 ms, less at most 20% jitter), so there are at most 5 + (time / 160 ms) of them
      // however slowly the machine runs. Redialing at the shortest delay every time would make
      // one every 20 ms or so.
      long staleMillis = TimeUnit.NANOSECONDS.toMillis(back - aLeft);
      assertTrue(atA.joined.size() - 2 <= 5 + staleMillis / 160, "a rejoined "
          + (atA.joined.size() - 2) + " times in " + staleMillis + " ms: no backoff");
    }
  }
}
