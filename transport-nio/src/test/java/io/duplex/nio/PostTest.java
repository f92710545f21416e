package io.duplex.nio;

import static io.duplex.nio.Peers.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.Lane;
import io.duplex.PayloadHandler;
import io.duplex.SlowPeerPolicy;
import io.duplex.codec.EncoderException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fire and forget ({@code post}): delivered in order with the next flush, refused at once when
 * closed or over the hard limit, the codec's refusal thrown; and, with the lent receive path, a
 * stream of small messages that allocates next to nothing per message at either end.
 */
@Timeout(60)
class PostTest {

  @ParameterizedTest(name = "lanes={0}")
  @ValueSource(booleans = {false, true})
  void shouldDeliverPostedMessagesInOrderWithTheNextFlush(boolean lanes) throws Exception {
    try (Peers.Node a = LaneTest.node("a", false, lanes ? LaneTest.lanes() : x -> { });
        Peers.Node b = LaneTest.node("b", false, lanes ? LaneTest.lanes() : x -> { })) {
      b.listen();
      Connection<byte[]> out = a.connect(b);
      Connection<byte[]> in = b.nextOpened();
      Lane lane = lanes ? LaneTest.CONSENSUS : Lane.DEFAULT;
      List<byte[]> sent = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        byte[] m = LaneTest.message(lanes ? 1 : 0, i, 20 + i % 300);
        sent.add(m);
        // On lanes, the odd ones go on the default lane: two lanes, each in order.
        assertTrue(i % 2 == 0 ? out.post(lane, m) : out.post(m), "queued");
      }
      out.flush();
      List<byte[]> got = new ArrayList<>();
      for (int i = 0; i < sent.size(); i++) {
        got.add(in.receive(Duration.ofSeconds(10)));
      }
      if (!lanes) {
        for (int i = 0; i < sent.size(); i++) {
          assertArrayEquals(sent.get(i), got.get(i), "message " + i);
        }
      } else { // per lane in order: even ones on consensus, odd ones on the default lane
        List<byte[]> even = new ArrayList<>();
        List<byte[]> odd = new ArrayList<>();
        for (byte[] m : got) {
          (ByteBuffer.wrap(m).getInt(4) % 2 == 0 ? even : odd).add(m);
        }
        for (int i = 0; i < even.size(); i++) {
          assertArrayEquals(sent.get(2 * i), even.get(i));
        }
        for (int i = 0; i < odd.size(); i++) {
          assertArrayEquals(sent.get(2 * i + 1), odd.get(i));
        }
      }
      assertEquals(500, out.stats().messagesOut());
    }
  }

  @Test
  void shouldRefuseAtOnceWhenClosedOrOverTheHardLimitAndThrowTheCodecsRefusal() throws Exception {
    try (Peers.Node a = Peers.node("a", c -> c.outboundHardLimit(256 * 1024)
            .lowWaterMark(32 * 1024).highWaterMark(64 * 1024).slowPeerPolicy(SlowPeerPolicy.FAIL_SEND)
            .maxFrameSize(64 * 1024));
        Peers.Node b = Peers.node("b", c -> c.inboundQueueCapacity(1))) {
      b.listen();
      Connection<byte[]> out = a.connect(b);
      b.nextOpened(); // never read: b stops reading, and a's queue fills
      byte[] m = new byte[8 * 1024];
      int refused = 0;
      for (int i = 0; i < 10_000 && refused == 0; i++) { // 80 MB: past any kernel buffers
        if (!out.post(m)) {
          refused++;
        }
        out.flush();
      }
      assertEquals(1, refused, "a post past the hard limit is refused");
      assertTrue(out.stats().sendsRefused() >= 1);
      assertTrue(out.isAlive(), "FAIL_SEND keeps the connection");
      assertThrows(EncoderException.class, () -> out.post(new byte[100 * 1024]));
      out.abort();
      assertFalse(out.post(m), "a closed connection refuses");
    }
  }

  @Test
  void shouldStreamSmallMessagesWithNextToNoGarbagePerMessage() throws Exception {
    AtomicLong received = new AtomicLong();
    PayloadHandler<byte[]> count = (c, lane, payload) -> received.incrementAndGet();
    try (Peers.Node a = Peers.node("a");
        Peers.Node b = new Peers.Node("b", x -> { },
            t -> t.payloadHandler(count).poisonLentBuffers(false), c -> { })) {
      b.listen();
      Connection<byte[]> out = a.connect(b);
      byte[] m = new byte[64];
      int perRound = 200_000;
      stream(out, m, perRound, received); // warm-up: classes, JIT, the batches' spare buffers
      ReadLoopAllocations readLoops = ReadLoopAllocations.start();
      long before = ReadLoopAllocations.ofCurrentThread();
      stream(out, m, perRound, received);
      long sender = ReadLoopAllocations.ofCurrentThread() - before;
      long reader = readLoops.allocatedSinceStart();
      // A future alone is 24 B, a byte[] of 64 B is 80 B: either per message would show.
      assertTrue(sender < 8L * perRound, "sender allocated " + sender + " B for " + perRound);
      assertTrue(reader < 8L * perRound, "read loop allocated " + reader + " B for " + perRound);
    }
  }

  /** Posts {@code n} messages in bursts of 256, at most 64 Ki unreceived, and waits for all. */
  private static void stream(Connection<byte[]> out, byte[] m, int n, AtomicLong received) {
    long target = received.get() + n;
    long sent = received.get();
    for (int i = 0; i < n; i++) {
      while (!out.post(m)) {
        out.flush(); // (not expected: the hard limit is far above the window)
      }
      sent++;
      if (i % 256 == 255) {
        out.flush();
        long s = sent;
        await("the receiver keeps up", 20, () -> s - received.get() < 65_536);
      }
    }
    out.flush();
    await("every message received", 20, () -> received.get() == target);
  }
}
