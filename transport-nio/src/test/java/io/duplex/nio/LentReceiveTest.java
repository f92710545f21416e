package io.duplex.nio;

import static io.duplex.nio.Peers.await;
import static io.duplex.nio.Peers.causedBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.HandlerException;
import io.duplex.Lane;
import io.duplex.PayloadHandler;
import io.duplex.TransportConfig;
import io.duplex.codec.Codec;
import io.duplex.codec.PayloadSink;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The lent receive path ({@link PayloadHandler}): what arrives is lent on the read loop, whole,
 * in order, on its lane; what arrives before onOpen returns is held; a handler that throws
 * closes its connection only; onClose comes after the last call; and the debug switch makes a
 * kept buffer fail loudly.
 */
@Timeout(60)
class LentReceiveTest {

  /** What a payload handler saw: the lane, a copy of the bytes, the thread. */
  record Lent(Lane lane, byte[] bytes, String thread) {}

  /** A payload handler that copies what it is lent. */
  static final class Recorder implements PayloadHandler<byte[]> {
    final List<Lent> lent = new CopyOnWriteArrayList<>();

    @Override
    public void onPayload(Connection<byte[]> connection, Lane lane, ByteBuffer payload) {
      byte[] copy = new byte[payload.remaining()];
      payload.get(copy);
      lent.add(new Lent(lane, copy, Thread.currentThread().getName()));
    }
  }

  static Peers.Node lentNode(String name, boolean secure,
      Consumer<TransportConfig.Builder> settings, PayloadHandler<byte[]> handler,
      Consumer<Connection<byte[]>> onOpen) {
    return new Peers.Node(name, settings, t -> t.payloadHandler(handler), onOpen, secure);
  }

  /**
   * An onOpen that takes its time: adds the connection to {@code accepted}, waits (up to 20 s)
   * for {@code release}, then runs {@code after}.
   */
  static Consumer<Connection<byte[]>> slowOnOpen(List<Connection<byte[]>> accepted,
      CountDownLatch release, Runnable after) {
    return c -> {
      accepted.add(c);
      try {
        release.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      after.run();
    };
  }

  /** Sends {@code n} numbered messages of growing size on {@code out}; returns them in order. */
  static List<byte[]> sendNumbered(Connection<byte[]> out, int n) {
    List<byte[]> sent = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] m = LaneTest.message(0, i, 64 + i);
      sent.add(m);
      out.send(m);
    }
    return sent;
  }

  @ParameterizedTest(name = "secure={0}")
  @ValueSource(booleans = {true, false})
  void shouldLendEveryMessageWholeInOrderOnItsLaneOnTheReadLoop(boolean secure)
      throws Exception {
    Recorder recorder = new Recorder();
    try (Peers.Node a = LaneTest.node("a", secure, LaneTest.lanes());
        Peers.Node b = lentNode("b", secure, LaneTest.lanes(), recorder, c -> { })) {
      b.listen();
      Connection<byte[]> out = a.connect(b);
      Connection<byte[]> in = b.nextOpened();
      Lane[] lanes = {Lane.DEFAULT, LaneTest.CONSENSUS, LaneTest.BLOCKS, LaneTest.MEMPOOL};
      int[] sizes = {100, 200, 1_500_000, 16 * 1024}; // 8 blocks: more than the lane's window
      List<byte[]> sent = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        for (int l = 0; l < lanes.length; l++) {
          byte[] m = LaneTest.message(l, i, l == 0 && i % 2 == 1 ? 300_000 : sizes[l]);
          sent.add(m);
          if (i % 3 == 2) {
            out.sendLater(lanes[l], m);
          } else {
            out.send(lanes[l], m);
          }
        }
      }
      out.flush();
      await("every message lent", 20, () -> recorder.lent.size() == sent.size());
      int[] next = new int[lanes.length];
      for (Lent got : recorder.lent) {
        ByteBuffer head = ByteBuffer.wrap(got.bytes());
        int lane = head.getInt();
        int index = head.getInt();
        assertTrue(lanes[lane] == got.lane(), "lane " + lane + " lent as " + got.lane());
        assertEquals(next[lane]++, index, "lane " + lane + " out of order");
        assertArrayEquals(sent.get(index * lanes.length + lane), got.bytes());
        assertTrue(got.thread().contains("-read-"), "lent on " + got.thread());
      }
      assertEquals(sent.size(), in.stats().messagesIn());
      assertEquals(List.of(), a.errors);
      assertEquals(List.of(), b.errors);
    }
  }

  @Test
  void shouldLendMessagesOfAConnectionWithoutLanesAsTheDefaultLane() throws Exception {
    Recorder recorder = new Recorder();
    try (Peers.Node a = Peers.node("a");
        Peers.Node b = lentNode("b", false, x -> { }, recorder, c -> { })) {
      b.listen();
      Connection<byte[]> out = a.connect(b);
      List<byte[]> sent = new ArrayList<>();
      for (int i = 0; i < 300; i++) { // small ones, and frames that span reads
        byte[] m = LaneTest.message(0, i, i % 50 == 0 ? 700_000 : 8 + i);
        sent.add(m);
        out.sendLater(m);
      }
      out.flush();
      await("every message lent", 20, () -> recorder.lent.size() == sent.size());
      for (int i = 0; i < sent.size(); i++) {
        assertTrue(recorder.lent.get(i).lane() == Lane.DEFAULT);
        assertArrayEquals(sent.get(i), recorder.lent.get(i).bytes(), "message " + i);
      }
    }
  }

  @Test
  void shouldHoldWhatArrivesBeforeOnOpenReturnsAndLendItAfterInOrder() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean openReturned = new AtomicBoolean();
    AtomicInteger lentBeforeOpen = new AtomicInteger();
    List<byte[]> lent = new CopyOnWriteArrayList<>();
    CopyOnWriteArrayList<Connection<byte[]>> accepted = new CopyOnWriteArrayList<>();
    PayloadHandler<byte[]> handler = (c, lane, payload) -> {
      if (!openReturned.get()) {
        lentBeforeOpen.incrementAndGet();
      }
      byte[] copy = new byte[payload.remaining()];
      payload.get(copy);
      lent.add(copy);
    };
    try (Peers.Node a = Peers.node("a");
        Peers.Node b = lentNode("b", false, x -> { }, handler,
            slowOnOpen(accepted, release, () -> openReturned.set(true)))) {
      b.listen();
      Connection<byte[]> out = a.connect(b);
      List<byte[]> sent = sendNumbered(out, 50);
      await("b accepted", 10, () -> !accepted.isEmpty());
      Connection<byte[]> in = accepted.get(0);
      await("b read all 50 while onOpen runs", 10, () -> in.stats().messagesIn() == 50);
      assertEquals(0, lent.size(), "lent before onOpen returned");
      release.countDown();
      await("the held messages lent", 10, () -> lent.size() == 50);
      assertEquals(0, lentBeforeOpen.get());
      for (int i = 0; i < 50; i++) {
        assertArrayEquals(sent.get(i), lent.get(i), "message " + i);
      }
      byte[] later = LaneTest.message(0, 50, 99);
      out.send(later);
      await("a later message lent", 10, () -> lent.size() == 51);
      assertArrayEquals(later, lent.get(50));
    }
  }

  /**
   * What was held before onOpen returned is lent even if a graceful close has begun meanwhile
   * and reads on, dropping what arrives after (the queue was full): the held payloads came first,
   * as queued messages on the decoded path are still delivered. Before, they were dropped.
   */
  @Test
  void shouldLendWhatWasHeldWhenAGracefulCloseBeganBeforeOnOpenReturned() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    List<byte[]> lent = new CopyOnWriteArrayList<>();
    CopyOnWriteArrayList<Connection<byte[]>> accepted = new CopyOnWriteArrayList<>();
    PayloadHandler<byte[]> handler = (c, lane, payload) -> {
      byte[] copy = new byte[payload.remaining()];
      payload.get(copy);
      lent.add(copy);
    };
    try (Peers.Node a = Peers.node("a");
        Peers.Node b = lentNode("b", false, x -> x.inboundQueueCapacity(10), handler,
            slowOnOpen(accepted, release, () -> { }))) {
      b.listen();
      List<byte[]> sent = sendNumbered(a.connect(b), 50);
      await("b accepted", 10, () -> !accepted.isEmpty());
      Connection<byte[]> in = accepted.get(0);
      await("b's queue of held copies full: reading paused", 10,
          () -> in.stats().readPauses() > 0);
      long held = in.stats().messagesIn();
      assertTrue(held >= 10 && held < 50, "held " + held);

      in.close(); // graceful: b reads on to a's FIN, dropping what arrives from now on
      await("b read the rest, discarding it", 10, () -> in.stats().messagesIn() == 50);
      assertEquals(0, lent.size(), "lent before onOpen returned");
      release.countDown();
      await("b's onClose", 10, () -> !b.closeCauses.isEmpty());
      assertEquals(held, lent.size(), "every held payload lent, none of those dropped after");
      for (int i = 0; i < held; i++) {
        assertArrayEquals(sent.get(i), lent.get(i), "message " + i);
      }
    }
  }

  @Test
  void shouldRefuseReceiveOnMessageAndAPeerNodeFactory() throws Exception {
    try (Peers.Node a = Peers.node("a");
        Peers.Node b = lentNode("b", false, x -> { }, new Recorder(), c -> { })) {
      b.listen();
      a.connect(b);
      Connection<byte[]> in = b.nextOpened();
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> in.receive(Duration.ofMillis(1)));
      assertTrue(e.getMessage().contains("payload handler"), e.getMessage());
      assertThrows(IllegalStateException.class, () -> in.onMessage((c, m) -> { }));
    }
    NioTransport.Builder<byte[]> builder = NioTransport.builder(
        io.duplex.codec.ByteArrayCodec.instance()).payloadHandler(new Recorder());
    assertThrows(IllegalStateException.class, builder::factory);
  }

  @Test
  void shouldCloseOnlyTheConnectionWhoseHandlerThrows() throws Exception {
    Recorder recorder = new Recorder();
    PayloadHandler<byte[]> handler = (c, lane, payload) -> {
      if (payload.get(payload.position()) == 'X') {
        throw new IllegalStateException("a handler's bug");
      }
      recorder.onPayload(c, lane, payload);
    };
    try (Peers.Node a1 = Peers.node("a1"); Peers.Node a2 = Peers.node("a2");
        Peers.Node b = lentNode("b", false, x -> { }, handler, c -> { })) {
      b.listen();
      Connection<byte[]> bad = a1.connect(b);
      Connection<byte[]> good = a2.connect(b);
      bad.send("Xbad".getBytes());
      bad.send("after".getBytes()); // never lent: the connection is closing
      await("b closed the bad connection", 10, () -> !b.closeCauses.isEmpty());
      ConnectionClosedException cause = b.closeCauses.get(0);
      assertTrue(causedBy(cause, HandlerException.class), String.valueOf(cause));
      await("a1 told", 10, () -> bad.closeCause() != null);
      good.send("fine".getBytes());
      await("the good connection still lent", 10, () -> recorder.lent.size() == 1);
      assertEquals("fine", new String(recorder.lent.get(0).bytes()));
      assertTrue(good.isAlive());
    }
  }

  @Test
  void shouldCallOnCloseAfterTheLastPayloadWhenClosedMidStream() throws Exception {
    AtomicBoolean closeStarted = new AtomicBoolean();
    AtomicInteger afterClose = new AtomicInteger();
    AtomicInteger lent = new AtomicInteger();
    CountDownLatch closed = new CountDownLatch(1);
    CopyOnWriteArrayList<Connection<byte[]>> accepted = new CopyOnWriteArrayList<>();
    PayloadHandler<byte[]> handler = (c, lane, payload) -> {
      if (closeStarted.get()) {
        afterClose.incrementAndGet();
      }
      lent.incrementAndGet();
    };
    io.duplex.Transport<byte[]> b = NioTransport.builder(io.duplex.codec.ByteArrayCodec.instance())
        .config(TransportConfig.builder().insecurePlaintext().nodeId(io.duplex.NodeId.of("b"))
            .build())
        .payloadHandler(handler)
        .listener(new io.duplex.ConnectionListener<>() {
          @Override
          public void onOpen(Connection<byte[]> c) {
            accepted.add(c);
          }

          @Override
          public void onClose(Connection<byte[]> c, ConnectionClosedException cause) {
            closeStarted.set(true);
            closed.countDown();
          }
        })
        .build();
    try (Peers.Node a = Peers.node("a"); b) {
      java.net.InetSocketAddress address = b.listen(Peers.ANY_LOCAL);
      Connection<byte[]> out = a.transport.connect(address).get(10, TimeUnit.SECONDS);
      await("b opened", 10, () -> !accepted.isEmpty());
      Thread sender = new Thread(() -> {
        byte[] m = new byte[64];
        for (int i = 0; i < 20_000_000 && out.closeCause() == null; i++) {
          out.sendLater(m);
          if (i % 256 == 255) {
            out.flush();
          }
        }
      });
      sender.start();
      await("messages flowing", 10, () -> lent.get() > 10_000);
      accepted.get(0).abort(); // from this thread, while the read loop lends
      assertTrue(closed.await(10, TimeUnit.SECONDS), "onClose");
      int atClose = lent.get();
      sender.join(20_000);
      assertFalse(sender.isAlive());
      assertEquals(0, afterClose.get(), "payloads lent after onClose began");
      assertEquals(atClose, lent.get());
    }
  }

  @ParameterizedTest(name = "size={0}")
  @ValueSource(ints = {100, 300_000, 1_500_000})
  void shouldPoisonALentBufferThatTheHandlerKeeps(int size) throws Exception {
    List<ByteBuffer> kept = new CopyOnWriteArrayList<>();
    List<ByteBuffer> keptSlices = new CopyOnWriteArrayList<>();
    List<byte[]> copies = new CopyOnWriteArrayList<>();
    List<Object> afterReturn = new CopyOnWriteArrayList<>(); // what a kept buffer did later
    // The second message's call comes after the first returned, on the same read loop, so it
    // sees what the poison did. It is a small whole message of the same lane: it follows the
    // first in order, and its bytes are in neither the lane's reassembly buffer nor the region
    // of the first one.
    PayloadHandler<byte[]> keeper = (c, lane, payload) -> {
      if (kept.isEmpty()) {
        kept.add(payload); // the bug the switch is for
        keptSlices.add(payload.slice());
        byte[] copy = new byte[payload.remaining()];
        payload.duplicate().get(copy);
        copies.add(copy);
        return;
      }
      try {
        kept.get(0).get();
        afterReturn.add("a kept buffer could still be read");
      } catch (BufferUnderflowException e) {
        afterReturn.add(e);
      }
      ByteBuffer slice = keptSlices.get(0);
      byte[] bytes = new byte[slice.remaining()];
      slice.duplicate().get(bytes);
      afterReturn.add(bytes);
    };
    try (Peers.Node a = LaneTest.node("a", false, LaneTest.lanes());
        Peers.Node b = new Peers.Node("b", LaneTest.lanes(),
            t -> t.payloadHandler(keeper).poisonLentBuffers(true), c -> { })) {
      b.listen();
      Connection<byte[]> out = a.connect(b);
      byte[] m = LaneTest.message(2, 1, size);
      out.sendLater(LaneTest.BLOCKS, m);
      out.sendLater(LaneTest.BLOCKS, new byte[10]);
      out.flush();
      await("both lent", 10, () -> afterReturn.size() == 2);
      assertArrayEquals(m, copies.get(0), "the handler saw the message during its call");
      assertTrue(afterReturn.get(0) instanceof BufferUnderflowException,
          "a kept buffer must fail: " + afterReturn.get(0));
      byte[] slice = (byte[]) afterReturn.get(1);
      assertEquals(size, slice.length);
      for (int i = 0; i < size; i++) {
        assertEquals((byte) 0xDD, slice[i], "byte " + i + " of a kept slice");
      }
    }
  }

  /** A codec that breaks the contract: its message keeps the buffer it decodes from. */
  static final class KeepingCodec implements Codec<ByteBuffer> {
    @Override
    public String name() {
      return "keeping";
    }

    @Override
    public void encode(ByteBuffer message, PayloadSink sink) {
      byte[] b = new byte[message.remaining()];
      message.duplicate().get(b);
      sink.write(b, 0, b.length);
    }

    @Override
    public ByteBuffer decode(ByteBuffer payload) {
      return payload.slice(); // kept past the call: the bug
    }
  }

  @Test
  void shouldPoisonABufferThatACodecKeeps() throws Exception {
    Consumer<NioTransport.Builder<ByteBuffer>> poison = t -> t.poisonLentBuffers(true);
    try (Peers.CodecNode<ByteBuffer> a = new Peers.CodecNode<>("a", new KeepingCodec(),
            x -> { }, t -> { }, c -> { });
        Peers.CodecNode<ByteBuffer> b = new Peers.CodecNode<>("b", new KeepingCodec(),
            x -> { }, poison, c -> { })) {
      b.listen();
      Connection<ByteBuffer> out = a.connect(b);
      Connection<ByteBuffer> in = b.nextOpened();
      out.send(ByteBuffer.wrap("a message the codec keeps a view of".getBytes()));
      ByteBuffer got = in.receive(Duration.ofSeconds(10));
      assertNotNull(got);
      assertTrue(got.remaining() > 0);
      for (int i = got.position(); i < got.limit(); i++) {
        assertEquals((byte) 0xDD, got.get(i), "byte " + i + " of the kept view");
      }
    }
  }
}
