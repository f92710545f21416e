package io.duplex.examples;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What the demo counts, from every node's threads at once: proposals and votes seen per node,
 * votes broadcast per node, and at the fast nodes the vote delivery latency and the proposal
 * propagation time. Counters are atomics; the latency samples are guarded by their own monitor.
 */
final class DemoStats {
  private final boolean[] slow;
  /** Proposer's broadcast time by height; written by the proposer, read by receivers. */
  private final Map<Long, Long> proposedAt = new ConcurrentHashMap<>();
  private final AtomicLongArray proposalsMadeBy;
  private final AtomicLongArray blocksSeen;
  private final AtomicLongArray votesSent;
  private final AtomicLongArray votesSeen;
  /** Votes each node received from fast nodes: those must all arrive. */
  private final AtomicLongArray votesSeenFromFast;
  private final AtomicLong proposals = new AtomicLong();
  /** Sends to a peer that the transport refused or failed (hard limit, closed connection). */
  private final AtomicLong sendsNotDelivered = new AtomicLong();
  private final Samples voteLatency = new Samples();
  private final Samples propagation = new Samples();
  private final Samples broadcastCall = new Samples();

  DemoStats(boolean[] slow) {
    this.slow = slow.clone();
    int n = slow.length;
    proposalsMadeBy = new AtomicLongArray(n);
    blocksSeen = new AtomicLongArray(n);
    votesSent = new AtomicLongArray(n);
    votesSeen = new AtomicLongArray(n);
    votesSeenFromFast = new AtomicLongArray(n);
  }

  boolean isSlow(int node) {
    return slow[node];
  }

  int nodes() {
    return slow.length;
  }

  /** Node {@code proposer} is about to broadcast the proposal at {@code height}. */
  void proposing(int proposer, long height) {
    proposedAt.put(height, System.nanoTime());
    proposalsMadeBy.incrementAndGet(proposer);
    proposals.incrementAndGet();
  }

  /** The proposer's broadcast call returned after {@code nanos}. */
  void proposed(long nanos) {
    broadcastCall.add(nanos);
  }

  /** {@code count} sends of one broadcast were refused or failed. */
  void sendsNotDelivered(int count) {
    sendsNotDelivered.addAndGet(count);
  }

  long sendsNotDelivered() {
    return sendsNotDelivered.get();
  }

  void proposalArrived(int node, long height) {
    blocksSeen.incrementAndGet(node);
    Long at = proposedAt.get(height);
    if (!slow[node] && at != null) {
      propagation.add(System.nanoTime() - at);
    }
  }

  void voteSent(int node) {
    votesSent.incrementAndGet(node);
  }

  void voteArrived(int node, int voter, long sentNanos) {
    votesSeen.incrementAndGet(node);
    if (!slow[voter]) {
      votesSeenFromFast.incrementAndGet(node);
    }
    if (!slow[node]) {
      voteLatency.add(System.nanoTime() - sentNanos);
    }
  }

  long proposals() {
    return proposals.get();
  }

  /** Proposals made by nodes other than {@code node}: those it should see. */
  long proposalsByOthers(int node) {
    return proposals.get() - proposalsMadeBy.get(node);
  }

  long blocksSeen(int node) {
    return blocksSeen.get(node);
  }

  long votesSeen(int node) {
    return votesSeen.get(node);
  }

  /** Sum over the fast nodes of what they have seen, for the progress line. */
  long fastBlocksSeen() {
    long sum = 0;
    for (int i = 0; i < slow.length; i++) {
      sum += slow[i] ? 0 : blocksSeen.get(i);
    }
    return sum;
  }

  long fastVotesSeen() {
    long sum = 0;
    for (int i = 0; i < slow.length; i++) {
      sum += slow[i] ? 0 : votesSeen.get(i);
    }
    return sum;
  }

  /** Proposals the fast nodes should have seen: each one made by another node. */
  long fastBlocksExpected() {
    long sum = 0;
    for (int i = 0; i < slow.length; i++) {
      sum += slow[i] ? 0 : proposalsByOthers(i);
    }
    return sum;
  }

  /** Votes the fast nodes should have seen: each one broadcast by another FAST node. */
  long fastVotesExpected() {
    long fastVotes = 0;
    for (int i = 0; i < slow.length; i++) {
      fastVotes += slow[i] ? 0 : votesSent.get(i);
    }
    long sum = 0;
    for (int i = 0; i < slow.length; i++) {
      sum += slow[i] ? 0 : fastVotes - votesSent.get(i);
    }
    return sum;
  }

  /** Votes from fast nodes that the fast nodes have seen (compare {@link #fastVotesExpected}). */
  long fastVotesFromFastSeen() {
    long sum = 0;
    for (int i = 0; i < slow.length; i++) {
      sum += slow[i] ? 0 : votesSeenFromFast.get(i);
    }
    return sum;
  }

  /**
   * True when every fast node has seen every proposal made by another node, and every vote
   * broadcast by another fast node (a slow node's votes may still be on their way). The counts
   * can only grow toward the expected ones, so equal sums mean every node is complete.
   */
  boolean fastNodesComplete() {
    return fastBlocksSeen() == fastBlocksExpected()
        && fastVotesFromFastSeen() == fastVotesExpected();
  }

  /** Fast nodes' vote latency percentile {@code p} (0..100), microseconds; -1 if none. */
  double voteLatencyMicros(double p) {
    return voteLatency.percentile(p) / 1e3;
  }

  double propagationMillis(double p) {
    return propagation.percentile(p) / 1e6;
  }

  double broadcastCallMillis(double p) {
    return broadcastCall.percentile(p) / 1e6;
  }

  /** Nanosecond samples, at most {@value #MAX} kept (later ones replace random earlier ones). */
  static final class Samples {
    static final int MAX = 1 << 20;
    private long[] values = new long[1024]; // guarded by this
    private int size; // guarded by this
    private long seen; // guarded by this

    synchronized void add(long nanos) {
      seen++;
      if (size < MAX) {
        if (size == values.length) {
          values = Arrays.copyOf(values, values.length * 2);
        }
        values[size++] = nanos;
      } else {
        long slot = java.util.concurrent.ThreadLocalRandom.current().nextLong(seen);
        if (slot < MAX) {
          values[(int) slot] = nanos; // reservoir sampling keeps a fair sample
        }
      }
    }

    /** The {@code p}th percentile (nearest rank), or -1 with no samples. */
    synchronized double percentile(double p) {
      if (size == 0) {
        return -1;
      }
      long[] sorted = Arrays.copyOf(values, size);
      Arrays.sort(sorted);
      int rank = (int) Math.ceil(p / 100 * size);
      return sorted[Math.max(0, Math.min(size - 1, rank - 1))];
    }
  }
}
