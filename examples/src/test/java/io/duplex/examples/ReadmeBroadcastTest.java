package io.duplex.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.security.Identity;
import io.duplex.TransportConfig;
import io.duplex.codec.json.JsonCodec;
import io.duplex.codec.message.ConsensusMessage;
import io.duplex.codec.message.Proposal;
import io.duplex.codec.message.Vote;
import io.duplex.codec.message.VoteType;
import io.duplex.nio.NioTransport;
import io.duplex.peer.BroadcastResult;
import io.duplex.peer.PeerNode;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's broadcast section, with ports picked by the OS instead of 9001-9003. */
@Timeout(60)
class ReadmeBroadcastTest {

  private static PeerNode<ConsensusMessage> node(Identity id, List<String> heard,
      InetSocketAddress... peers) throws Exception {
    return PeerNode.builder(
            NioTransport.builder(JsonCodec.consensus())
                .config(TransportConfig.builder().identity(id).build())
                .factory())
        .listen(new InetSocketAddress("127.0.0.1", 0))
        .dial(peers)
        .onMessage((peer, message) -> heard.add(peer.peer().nodeId() + ": " + message))
        .build();
  }

  @Test
  void shouldBroadcastAsTheReadmeShows() throws Exception {
    List<String> heard = new CopyOnWriteArrayList<>();
    Identity validator1 = Identity.generate();
    try (PeerNode<ConsensusMessage> v2 = node(Identity.generate(), heard);
        PeerNode<ConsensusMessage> v3 = node(Identity.generate(), heard);
        PeerNode<ConsensusMessage> node = node(validator1, new CopyOnWriteArrayList<>(),
            v2.listenAddress().orElseThrow(), v3.listenAddress().orElseThrow())) {
      Await.until(() -> node.size() == 2);

      String blockHash = "ab".repeat(32);
      Vote vote = new Vote(7, 0, VoteType.PREVOTE, blockHash, "validator-1", System.nanoTime());
      BroadcastResult result = node.broadcast(vote);
      result.quorum(2).get(10, TimeUnit.SECONDS);
      Proposal proposal = new Proposal(7, 0, "validator-1", blockHash, new byte[1024]);
      node.broadcast(proposal, Duration.ofMillis(500)).all().get(10, TimeUnit.SECONDS);

      Await.until(() -> heard.size() == 4);
      String from = validator1.nodeId() + ": ";
      assertEquals(2, heard.stream().filter(h -> h.startsWith(from + "Vote")).count());
      assertTrue(heard.stream().anyMatch(h -> h.startsWith(from + "Proposal")), heard::toString);
    }
  }
}
