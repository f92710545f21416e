package io.duplex.nio;

import static io.duplex.nio.Peers.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.HandshakeException;
import io.duplex.Lane;
import io.duplex.SlowPeerPolicy;
import io.duplex.TransportConfig;
import io.duplex.codec.EncoderException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Lanes: messages on several lanes, chunked and whole, per-lane dispatch and credit. */
@Timeout(60)
class LaneTest {
  static final Lane CONSENSUS = Lane.builder("consensus").weight(100).maxMessageSize(64 * 1024)
      .build();
  static final Lane BLOCKS = Lane.builder("blocks").weight(10).maxMessageSize(2 << 20)
      .outboundHardLimit(64L << 20).build();
  static final Lane MEMPOOL = Lane.builder("mempool").maxMessageSize(16 * 1024)
      .outboundHardLimit(256 * 1024).slowPeerPolicy(SlowPeerPolicy.DROP_OLDEST).build();

  static Consumer<TransportConfig.Builder> lanes() {
    return b -> b.lanes(CONSENSUS, BLOCKS, MEMPOOL);
  }

  static Peers.Node node(String name, boolean secure, Consumer<TransportConfig.Builder> settings) {
    return new Peers.Node(name, settings, t -> { }, c -> { }, secure);
  }

  /** A message whose bytes say which lane and index it is, {@code size} bytes long. */
  static byte[] message(int lane, int index, int size) {
    byte[] m = new byte[size];
    ByteBuffer b = ByteBuffer.wrap(m);
    if (size >= 8) {
      b.putInt(lane).putInt(index);
    }
    for (int i = 8; i < size; i++) {
      m[i] = (byte) (i * 31 + index + lane);
    }
    return m;
  }

  @ParameterizedTest(name = "secure={0}")
  @ValueSource(booleans = {true, false})
  void shouldDeliverEveryMessageOfEveryLaneIntactAndInOrderPerLane(boolean secure)
      throws Exception {
    try (Peers.Node a = node("a", secure, lanes()); Peers.Node b = node("b", secure, lanes())) {
      b.listen();
      Connection<byte[]> out = a.connect(b);
      Connection<byte[]> in = b.nextOpened();
      Lane[] lanes = {Lane.DEFAULT, CONSENSUS, BLOCKS, MEMPOOL};
      int[] sizes = {100, 200, 1_500_000, 16 * 1024};
      List<byte[]> sent = new ArrayList<>();
      List<CompletableFuture<Void>> futures = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        for (int l = 0; l < lanes.length; l++) {
          int size = l == 0 && i % 2 == 1 ? 300_000 : sizes[l]; // lane 0 chunked too
          byte[] m = message(l, i, size);
          sent.add(m);
          futures.add(i % 3 == 2 ? out.sendLater(lanes[l], m) : out.send(lanes[l], m));
        }
      }
      out.flush();
      int[] next = new int[lanes.length];
      for (int k = 0; k < sent.size(); k++) {
        byte[] got = in.receive(Duration.ofSeconds(10));
        ByteBuffer head = ByteBuffer.wrap(got);
        int lane = head.getInt();
        int index = head.getInt();
        assertEquals(next[lane], index, "lane " + lane + " out of order");
        next[lane]++;
        assertArrayEquals(sent.get(index * lanes.length + lane), got);
      }
      for (CompletableFuture<Void> f : futures) {
        f.get(10, TimeUnit.SECONDS);
      }
      assertEquals(List.of(), a.errors);
      assertEquals(List.of(), b.errors);
    }
  }

  @Test
  void shouldKeepVotesFlowingWhileTheBlockHandlerIsStalled() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    BlockingQueue<String> got = new LinkedBlockingQueue<>();
    try (Peers.Node a = node("a", true, lanes());
        Peers.Node b = new Peers.Node("b", lanes(), t -> { }, c -> c.onMessage((conn, m) -> {
          ByteBuffer head = ByteBuffer.wrap(m);
          int lane = head.getInt();
          int index = head.getInt();
          if (lane == 2) {
            try {
              release.await(30, TimeUnit.SECONDS); // a block handler that hangs
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          got.add(lane + ":" + index);
        }), true)) {
      b.listen();
      Connection<byte[]> out = a.connect(b);
      List<CompletableFuture<Void>> blocks = new ArrayList<>();
      for (int i = 0; i < 16; i++) { // 16 MiB: far more than the block lane's window (~3 MiB)
        blocks.add(out.send(BLOCKS, message(2, i, 1 << 20)));
      }
      // The stalled handler holds block 0; its lane's credit runs out and the blocks stop.
      await("the block lane to stall", 10, () -> blocks.stream().filter(f -> !f.isDone()).count()
          > 8);
      for (int v = 0; v < 20; v++) {
        out.send(CONSENSUS, message(1, v, 120)).get(10, TimeUnit.SECONDS);
        assertEquals("1:" + v, got.poll(10, TimeUnit.SECONDS), "vote " + v);
      }
      assertTrue(blocks.get(15).isDone() == false, "the last block went out past the credit");
      assertTrue(out.isAlive());
      release.countDown();
      for (CompletableFuture<Void> f : blocks) {
        f.get(20, TimeUnit.SECONDS);
      }
      for (int i = 0; i < 16; i++) {
        assertEquals("2:" + i, got.poll(10, TimeUnit.SECONDS));
      }
      assertEquals(List.of(), a.errors);
      assertEquals(List.of(), b.errors);
    }
  }

  /**
   * A node that records the lane and index of each message it is given, in the order the read
   * loop completed them: its handler runs on the read loop (each lane's handler turn on a pool
   * thread of its own could reorder lanes).
   */
  static Peers.Node recorder(String name, BlockingQueue<String> got) {
    return new Peers.Node(name, lanes(), t -> t.handlersOnReadLoop(true),
        c -> c.onMessage((conn, m) -> {
      ByteBuffer head = ByteBuffer.wrap(m);
      got.add(head.getInt() + ":" + head.getInt());
    }), false);
  }

  @Test
  void shouldSendAVoteAheadOfTheBlocksQueuedBeforeIt() throws Exception {
    BlockingQueue<String> got = new LinkedBlockingQueue<>();
    try (Peers.Node a = node("a", false, lanes()); Peers.Node b = recorder("b", got)) {
      b.listen();
      Connection<byte[]> out = a.connect(b);
      List<CompletableFuture<Void>> sent = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        sent.add(out.sendLater(BLOCKS, message(2, i, 1 << 20)));
      }
      sent.add(out.send(CONSENSUS, message(1, 0, 120))); // queued behind 8 MiB, and goes first
      assertEquals("1:0", got.poll(10, TimeUnit.SECONDS));
      for (int i = 0; i < 8; i++) {
        assertEquals("2:" + i, got.poll(10, TimeUnit.SECONDS));
      }
      for (CompletableFuture<Void> f : sent) {
        f.get(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void shouldNotStarveALightLaneUnderASaturatingHeavyOne() throws Exception {
    BlockingQueue<String> got = new LinkedBlockingQueue<>();
    try (Peers.Node a = node("a", false, lanes()); Peers.Node b = recorder("b", got)) {
      b.listen();
      Connection<byte[]> out = a.connect(b);
      int votes = 400; // 25 MiB on the consensus lane (weight 100), queued first
      for (int i = 0; i < votes; i++) {
        out.sendLater(CONSENSUS, message(1, i, 64 * 1024));
      }
      CompletableFuture<Void> block = out.sendLater(BLOCKS, message(2, 0, 1 << 20)); // weight 10
      out.flush();
      int before = 0;
      for (String m; !(m = got.poll(10, TimeUnit.SECONDS)).equals("2:0"); ) {
        before++;
        assertTrue(before < votes, "the block lane got nothing until the consensus lane ran dry");
      }
      block.get(10, TimeUnit.SECONDS);
      for (int i = before; i < votes; i++) {
        assertEquals("1:" + i, got.poll(10, TimeUnit.SECONDS));
      }
    }
  }

  @Test
  void shouldFailWhatCreditCanNoLongerCoverWhenThePeerClosesAndCloseAtOnce() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    // Close deadlines far past the 10 s this test waits: a close that waits for one fails it.
    Consumer<TransportConfig.Builder> slowClose = lanes().andThen(
        x -> x.closeTimeout(Duration.ofSeconds(60)));
    try (Peers.Node a = node("a", false, slowClose);
        Peers.Node b = new Peers.Node("b", slowClose, t -> { }, c -> c.onMessage((conn, m) -> {
          try {
            release.await(30, TimeUnit.SECONDS); // every handler call hangs
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }), false)) {
      b.listen();
      Connection<byte[]> out = a.connect(b);
      Connection<byte[]> in = b.nextOpened();
      List<CompletableFuture<Void>> blocks = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        blocks.add(out.send(BLOCKS, message(2, i, 1 << 20)));
      }
      await("the block lane to run out of credit", 10,
          () -> blocks.stream().filter(f -> !f.isDone()).count() > 8);
      in.close(); // the receiver leaves; it will grant no more credit
      CompletableFuture.allOf(out.closeFuture(), in.closeFuture()).get(10, TimeUnit.SECONDS);
      int failed = 0;
      for (CompletableFuture<Void> f : blocks) {
        ExecutionException e = null;
        try {
          f.get(1, TimeUnit.SECONDS);
        } catch (ExecutionException x) {
          e = x;
        }
        if (e != null) {
          failed++;
          assertInstanceOf(io.duplex.ConnectionClosedException.class, e.getCause());
        }
      }
      assertTrue(failed >= 8, "only " + failed + " blocks failed");
      release.countDown();
    }
  }

  @Test
  void shouldPackSmallDeferredMessagesOfALaneAndDeliverThemAllInOrder() throws Exception {
    try (Peers.Node a = node("a", false, lanes()); Peers.Node b = node("b", false, lanes())) {
      b.listen();
      Connection<byte[]> out = a.connect(b);
      Connection<byte[]> in = b.nextOpened();
      int n = 20_000; // 20,000 x 74 units: several times the lane's window, so credit must flow
      List<CompletableFuture<Void>> sent = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        sent.add(out.sendLater(CONSENSUS, ByteBuffer.allocate(10).putInt(1).putInt(i).array()));
        if (i % 1000 == 999) {
          out.flush();
        }
      }
      out.flush();
      for (int i = 0; i < n; i++) {
        ByteBuffer m = ByteBuffer.wrap(in.receive(Duration.ofSeconds(10)));
        assertEquals(1, m.getInt());
        assertEquals(i, m.getInt(), "out of order");
      }
      for (CompletableFuture<Void> f : sent) {
        f.get(10, TimeUnit.SECONDS);
      }
      assertEquals(n, out.stats(CONSENSUS).messagesSent());
      assertTrue(out.stats().deferredWrites() >= n, "every message counted as written");
    }
  }

  /**
   * A packed message is counted in its lane only when its batch is sealed; until then the open
   * batch's bytes still count against the lane's hard limit, both for the next packed message
   * and for a message queued on its own.
   */
  @Test
  void shouldCountTheOpenBatchAgainstTheLaneHardLimit() throws Exception {
    Lane small = Lane.builder("small").maxMessageSize(20 * 1024).outboundHardLimit(32 * 1024)
        .slowPeerPolicy(SlowPeerPolicy.FAIL_SEND).build();
    Consumer<TransportConfig.Builder> settings = b -> b.lanes(small);
    try (Peers.Node a = node("a", false, settings); Peers.Node b = node("b", false, settings)) {
      b.listen();
      Connection<byte[]> out = a.connect(b);
      Connection<byte[]> in = b.nextOpened();
      int wire = 5 + 100; // a 100-byte message's frame
      List<CompletableFuture<Void>> packed = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        packed.add(out.sendLater(small, message(3, i, 100)));
      }
      assertEquals(200L * wire, out.stats(small).pendingBytes(), "the open batch is counted");
      // 17 KiB is too large to pack: it is reserved on its own, against the open batch too.
      CompletableFuture<Void> alone = out.sendLater(small, message(3, -1, 17 * 1024));
      ExecutionException e = assertThrows(ExecutionException.class, alone::get);
      assertInstanceOf(io.duplex.BackpressureException.class, e.getCause());
      int room = (32 * 1024 - 200 * wire) / wire; // packed messages that still fit
      for (int i = 200; i < 200 + room; i++) {
        packed.add(out.sendLater(small, message(3, i, 100)));
      }
      CompletableFuture<Void> over = out.sendLater(small, message(3, -2, 100));
      e = assertThrows(ExecutionException.class, over::get);
      assertInstanceOf(io.duplex.BackpressureException.class, e.getCause());
      assertEquals(2, out.stats(small).sendsRefused());
      assertEquals((200L + room) * wire, out.stats(small).pendingBytes());
      out.flush();
      for (int i = 0; i < 200 + room; i++) {
        ByteBuffer m = ByteBuffer.wrap(in.receive(Duration.ofSeconds(10)));
        assertEquals(3, m.getInt());
        assertEquals(i, m.getInt(), "out of order");
      }
      for (CompletableFuture<Void> f : packed) {
        f.get(10, TimeUnit.SECONDS);
      }
      await("the lane's bytes released", 10, () -> out.stats(small).pendingBytes() == 0);
    }
  }

  @Test
  void shouldRefuseAMessageOverItsLaneMaxSizeAndStayOpen() throws Exception {
    try (Peers.Node a = node("a", false, lanes()); Peers.Node b = node("b", false, lanes())) {
      b.listen();
      Connection<byte[]> out = a.connect(b);
      Connection<byte[]> in = b.nextOpened();
      CompletableFuture<Void> big = out.send(CONSENSUS, new byte[64 * 1024 + 1]);
      ExecutionException e = assertThrows(ExecutionException.class, big::get);
      assertInstanceOf(EncoderException.class, e.getCause());
      assertTrue(e.getCause().getMessage().contains("consensus"), e.getCause().getMessage());
      out.send(CONSENSUS, message(1, 0, 64 * 1024)).get(10, TimeUnit.SECONDS);
      assertEquals(64 * 1024, in.receive(Duration.ofSeconds(10)).length);
    }
  }

  @Test
  void shouldRefuseALaneTheTransportDoesNotHave() throws Exception {
    try (Peers.Node a = node("a", false, lanes()); Peers.Node b = node("b", false, lanes())) {
      b.listen();
      Connection<byte[]> out = a.connect(b);
      Lane other = Lane.builder("other").build();
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> out.send(other, new byte[1]));
      assertTrue(e.getMessage().contains("consensus"), e.getMessage());
    }
  }

  @ParameterizedTest(name = "secure={0}")
  @ValueSource(booleans = {true, false})
  void shouldFailTheHandshakeWhenLaneTablesDiffer(boolean secure) throws Exception {
    try (Peers.Node a = node("a", secure, lanes());
        Peers.Node b = node("b", secure, x -> x.lanes(CONSENSUS, MEMPOOL, BLOCKS))) {
      b.listen();
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> a.transport.connect(b.address).get(10, TimeUnit.SECONDS));
      HandshakeException h = secure
          ? null : assertInstanceOf(HandshakeException.class, e.getCause());
      if (h != null) {
        assertEquals(HandshakeException.Field.LANES, h.field());
      }
      await("b to refuse", 10, () -> b.handshakeFailures.stream().anyMatch(t ->
          t instanceof HandshakeException
              && ((HandshakeException) t).field() == HandshakeException.Field.LANES));
    }
  }

  @ParameterizedTest(name = "secure={0}")
  @ValueSource(booleans = {true, false})
  void shouldFailTheHandshakeWhenOnlyOneSideHasLanes(boolean secure) throws Exception {
    try (Peers.Node a = node("a", secure, b -> { }); Peers.Node b = node("b", secure, lanes())) {
      b.listen();
      assertThrows(ExecutionException.class, () -> {
        Connection<byte[]> c = a.transport.connect(b.address).get(10, TimeUnit.SECONDS);
        c.closeFuture().get(10, TimeUnit.SECONDS); // secure: the initiator opens, then hears why
        throw new ExecutionException(c.closeCause());
      });
      await("b to refuse", 10, () -> b.handshakeFailures.stream().anyMatch(t ->
          t instanceof HandshakeException
              && ((HandshakeException) t).field() == HandshakeException.Field.LANES));
      assertFalse(b.handshakeFailures.isEmpty());
    }
  }
}
