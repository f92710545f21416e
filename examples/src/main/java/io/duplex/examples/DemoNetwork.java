package io.duplex.examples;

import io.duplex.codec.message.ConsensusMessage;
import io.duplex.codec.message.Proposal;
import io.duplex.codec.message.Vote;
import io.duplex.codec.message.VoteType;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The demo's network of nodes on 127.0.0.1, fully meshed, in one of two designs: {@link
 * SplitNetwork} (duplex) or {@link LockedNetwork} (one blocking socket and one lock per peer).
 * Both run the same node behaviour, {@link #deliver}.
 */
interface DemoNetwork extends AutoCloseable {

  /** Broadcasts {@code proposal} from node {@code node} to every other node. */
  void propose(int node, Proposal proposal);

  /**
   * The most bytes any one other node holds queued for node {@code node}, or -1 if the design
   * queues none (its senders block instead).
   */
  long pendingTowards(int node);

  @Override
  void close();

  /** The node name of node {@code i}. */
  static String name(int i) {
    return "node-" + i;
  }

  /** The index of the node named {@code name}. */
  static int index(String name) {
    return Integer.parseInt(name.substring("node-".length()));
  }

  /**
   * What a node does with a message that reached it: a slow node first waits out its throttle
   * (as a peer on a poor link reads slowly); a proposal is counted and answered with a vote
   * broadcast through {@code broadcastVote}; a vote is counted with its delivery latency.
   */
  static void deliver(DemoStats stats, Throttle throttle, int node, ConsensusMessage message,
      Consumer<Vote> broadcastVote) {
    if (stats.isSlow(node)) {
      throttle.pass(message instanceof Proposal p ? p.block().length + 128 : 160);
    }
    if (message instanceof Proposal p) {
      stats.proposalArrived(node, p.height());
      Vote vote = new Vote(p.height(), p.round(), VoteType.PREVOTE, p.blockHash(), name(node),
          System.nanoTime());
      stats.voteSent(node);
      broadcastVote.accept(vote);
    } else if (message instanceof Vote v) {
      stats.voteArrived(node, index(v.voter()), v.timestampNanos());
    }
  }

  /** A node's read rate limit: callers wait in turn until their bytes fit the rate. */
  final class Throttle {
    private final long bytesPerSecond;

    Throttle(long bytesPerSecond) {
      this.bytesPerSecond = bytesPerSecond;
    }

    /** Waits as long as reading {@code bytes} takes at this rate. Serialised: one node-wide link. */
    synchronized void pass(int bytes) {
      long nanos = TimeUnit.SECONDS.toNanos(bytes) / bytesPerSecond;
      try {
        TimeUnit.NANOSECONDS.sleep(nanos); // the slow link itself, not synchronisation
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
