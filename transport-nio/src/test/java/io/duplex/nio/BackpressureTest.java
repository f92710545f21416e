package io.duplex.nio;

import static io.duplex.nio.Peers.node;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.BackpressureException;
import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.SlowPeerPolicy;
import io.duplex.TransportConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A peer that stops reading costs its sender at most the hard limit, and nobody else. */
@Timeout(60)
class BackpressureTest {
  private static final long HARD = 4L << 20;
  private static final int FRAME = 64 * 1024;

  private static Consumer<TransportConfig.Builder> limits(SlowPeerPolicy policy) {
    return b -> b.maxFrameSize(1 << 20).highWaterMark(1 << 20).lowWaterMark(512 * 1024)
        .outboundHardLimit(HARD).slowPeerPolicy(policy)
        // A backlog to a peer that never reads cannot drain: don't wait long for it at close.
        .closeTimeout(Duration.ofMillis(500));
  }

  /** A sender with {@link #limits} and small socket buffers, so TCP pushes back soon. */
  private static Peers.Node sender(SlowPeerPolicy policy) {
    return node("sender", limits(policy), t -> t.sendBufferSize(64 * 1024), c -> { });
  }

  /** A peer that holds 2 messages and reads no more, with a small receive buffer. */
  private static Peers.Node stalledReader(String name) throws Exception {
    return node(name, b -> b.inboundQueueCapacity(2), t -> t.receiveBufferSize(64 * 1024),
        c -> { }).listen();
  }

  /** Sends until a send fails at once; checks the pending bytes after every send. */
  private static Throwable sendUntilRefused(Connection<byte[]> c, List<CompletableFuture<Void>> sent)
      throws InterruptedException {
    byte[] frame = new byte[FRAME];
    for (int i = 0; i < 10_000; i++) {
      CompletableFuture<Void> f = c.send(frame);
      sent.add(f);
      assertTrue(c.pendingBytes() <= HARD, "pending " + c.pendingBytes() + " > hard limit");
      if (f.isCompletedExceptionally()) {
        try {
          f.get();
        } catch (ExecutionException e) {
          return e.getCause();
        }
      }
    }
    throw new AssertionError("10,000 sends to a peer that does not read were all accepted");
  }

  @Test
  void shouldRefuseSendsAtTheHardLimitAndRecoverWhenThePeerReadsAgain() throws Exception {
    try (Peers.Node reader = stalledReader("reader");
        Peers.Node sender = sender(SlowPeerPolicy.FAIL_SEND)) {
      Connection<byte[]> c = sender.connect(reader);
      Connection<byte[]> r = reader.nextOpened();
      List<CompletableFuture<Void>> sent = new ArrayList<>();

      Throwable refused = sendUntilRefused(c, sent);

      BackpressureException e = assertInstanceOf(BackpressureException.class, refused);
      assertEquals(HARD, e.hardLimit());
      assertTrue(e.getMessage().contains("hard limit " + HARD), e.getMessage());
      assertTrue(c.isAlive(), "FAIL_SEND keeps the connection open");
      assertFalse(c.isWritable());
      Peers.await("unwritable event", 10, () -> sender.writability.contains(false));

      int accepted = sent.size() - 1;
      for (int i = 0; i < accepted; i++) {
        assertEquals(FRAME, r.receive(Duration.ofSeconds(10)).length);
      }
      for (int i = 0; i < accepted; i++) {
        sent.get(i).get(10, TimeUnit.SECONDS);
      }
      assertEquals(0, c.pendingBytes());
      assertTrue(c.isWritable());
      Peers.await("writable event", 10, () -> sender.writability.equals(List.of(false, true)));
      c.send(new byte[] {42}).get(10, TimeUnit.SECONDS);
      assertArrayEquals(new byte[] {42}, r.receive(Duration.ofSeconds(10)));
    }
  }

  @Test
  void shouldDisconnectASlowPeerUnderTheDisconnectPolicy() throws Exception {
    try (Peers.Node reader = stalledReader("reader");
        Peers.Node sender = sender(SlowPeerPolicy.DISCONNECT)) {
      Connection<byte[]> c = sender.connect(reader);
      List<CompletableFuture<Void>> sent = new ArrayList<>();

      Throwable refused = sendUntilRefused(c, sent);

      ConnectionClosedException closed = assertInstanceOf(ConnectionClosedException.class, refused);
      assertInstanceOf(BackpressureException.class, closed.getCause());
      assertInstanceOf(BackpressureException.class, c.closeCause().getCause());
      assertFalse(c.isAlive());
      for (CompletableFuture<Void> f : sent) {
        f.handle((v, t) -> null).get(10, TimeUnit.SECONDS); // every future completes
      }
      assertTrue(sent.stream().anyMatch(CompletableFuture::isCompletedExceptionally));
      assertEquals(0, c.pendingBytes(), "a closed connection holds no frames");
    }
  }

  @Test
  void shouldKeepOtherConnectionsOnTheSameLoopsAtPaceWhileOnePeerIsStuck() throws Exception {
    try (Peers.Node stuck = stalledReader("stuck");
        Peers.Node echo = node("echo", b -> { }, c -> c.onMessage((conn, m) -> conn.send(m)))
            .listen();
        Peers.Node sender = sender(SlowPeerPolicy.FAIL_SEND)) {
      Connection<byte[]> toStuck = sender.connect(stuck);
      Connection<byte[]> toEcho = sender.connect(echo);
      sendUntilRefused(toStuck, new ArrayList<>());
      for (int i = 0; i < 2_000; i++) {
        byte[] m = Peers.bytes(100, i);
        toEcho.send(m);
        assertArrayEquals(m, toEcho.receive(Duration.ofSeconds(10)), "round trip " + i);
      }
      assertTrue(toStuck.pendingBytes() > HARD / 2, "the stuck peer's backlog is still there");
      assertTrue(toEcho.isAlive() && toStuck.isAlive());
    }
  }

  /**
   * Frames dropped at their deadline give their bytes back like written ones: a connection that
   * went unwritable becomes writable again, and says so, once what is left is under the low mark,
   * although its peer still reads nothing.
   */
  @Test
  void shouldBecomeWritableAgainWhenQueuedFramesAreDroppedAtTheirDeadline() throws Exception {
    int frame = 8 * 1024;
    try (Peers.Node receiver = stalledReader("receiver");
        Peers.Node sender = node("sender", b -> b.highWaterMark(64 * 1024)
            .lowWaterMark(32 * 1024).maxFrameSize(1 << 20).outboundHardLimit(HARD),
            t -> t.sendBufferSize(16 * 1024),
            c -> { })) {
      Connection<byte[]> c = sender.connect(receiver);
      List<CompletableFuture<Void>> sent = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        sent.add(c.send(sender.transport.encode(new byte[frame - 5])
            .withDeadline(Duration.ofMillis(200))));
      }
      assertFalse(c.isWritable(), "100 frames of 8 KiB to a peer that reads 2: pending "
          + c.pendingBytes());
      try {
        Peers.await("the connection writable again", 10, c::isWritable);
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + ": the frames that could not start were"
            + " dropped, yet it stayed unwritable: " + c.stats(), e);
      }
      Peers.await("the listener told of both changes", 10,
          () -> sender.writability.equals(List.of(false, true)));
      assertTrue(c.pendingBytes() <= 32 * 1024, "pending " + c.pendingBytes());
      assertTrue(c.stats().framesDropped() > 50, "dropped " + c.stats().framesDropped());
      assertTrue(c.isAlive(), "dropping frames closes nothing");
    }
  }
}
