package io.duplex.peer;

import io.duplex.BackpressureException;
import io.duplex.FrameDroppedException;
import io.duplex.NodeId;
import io.duplex.SendTimeoutException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What became of one broadcast at each peer. Returned at once by {@link PeerGroup#broadcast}:
 * the sends are queued, not finished. Await the whole ({@link #all()}), one peer ({@link
 * #future}), or a quorum ({@link #quorum}) so one slow peer never holds a caller who needs only k
 * of n. Ignore it for fire-and-forget. Immutable and thread-safe.
 */
public final class BroadcastResult {

  /** One peer's outcome. */
  public enum Outcome {
    /** Not known yet: the frame is queued for that peer. */
    PENDING,
    /** The frame's last byte was written to that peer's socket. */
    WRITTEN,
    /** Refused by backpressure: the peer is over its hard limit ({@link BackpressureException}). */
    REFUSED,
    /** The send timeout passed ({@link SendTimeoutException}). */
    TIMED_OUT,
    /** Dropped before it started: deadline or DROP_OLDEST ({@link FrameDroppedException}). */
    DROPPED,
    /** The connection closed, or the frame was too large for that peer. */
    FAILED
  }

  private final Map<NodeId, CompletableFuture<Void>> sends;

  /** A result over each peer's send future, in the order given. */
  BroadcastResult(Map<NodeId, CompletableFuture<Void>> sends) {
    this.sends = Collections.unmodifiableMap(new LinkedHashMap<>(sends));
  }

  /** The number of peers the broadcast went to. */
  public int size() {
    return sends.size();
  }

  /** The peers the broadcast went to. */
  public Set<NodeId> peers() {
    return sends.keySet();
  }

  /** The send future of {@code peer}, or null if the broadcast did not go to it. */
  public CompletableFuture<Void> future(NodeId peer) {
    return sends.get(peer);
  }

  /** {@code peer}'s outcome now. */
  public Outcome outcome(NodeId peer) {
    CompletableFuture<Void> f = sends.get(Objects.requireNonNull(peer, "peer"));
    if (f == null) {
      throw new IllegalArgumentException("the broadcast did not go to peer " + peer);
    }
    if (!f.isDone()) {
      return Outcome.PENDING;
    }
    if (!f.isCompletedExceptionally()) {
      return Outcome.WRITTEN;
    }
    Throwable cause = f.handle((v, t) -> t).join();
    if (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof BackpressureException) {
      return Outcome.REFUSED;
    }
    if (cause instanceof SendTimeoutException) {
      return Outcome.TIMED_OUT;
    }
    if (cause instanceof FrameDroppedException) {
      return Outcome.DROPPED;
    }
    return Outcome.FAILED;
  }

  /** Every peer's outcome now, in broadcast order. */
  public Map<NodeId, Outcome> outcomes() {
    Map<NodeId, Outcome> all = new LinkedHashMap<>();
    for (NodeId peer : sends.keySet()) {
      all.put(peer, outcome(peer));
    }
    return all;
  }

  /** How many peers have the frame on the wire now. */
  public int written() {
    int n = 0;
    for (CompletableFuture<Void> f : sends.values()) {
      if (f.isDone() && !f.isCompletedExceptionally()) {
        n++;
      }
    }
    return n;
  }

  /** Completes (never exceptionally) when every peer's outcome is known. */
  public CompletableFuture<BroadcastResult> all() {
    return CompletableFuture.allOf(sends.values().toArray(new CompletableFuture<?>[0]))
        .handle((v, t) -> this);
  }

  /**
   * Completes when {@code k} peers have the frame on the wire, or fails with {@link
   * QuorumUnreachableException} as soon as too many have failed for that to happen: at once if
   * {@code k} is more than {@link #size()}, the peers the broadcast went to (a group that has
   * lost peers cannot reach the quorum it was sized for; that is a failed broadcast, not a
   * programming error). {@code k} 0 completes at once.
   *
   * @throws IllegalArgumentException if {@code k} is negative
   */
  public CompletableFuture<BroadcastResult> quorum(int k) {
    if (k < 0) {
      throw new IllegalArgumentException("quorum < 0: " + k);
    }
    if (k > sends.size()) {
      return CompletableFuture.failedFuture(new QuorumUnreachableException(k, sends.size(), 0));
    }
    CompletableFuture<BroadcastResult> quorum = new CompletableFuture<>();
    if (k == 0) {
      quorum.complete(this);
      return quorum;
    }
    int n = sends.size();
    AtomicInteger written = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    for (CompletableFuture<Void> f : sends.values()) {
      f.whenComplete((v, t) -> {
        if (t == null) {
          if (written.incrementAndGet() == k) {
            quorum.complete(this);
          }
        } else {
          int failures = failed.incrementAndGet();
          if (failures == n - k + 1) {
            quorum.completeExceptionally(new QuorumUnreachableException(k, n, failures));
          }
        }
      });
    }
    return quorum;
  }

  @Override
  public String toString() {
    return "BroadcastResult" + outcomes();
  }
}
