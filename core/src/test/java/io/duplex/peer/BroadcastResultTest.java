package io.duplex.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.BackpressureException;
import io.duplex.ConnectionClosedException;
import io.duplex.FrameDroppedException;
import io.duplex.NodeId;
import io.duplex.SendTimeoutException;
import io.duplex.peer.BroadcastResult.Outcome;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class BroadcastResultTest {
  private final Map<NodeId, CompletableFuture<Void>> sends = new LinkedHashMap<>();

  private BroadcastResult result(int peers) {
    for (int i = 0; i < peers; i++) {
      sends.put(NodeId.of("p" + i), new CompletableFuture<>());
    }
    return new BroadcastResult(sends);
  }

  private CompletableFuture<Void> send(int i) {
    return sends.get(NodeId.of("p" + i));
  }

  @Test
  void shouldClassifyEachOutcome() {
    BroadcastResult r = result(6);
    send(0).complete(null);
    send(1).completeExceptionally(new BackpressureException(1, 2, 3));
    send(2).completeExceptionally(new SendTimeoutException("late"));
    send(3).completeExceptionally(
        new FrameDroppedException(FrameDroppedException.Reason.DEADLINE, "stale"));
    send(4).completeExceptionally(new ConnectionClosedException("gone"));
    assertEquals(Map.of(NodeId.of("p0"), Outcome.WRITTEN, NodeId.of("p1"), Outcome.REFUSED,
        NodeId.of("p2"), Outcome.TIMED_OUT, NodeId.of("p3"), Outcome.DROPPED,
        NodeId.of("p4"), Outcome.FAILED, NodeId.of("p5"), Outcome.PENDING), r.outcomes());
    assertEquals(1, r.written());
    assertFalse(r.all().isDone());
    send(5).complete(null);
    assertTrue(r.all().isDone());
    assertThrows(IllegalArgumentException.class, () -> r.outcome(NodeId.of("stranger")));
  }

  @Test
  void shouldCompleteAQuorumWithoutWaitingForTheRest() throws Exception {
    BroadcastResult r = result(5);
    CompletableFuture<BroadcastResult> q = r.quorum(3);
    send(0).complete(null);
    send(1).completeExceptionally(new BackpressureException(1, 2, 3));
    send(2).complete(null);
    assertFalse(q.isDone());
    send(3).complete(null);
    assertEquals(r, q.get());
    assertTrue(r.quorum(0).isDone());
  }

  @Test
  void shouldFailAQuorumLargerThanThePeersAndRefuseANegativeOne() {
    BroadcastResult r = result(2);
    CompletableFuture<BroadcastResult> q = r.quorum(3);
    ExecutionException e = assertThrows(ExecutionException.class, q::get);
    QuorumUnreachableException u = assertInstanceOf(QuorumUnreachableException.class,
        e.getCause());
    assertEquals(3, u.quorum());
    assertEquals(2, u.peers());
    assertEquals(0, u.failed());
    assertTrue(new BroadcastResult(Map.of()).quorum(1).isCompletedExceptionally(),
        "a broadcast that reached no peer cannot reach a quorum of 1");
    IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
        () -> r.quorum(-1));
    assertTrue(negative.getMessage().contains("-1"), negative.getMessage());
  }

  @Test
  void shouldFailAQuorumAsSoonAsItIsUnreachable() {
    BroadcastResult r = result(5);
    CompletableFuture<BroadcastResult> q = r.quorum(4);
    send(0).completeExceptionally(new ConnectionClosedException("a"));
    assertFalse(q.isDone());
    send(1).completeExceptionally(new ConnectionClosedException("b"));
    ExecutionException e = assertThrows(ExecutionException.class, q::get);
    QuorumUnreachableException u = assertInstanceOf(QuorumUnreachableException.class,
        e.getCause());
    assertEquals(4, u.quorum());
    assertEquals(2, u.failed());
    assertTrue(u.getMessage().contains("2 of 5"), u.getMessage());
  }
}
