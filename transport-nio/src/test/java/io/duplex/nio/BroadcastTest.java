package io.duplex.nio;

import static io.duplex.nio.Peers.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.NodeId;
import io.duplex.SlowPeerPolicy;
import io.duplex.TransportConfig;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.codec.Codec;
import io.duplex.codec.PayloadSink;
import io.duplex.peer.BroadcastResult;
import io.duplex.peer.BroadcastResult.Outcome;
import io.duplex.peer.PeerNode;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Broadcast: encoded once, never waits, one slow peer isolated by its hard limit. */
@Timeout(120)
class BroadcastTest {
  private static final long HARD = 256 * 1024;

  private static PeerNode<byte[]> hub(Codec<byte[]> codec, SlowPeerPolicy policy)
      throws Exception {
    TransportConfig config = TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of("hub"))
        .maxFrameSize(64 * 1024).highWaterMark(64 * 1024).lowWaterMark(32 * 1024)
        .outboundHardLimit(HARD).slowPeerPolicy(policy)
        .closeTimeout(Duration.ofMillis(500)).maxInboundConnectionsPerAddress(64).build();
    return PeerNode.builder(NioTransport.builder(codec).config(config)
            .sendBufferSize(32 * 1024).factory())
        .listen(Peers.ANY_LOCAL).maxPerAddress(64).build(); // every test peer is on 127.0.0.1
  }

  /** 15 fast peers that check order; returns them once all joined the hub. */
  private static List<Peers.Node> fastPeers(PeerNode<byte[]> hub, int count,
      ConcurrentHashMap<String, AtomicInteger> next, Set<String> problems) throws Exception {
    List<Peers.Node> fast = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String name = "fast-" + i;
      next.put(name, new AtomicInteger());
      Peers.Node peer = node(name, b -> { }, c -> c.onMessage((conn, m) -> {
        int seq = ByteBuffer.wrap(m).getInt();
        if (next.get(name).getAndIncrement() != seq) {
          problems.add(name + " got " + seq + " out of order");
        }
      }));
      peer.transport.connect(hub.listenAddress().orElseThrow()).get(10, TimeUnit.SECONDS);
      fast.add(peer);
    }
    return fast;
  }

  @ParameterizedTest
  @EnumSource(SlowPeerPolicy.class)
  void shouldDeliverEverythingToFastPeersAndHoldTheSlowPeerToItsHardLimit(SlowPeerPolicy policy)
      throws Exception {
    int messages = 1_000;
    ConcurrentHashMap<String, AtomicInteger> next = new ConcurrentHashMap<>();
    Set<String> problems = ConcurrentHashMap.newKeySet();
    try (PeerNode<byte[]> hub = hub(ByteArrayCodec.instance(), policy)) {
      List<Peers.Node> fast = fastPeers(hub, 15, next, problems);
      try (SlowReader slow = new SlowReader(hub.listenAddress().orElseThrow(), "slow")) {
        Peers.await("16 peers joined", 10, () -> hub.size() == 16);
        Connection<byte[]> toSlow = hub.peer(NodeId.of("slow")).orElseThrow();
        EnumSet<Outcome> slowOutcomes = EnumSet.noneOf(Outcome.class);
        List<BroadcastResult> results = new ArrayList<>();
        long maxPending = 0;
        for (int i = 0; i < messages; i++) {
          byte[] m = ByteBuffer.allocate(1024).putInt(i).array();
          BroadcastResult r = hub.broadcast(m);
          results.add(r);
          maxPending = Math.max(maxPending, toSlow.pendingBytes());
          // Flow control by quorum: wait for the fast peers only, never for the slow one.
          r.quorum(15).get(10, TimeUnit.SECONDS);
        }
        for (BroadcastResult r : results) {
          r.all().get(10, TimeUnit.SECONDS);
          for (NodeId peer : r.peers()) {
            Outcome o = r.outcome(peer);
            if (peer.equals(NodeId.of("slow"))) {
              slowOutcomes.add(o);
            } else {
              assertEquals(Outcome.WRITTEN, o, "fast peer " + peer);
            }
          }
        }
        Peers.await("fast peers received all", 30, () -> next.values().stream()
            .allMatch(n -> n.get() == messages));
        assertTrue(problems.isEmpty(), problems::toString);
        assertTrue(maxPending <= HARD, "slow peer pending " + maxPending + " > " + HARD);
        assertTrue(toSlow.stats().pendingBytesHighWater() <= HARD);
        switch (policy) {
          case FAIL_SEND:
            assertTrue(slowOutcomes.contains(Outcome.REFUSED), slowOutcomes::toString);
            assertTrue(toSlow.isAlive());
            break;
          case DISCONNECT:
            assertTrue(slowOutcomes.contains(Outcome.FAILED), slowOutcomes::toString);
            assertInstanceOf(io.duplex.BackpressureException.class,
                toSlow.closeCause().getCause());
            assertEquals(15, hub.size(), "the slow peer left the group");
            break;
          default:
            assertTrue(slowOutcomes.contains(Outcome.DROPPED), slowOutcomes::toString);
            assertTrue(toSlow.isAlive());
        }
      } finally {
        fast.forEach(Peers.Node::close);
      }
    }
  }

  @Test
  void shouldEncodeOncePerBroadcast() throws Exception {
    AtomicInteger encodes = new AtomicInteger();
    Codec<byte[]> counting = new Codec<>() {
      @Override
      public String name() {
        return "bytes";
      }

      @Override
      public void encode(byte[] message, PayloadSink sink) {
        encodes.incrementAndGet();
        ByteArrayCodec.instance().encode(message, sink);
      }

      @Override
      public byte[] decode(ByteBuffer payload) {
        return ByteArrayCodec.instance().decode(payload);
      }
    };
    AtomicInteger received = new AtomicInteger();
    try (PeerNode<byte[]> hub = hub(counting, SlowPeerPolicy.FAIL_SEND)) {
      List<Peers.Node> peers = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        Peers.Node p = node("peer-" + i, b -> { }, c -> c.onMessage((conn, m) ->
            received.incrementAndGet()));
        p.transport.connect(hub.listenAddress().orElseThrow()).get(10, TimeUnit.SECONDS);
        peers.add(p);
      }
      Peers.await("5 peers", 10, () -> hub.size() == 5);
      for (int i = 0; i < 10; i++) {
        assertEquals(5, hub.broadcast(new byte[100]).all().get(10, TimeUnit.SECONDS).written());
      }
      assertEquals(10, encodes.get(), "one encode per broadcast, not one per peer");
      Peers.await("all delivered", 10, () -> received.get() == 50);
      peers.forEach(Peers.Node::close);
    }
  }

  @Test
  void shouldCompleteAQuorumWhileTwoPeersAreStalledAndDropStaleFramesForThem()
      throws Exception {
    try (PeerNode<byte[]> hub = hub(ByteArrayCodec.instance(), SlowPeerPolicy.FAIL_SEND)) {
      List<Peers.Node> peers = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        boolean stalled = i < 2;
        Peers.Node p = node("peer-" + i, b -> b.inboundQueueCapacity(1),
            t -> t.receiveBufferSize(16 * 1024), c -> {
              if (!stalled) {
                c.onMessage((conn, m) -> { });
              }
            });
        p.transport.connect(hub.listenAddress().orElseThrow()).get(10, TimeUnit.SECONDS);
        peers.add(p);
      }
      Peers.await("5 peers", 10, () -> hub.size() == 5);
      List<NodeId> stalled = List.of(NodeId.of("peer-0"), NodeId.of("peer-1"));
      // Fill the stalled peers' socket buffers and queues so new frames wait behind a backlog.
      for (int i = 0; i < 200; i++) {
        hub.broadcast(new byte[32 * 1024]);
      }
      Peers.await("stalled backlogs", 10, () -> stalled.stream().allMatch(id ->
          hub.peer(id).orElseThrow().pendingBytes() > 0));

      BroadcastResult vote = hub.broadcast("vote".getBytes(), Duration.ofMillis(200));
      vote.quorum(3).get(10, TimeUnit.SECONDS);
      for (NodeId id : stalled) {
        assertTrue(Set.of(Outcome.PENDING, Outcome.REFUSED, Outcome.DROPPED)
            .contains(vote.outcome(id)), vote.toString());
      }
      vote.all().get(10, TimeUnit.SECONDS); // the deadline or the limit settles the stalled two
      for (NodeId id : stalled) {
        assertTrue(Set.of(Outcome.REFUSED, Outcome.DROPPED).contains(vote.outcome(id)),
            vote.toString());
      }
      assertEquals(3, vote.written());
      peers.forEach(Peers.Node::close);
    }
  }
}
