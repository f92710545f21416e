package io.duplex.examples;

import io.duplex.NodeId;
import io.duplex.TransportConfig;
import io.duplex.security.Identity;
import io.duplex.codec.Codecs;
import io.duplex.nio.NioTransport;
import io.duplex.peer.BroadcastResult;
import io.duplex.peer.PeerNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code gossip [--nodes 4] [--rumors 5]}: the custom codec example. A small fully meshed network
 * of {@link PeerNode}s on 127.0.0.1 (each node dials the ones started before it) speaks {@link
 * GossipCodec}, a binary encoding of the user's own {@link Gossip} messages. Node 0 starts the rumors; every node forwards each rumor it
 * has not seen to all its peers; a node that knows every rumor broadcasts a {@link
 * Gossip.Heartbeat} saying so. It ends when every node knows every rumor and has heard every
 * other node say so (exit 0), or after 10 s (exit 1, saying who is missing what).
 */
final class GossipExample {
  static final String USAGE = "gossip [--nodes 4] [--rumors 5]";
  private static final long DEADLINE_SECONDS = 10;

  private GossipExample() {}

  static int run(String[] args, PrintStream out, PrintStream err) {
    int nodes;
    int rumors;
    try {
      Args a = Args.parse(args, Set.of("nodes", "rumors"));
      nodes = a.intValue("nodes", 4, 2, 32);
      rumors = a.intValue("rumors", 5, 1, 1000);
    } catch (Args.UsageException e) {
      err.println("gossip: " + e.getMessage());
      err.println("usage: " + USAGE);
      return Args.USAGE_STATUS;
    }
    GossipCodec codec = new GossipCodec();
    Gossip.Rumor sample = new Gossip.Rumor(1, 0, "rumor 1 from node-0");
    out.printf(Locale.ROOT, "%d nodes on 127.0.0.1 speaking %s; a rumor like %s is %d bytes"
        + " on the wire%n", nodes, codec.name(), sample, Codecs.encode(codec, sample).length);

    AtomicReferenceArray<PeerNode<Gossip>> network = new AtomicReferenceArray<>(nodes);
    List<Set<Long>> known = new ArrayList<>();
    Map<NodeId, String> names = new ConcurrentHashMap<>(); // node id -> the name we print
    List<Set<String>> upToDate = new ArrayList<>(); // the nodes each node heard say "all known"
    CountDownLatch done = new CountDownLatch(nodes);
    List<InetSocketAddress> started = new ArrayList<>();
    try {
      for (int i = 0; i < nodes; i++) {
        int node = i;
        known.add(ConcurrentHashMap.newKeySet());
        upToDate.add(ConcurrentHashMap.newKeySet());
        Identity identity = Identity.generate(); // a secure node's id is its key's
        names.put(identity.nodeId(), DemoNetwork.name(i));
        PeerNode<Gossip> peerNode = PeerNode.builder(NioTransport.builder(codec)
                .config(TransportConfig.builder().identity(identity)
                    // every node runs on 127.0.0.1: all its peers dial from the one address
                    .maxInboundConnectionsPerAddress(
                        TransportConfig.DEFAULT_MAX_INBOUND_CONNECTIONS)
                    .build())
                .factory())
            .listen(new InetSocketAddress("127.0.0.1", 0))
            .dial(started.toArray(new InetSocketAddress[0]))
            .onMessage((from, message) -> {
              if (message instanceof Gossip.Rumor r && known.get(node).add(r.id())) {
                out.printf(Locale.ROOT, "%s heard rumor %d from %s after %d hop%s%n",
                    DemoNetwork.name(node), r.id(), names.get(from.peer().nodeId()), r.hops() + 1,
                    r.hops() == 0 ? "" : "s");
                forward(network.get(node), new Gossip.Rumor(r.id(), r.hops() + 1, r.text()));
                if (known.get(node).size() == rumors) {
                  forward(network.get(node), new Gossip.Heartbeat(DemoNetwork.name(node),
                      rumors));
                }
              } else if (message instanceof Gossip.Heartbeat h && h.known() == rumors
                  && upToDate.get(node).add(h.node()) && upToDate.get(node).size() == nodes - 1) {
                done.countDown(); // heard every other node say it knows all
              }
            })
            .build();
        network.set(i, peerNode);
        started.add(peerNode.listenAddress().orElseThrow());
      }
      awaitMesh(network, nodes);
      // Node 0 knows its own rumors from the start, and counts itself up to date.
      for (long id = 1; id <= rumors; id++) {
        known.get(0).add(id);
        forward(network.get(0), new Gossip.Rumor(id, 0, "rumor " + id + " from node-0"));
      }
      forward(network.get(0), new Gossip.Heartbeat(DemoNetwork.name(0), rumors));
      if (!done.await(DEADLINE_SECONDS, TimeUnit.SECONDS)) {
        for (int i = 0; i < nodes; i++) {
          err.printf(Locale.ROOT, "gossip: %s knows %d of %d rumors and heard %d of %d nodes"
              + " say they know all%n", DemoNetwork.name(i), known.get(i).size(), rumors,
              upToDate.get(i).size(), nodes - 1);
        }
        return 1;
      }
      out.printf(Locale.ROOT, "every node heard every rumor, and every other node say so%n");
      return 0;
    } catch (IOException | IllegalStateException e) {
      err.println("gossip: cannot start the network on 127.0.0.1: " + e);
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    } finally {
      for (int i = 0; i < nodes; i++) {
        PeerNode<Gossip> n = network.get(i);
        if (n != null) {
          n.close();
        }
      }
    }
  }

  /** Sends to every peer; the result is ignored: a peer that misses it hears it from another. */
  private static void forward(PeerNode<Gossip> node, Gossip message) {
    BroadcastResult ignored = node.broadcast(message);
  }

  private static void awaitMesh(AtomicReferenceArray<PeerNode<Gossip>> network, int nodes) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS);
    for (int i = 0; i < nodes; i++) {
      while (network.get(i).size() < nodes - 1) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(DemoNetwork.name(i) + " has " + network.get(i).size()
              + " of " + (nodes - 1) + " peers after " + DEADLINE_SECONDS + " s");
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
      }
    }
  }
}
