package io.duplex.nio;

import static io.duplex.nio.LaneTest.BLOCKS;
import static io.duplex.nio.LaneTest.CONSENSUS;
import static io.duplex.nio.LaneTest.message;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.Encoded;
import io.duplex.LaneStats;
import io.duplex.NodeId;
import io.duplex.TransportConfig;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.nio.NioTransport;
import io.duplex.peer.BroadcastResult;
import io.duplex.peer.PeerNode;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Lanes for many peers: one encoding (in chunks) shared, broadcast per lane, stats per lane. */
@Timeout(60)
class LaneBroadcastTest {

  @Test
  void shouldShareOneChunkedEncodingAcrossConnectionsAndCountItPerLane() throws Exception {
    try (Peers.Node a = LaneTest.node("a", false, LaneTest.lanes());
        Peers.Node b = LaneTest.node("b", false, LaneTest.lanes());
        Peers.Node c = LaneTest.node("c", false, LaneTest.lanes())) {
      b.listen();
      c.listen();
      List<Connection<byte[]>> out = List.of(a.connect(b), a.connect(c));
      List<Connection<byte[]>> in = List.of(b.nextOpened(), c.nextOpened());
      byte[] block = message(2, 0, 1_500_000);
      byte[] vote = message(1, 0, 100);
      Encoded<byte[]> blockOnce = a.transport.encode(BLOCKS, block); // chunks, laid out once
      Encoded<byte[]> voteOnce = a.transport.encode(CONSENSUS, vote);
      assertTrue(blockOnce.frameLength() < 70_000, "one chunk, not the block, is the longest"
          + " frame: " + blockOnce.frameLength());
      for (Connection<byte[]> o : out) {
        o.send(blockOnce).get(10, TimeUnit.SECONDS);
        o.send(voteOnce).get(10, TimeUnit.SECONDS);
      }
      for (Connection<byte[]> i : in) {
        assertArrayEquals(block, i.receive(Duration.ofSeconds(10)));
        assertArrayEquals(vote, i.receive(Duration.ofSeconds(10)));
        LaneStats blocks = i.stats(BLOCKS);
        assertEquals("blocks", blocks.lane());
        assertEquals(1, blocks.messagesReceived());
        assertEquals(1, i.stats(CONSENSUS).messagesReceived());
      }
      for (Connection<byte[]> o : out) {
        LaneStats blocks = o.stats(BLOCKS);
        assertEquals(1, blocks.messagesSent());
        assertEquals(0, blocks.pendingBytes());
        assertEquals(1, o.stats(CONSENSUS).messagesSent());
        assertTrue(blocks.sendCredit() > 0, "credit " + blocks.sendCredit());
      }
    }
  }

  @Test
  void shouldRefuseAMessageEncodedForLanesOnAConnectionWithout() throws Exception {
    try (Peers.Node laned = LaneTest.node("laned", false, LaneTest.lanes());
        Peers.Node a = LaneTest.node("a", false, x -> { });
        Peers.Node b = LaneTest.node("b", false, x -> { })) {
      b.listen();
      Connection<byte[]> plain = a.connect(b);
      Encoded<byte[]> onLane = laned.transport.encode(CONSENSUS, new byte[10]);
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> plain.send(onLane).get(10, TimeUnit.SECONDS));
      assertInstanceOf(IllegalArgumentException.class, e.getCause());
      assertTrue(plain.isAlive());
    }
  }

  private static PeerNode<byte[]> peerNode(String name, boolean listen, BlockingQueue<String> got)
      throws Exception {
    TransportConfig config = TransportConfig.builder().insecurePlaintext()
        .nodeId(NodeId.of(name)).lanes(CONSENSUS, BLOCKS, LaneTest.MEMPOOL)
        .closeTimeout(Duration.ofMillis(500)).build();
    PeerNode.Builder<byte[]> b = PeerNode.builder(NioTransport.builder(ByteArrayCodec.instance())
        .config(config).factory()).onMessage((c, m) -> {
          ByteBuffer head = ByteBuffer.wrap(m);
          got.add(name + " " + head.getInt() + ":" + head.getInt());
        });
    return (listen ? b.listen(Peers.ANY_LOCAL) : b).build();
  }

  @Test
  void shouldBroadcastAndSendToPeersOnALane() throws Exception {
    BlockingQueue<String> got = new LinkedBlockingQueue<>();
    try (PeerNode<byte[]> hub = peerNode("hub", true, got);
        PeerNode<byte[]> x = peerNode("x", false, got);
        PeerNode<byte[]> y = peerNode("y", false, got)) {
      x.addPeer(hub.listenAddress().orElseThrow());
      y.addPeer(hub.listenAddress().orElseThrow());
      Peers.await("both peers join the hub", 10, () -> hub.size() == 2);
      BroadcastResult r = hub.broadcast(BLOCKS, message(2, 7, 200_000), Duration.ofSeconds(5));
      r.all().get(10, TimeUnit.SECONDS);
      hub.sendTo(NodeId.of("x"), CONSENSUS, message(1, 3, 50)).get(10, TimeUnit.SECONDS);
      java.util.Set<String> expected = new java.util.HashSet<>(List.of("x 2:7", "y 2:7", "x 1:3"));
      for (int i = 0; i < 3; i++) {
        String m = got.poll(10, TimeUnit.SECONDS);
        assertTrue(expected.remove(m), "unexpected or duplicate " + m);
      }
      assertEquals(1, hub.peer(NodeId.of("y")).orElseThrow().stats(BLOCKS).messagesSent());
    }
  }
}
