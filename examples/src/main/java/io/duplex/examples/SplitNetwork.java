package io.duplex.examples;

import io.duplex.Connection;
import io.duplex.Lane;
import io.duplex.NodeId;
import io.duplex.TransportConfig;
import io.duplex.security.Identity;
import io.duplex.codec.json.JsonCodec;
import io.duplex.codec.message.ConsensusMessage;
import io.duplex.codec.message.Proposal;
import io.duplex.codec.message.Vote;
import io.duplex.nio.NioTransport;
import io.duplex.peer.BroadcastResult;
import io.duplex.peer.PeerNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The demo over duplex: one {@link PeerNode} per node with the JSON codec, each dialling the
 * nodes started before it. Broadcast is fire-and-forget; a node holds at most {@value
 * #HARD_LIMIT} bytes for any one peer, and refuses sends past that (the slow node misses those).
 * The slow node runs its handlers on its read loop and waits out its throttle there, so it reads
 * its sockets slowly, with small socket buffers, like a node on a poor link.
 *
 * <p>With lanes on, every connection carries two lanes beside the default one: proposals go on
 * {@link #BLOCKS} (which has the hard limit above) and votes on {@link #CONSENSUS}, so a vote
 * goes ahead of the chunks of a block queued before it. {@code PeerNode} has no broadcast per
 * lane yet, so a lane broadcast sends to each peer's connection in turn, encoding the message
 * once per peer. With lanes off the network is as it was before lanes: one lane, and {@code
 * PeerNode.broadcast} for both kinds of message.
 */
final class SplitNetwork implements DemoNetwork {
  static final long HARD_LIMIT = 4L << 20;
  /** The largest frame, and with lanes the largest proposal: 2 MiB. */
  static final int MAX_MESSAGE = 2 << 20;
  /** What the consensus lane may hold for one peer (votes are about 300 bytes each). */
  static final long VOTE_HARD_LIMIT = 1L << 20;
  /** The votes' lane: heavy weight, small messages. */
  static final Lane CONSENSUS = Lane.builder("consensus").weight(100).maxMessageSize(64 << 10)
      .outboundHardLimit(VOTE_HARD_LIMIT).build();
  /** The proposals' lane: light weight, large messages, the network's hard limit per peer. */
  static final Lane BLOCKS = Lane.builder("blocks").weight(10).maxMessageSize(MAX_MESSAGE)
      .outboundHardLimit(HARD_LIMIT).build();
  /** Every node's SO_SNDBUF, in both modes: small, so that queues show here, not in the kernel. */
  static final int SEND_BUFFER = 128 << 10;

  /** Set once each by the constructor, read by the proposers and every node's handlers. */
  private final AtomicReferenceArray<PeerNode<ConsensusMessage>> nodes;
  /** Each node's id (its identity key's), by index. */
  private final NodeId[] ids;
  private final DemoStats stats;
  /** Whether proposals and votes travel on their own lanes. */
  private final boolean lanes;

  /**
   * Starts {@code stats.nodes()} nodes listening on 127.0.0.1 ({@code basePort + i}, or any free
   * port if {@code basePort} is 0) and waits up to 10 s for the full mesh. With {@code lanes},
   * every node configures {@link #CONSENSUS} and {@link #BLOCKS}.
   *
   * @throws IOException if a node cannot listen
   */
  SplitNetwork(DemoStats stats, int basePort, long slowBytesPerSecond, boolean lanes)
      throws IOException {
    this.stats = stats;
    this.lanes = lanes;
    int n = stats.nodes();
    nodes = new AtomicReferenceArray<>(n);
    ids = new NodeId[n];
    Throttle throttle = new Throttle(slowBytesPerSecond);
    List<InetSocketAddress> started = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        int node = i;
        // Secure by default: each node proves a fresh identity key in every handshake.
        Identity identity = Identity.generate();
        ids[i] = identity.nodeId();
        TransportConfig.Builder config = TransportConfig.builder().identity(identity)
            .highWaterMark(1 << 20).lowWaterMark(512 << 10)
            .maxFrameSize(MAX_MESSAGE).outboundHardLimit(HARD_LIMIT)
            // A long send timeout: here the hard limit, not a timeout, is what bounds the slow
            // node's queue (a 256 KiB frame to it can take seconds to write).
            .sendTimeout(java.time.Duration.ofSeconds(60))
            .closeTimeout(java.time.Duration.ofSeconds(1))
            // Every node runs on 127.0.0.1, so all its peers dial from the one address.
            .maxInboundConnectionsPerAddress(TransportConfig.DEFAULT_MAX_INBOUND_CONNECTIONS);
        if (lanes) {
          config.lanes(CONSENSUS, BLOCKS); // the same on every node, as the handshake requires
        }
        NioTransport.Builder<ConsensusMessage> transport = NioTransport.builder(
                JsonCodec.consensus()).config(config.build())
            // Small kernel buffers, so what waits for the slow node shows here, not in the kernel.
            .sendBufferSize(SEND_BUFFER);
        if (stats.isSlow(i)) {
          transport.handlersOnReadLoop(true).receiveBufferSize(64 << 10);
        }
        PeerNode<ConsensusMessage> peerNode = PeerNode.builder(transport.factory())
            .listen(new InetSocketAddress("127.0.0.1", basePort == 0 ? 0 : basePort + i))
            .dial(started.toArray(new InetSocketAddress[0]))
            .onMessage((peer, message) -> DemoNetwork.deliver(stats, throttle, node, message,
                vote -> broadcastVote(node, vote)))
            .build();
        nodes.set(i, peerNode);
        started.add(peerNode.listenAddress().orElseThrow());
      }
      awaitMesh(n);
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  private void awaitMesh(int n) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    for (int i = 0; i < n; i++) {
      while (nodes.get(i).size() < n - 1) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(DemoNetwork.name(i) + " has " + nodes.get(i).size()
              + " of " + (n - 1) + " peers after 10 s");
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
      }
    }
  }

  @Override
  public void propose(int node, Proposal proposal) {
    if (lanes) {
      sendToEach(node, BLOCKS, proposal);
    } else {
      count(nodes.get(node).broadcast(proposal)); // returns at once
    }
  }

  private void broadcastVote(int node, Vote vote) {
    if (lanes) {
      sendToEach(node, CONSENSUS, vote);
    } else {
      count(nodes.get(node).broadcast(vote));
    }
  }

  /**
   * Sends {@code message} on {@code lane} to every peer of node {@code node}, one connection
   * after another (each send returns at once), and counts the sends that did not reach their
   * peer once all are known.
   */
  private void sendToEach(int node, Lane lane, ConsensusMessage message) {
    List<Connection<ConsensusMessage>> peers = nodes.get(node).peers();
    AtomicInteger lost = new AtomicInteger();
    CompletableFuture<?>[] sends = new CompletableFuture<?>[peers.size()];
    for (int i = 0; i < sends.length; i++) {
      CompletableFuture<Void> f;
      try {
        f = peers.get(i).send(lane, message);
      } catch (RuntimeException e) {
        f = CompletableFuture.failedFuture(e); // e.g. the connection closed as the run ended
      }
      sends[i] = f.whenComplete((ok, failure) -> {
        if (failure != null) {
          lost.incrementAndGet();
        }
      });
    }
    CompletableFuture.allOf(sends).whenComplete((ok, failure) -> {
      if (lost.get() > 0) {
        stats.sendsNotDelivered(lost.get());
      }
    });
  }

  /** Counts, once every peer's outcome is known, the sends that did not reach their peer. */
  private void count(BroadcastResult result) {
    result.all().thenAccept(r -> {
      int lost = r.size() - r.written();
      if (lost > 0) {
        stats.sendsNotDelivered(lost);
      }
    });
  }

  @Override
  public long pendingTowards(int node) {
    NodeId id = ids[node];
    long most = 0;
    for (int i = 0; i < nodes.length(); i++) {
      if (i != node) {
        most = Math.max(most, nodes.get(i).peer(id).map(Connection::pendingBytes).orElse(0L));
      }
    }
    return most;
  }

  /**
   * Closes the nodes newest first: node i dialed nodes 0 to i-1 and redials a node it loses, so
   * closing the newest first leaves nobody to redial a closed node (and log the refused dial).
   */
  @Override
  public void close() {
    for (int i = nodes.length() - 1; i >= 0; i--) {
      PeerNode<ConsensusMessage> node = nodes.get(i);
      if (node != null) {
        node.close();
      }
    }
  }
}
