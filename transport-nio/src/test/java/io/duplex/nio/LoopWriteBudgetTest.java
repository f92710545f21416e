package io.duplex.nio;

import static io.duplex.nio.Peers.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A read loop that takes the write role to answer a PING, or the timer that takes it to send a
 * liveness PING, is not the sender of what else is queued: it may write about one buffer (256
 * KiB) of other senders' frames per turn and must hand the rest to the write loop, or one
 * connection's backlog stalls every connection of that loop (or every deadline of the timer).
 * A sender, too, writes one buffer of a plaintext backlog and hands the rest to the write loop.
 *
 * <p>Observed through the futures: a send's future completes on the thread that wrote its last
 * byte, so its continuation knows which thread wrote it.
 */
@Timeout(60)
class LoopWriteBudgetTest {
  private static final int MESSAGE = 8 * 1024;
  private static final int MESSAGES = 2048; // 16 MiB
  /** What a loop may write of others' frames here: a few 256 KiB turns, generously. */
  private static final long LOOP_BUDGET = 1024 * 1024;
  /** A sender's turn: one gathered buffer. */
  private static final long ONE_BUFFER = 256 * 1024;
  private static final Pattern WRITE_LOOP = Pattern.compile("duplex-\\d+-write-\\d+");
  private static final Pattern LOOP_THREAD = Pattern.compile("duplex-\\d+-(read-\\d+|timer)");

  /** Bytes of completed messages, by the name of the thread that completed them. */
  private static final class Writers {
    final Map<String, LongAdder> bytes = new ConcurrentHashMap<>();
    final AtomicLong completed = new AtomicLong();
    final List<CompletableFuture<Void>> futures = new ArrayList<>();

    void track(CompletableFuture<Void> f, int size) {
      futures.add(f);
      f.whenComplete((v, e) -> {
        if (e == null) {
          bytes.computeIfAbsent(Thread.currentThread().getName(), k -> new LongAdder())
              .add(size);
          completed.incrementAndGet();
        }
      });
    }

    long byLoops() {
      return bytes.entrySet().stream().filter(e -> LOOP_THREAD.matcher(e.getKey()).matches())
          .mapToLong(e -> e.getValue().sum()).sum();
    }

    String summary() {
      Map<String, Long> sorted = new TreeMap<>();
      bytes.forEach((k, v) -> sorted.put(k, v.sum()));
      return "bytes of messages completed, by thread: " + sorted;
    }

    void awaitAll(Connection<byte[]> c) {
      c.flush(); // whatever nobody took on: the test's own flush, not counted against the loops
      Peers.await("every sendLater written (" + completed.get() + " of " + futures.size()
          + "; " + summary() + ")", 30, () -> completed.get() == futures.size());
    }
  }

  private static Peers.Node sink() throws Exception {
    LongAdder received = new LongAdder();
    return node("sink", b -> b.inboundQueueCapacity(100_000)
        .inboundQueueMaxBytes(256L * 1024 * 1024),
        c -> c.onMessage((conn, m) -> received.increment())).listen();
  }

  @Test
  void shouldHandOtherSendersBacklogToTheWriteLoopWhenTheReadLoopAnswersAPing()
      throws Exception {
    try (Peers.Node sink = sink(); Peers.Node sender = node("sender")) {
      Connection<byte[]> c = sender.connect(sink);
      Connection<byte[]> s = sink.nextOpened();
      Writers writers = new Writers();
      for (int i = 0; i < MESSAGES; i++) {
        writers.track(c.sendLater(new byte[MESSAGE]), MESSAGE);
      }
      assertEquals(0, writers.completed.get(), "setup: sendLater without flush writes nothing");

      s.ping().get(20, TimeUnit.SECONDS); // the sender's read loop answers: it takes the role

      writers.awaitAll(c);
      long byLoops = writers.byLoops();
      assertTrue(byLoops <= LOOP_BUDGET, byLoops + " bytes of the " + MESSAGES * MESSAGE
          + " queued by sendLater were written by the read loop that answered one PING (at"
          + " most " + LOOP_BUDGET + " allowed; the rest is the write loop's): "
          + writers.summary());
    }
  }

  @Test
  void shouldHandOtherSendersBacklogToTheWriteLoopWhenTheTimerSendsALivenessPing()
      throws Exception {
    try (Peers.Node sink = sink();
        Peers.Node sender = node("sender", b -> b.pingInterval(Duration.ofMillis(500)))) {
      Connection<byte[]> c = sender.connect(sink);
      sink.nextOpened();
      Writers writers = new Writers();
      for (int i = 0; i < MESSAGES; i++) {
        writers.track(c.sendLater(new byte[MESSAGE]), MESSAGE);
      }
      // The sink sends nothing: 500 ms later the sender's timer sends a liveness PING, taking
      // the role.
      Peers.await("the liveness PING to take the role and write something", 10,
          () -> writers.completed.get() > 0);

      writers.awaitAll(c);
      long byLoops = writers.byLoops();
      assertTrue(byLoops <= LOOP_BUDGET, byLoops + " bytes of the " + MESSAGES * MESSAGE
          + " queued by sendLater were written by the timer (or a read loop) while it sent a"
          + " liveness PING (at most " + LOOP_BUDGET + " allowed; the rest is the write"
          + " loop's): " + writers.summary());
    }
  }

  /**
   * A sender that flushes a large plaintext backlog writes one buffer (256 KiB) of it and hands
   * the rest to the write loop, then goes back to producing while the write loop writes on
   * another core. Its own messages' futures say who wrote what.
   */
  @Test
  void shouldLetASenderWriteOneBufferOfItsBacklogAndHandTheRestToTheWriteLoop()
      throws Exception {
    try (Peers.Node sink = sink(); Peers.Node sender = node("sender")) {
      Connection<byte[]> c = sender.connect(sink);
      sink.nextOpened();
      Writers writers = new Writers();
      for (int i = 0; i < MESSAGES; i++) {
        writers.track(c.sendLater(new byte[MESSAGE]), MESSAGE);
      }
      c.flush(); // this thread takes the role: the sender's turn

      Peers.await("every sendLater written (" + writers.summary() + ")", 30,
          () -> writers.completed.get() == MESSAGES);
      LongAdder mine = writers.bytes.get(Thread.currentThread().getName());
      long bySender = mine == null ? 0 : mine.sum();
      assertTrue(bySender <= ONE_BUFFER, bySender + " bytes of the " + MESSAGES * MESSAGE
          + " queued were written by the sender that flushed them (at most one buffer, "
          + ONE_BUFFER + ", allowed; the rest is the write loop's): " + writers.summary());
      long byWriteLoop = writers.bytes.entrySet().stream()
          .filter(e -> WRITE_LOOP.matcher(e.getKey()).matches())
          .mapToLong(e -> e.getValue().sum()).sum();
      assertEquals((long) MESSAGES * MESSAGE - bySender, byWriteLoop,
          "the write loop writes what the sender left: " + writers.summary());
    }
  }

  /**
   * On a sealed connection a sender seals and writes its whole backlog itself until the socket
   * fills: handed over, sealing would pile onto the one write loop of every connection. (A
   * reading sink keeps loopback's buffers from filling after one buffer: megabytes go first.)
   */
  @Test
  void shouldLetASenderOnASealedConnectionWriteMoreThanOneBufferItself() throws Exception {
    LongAdder received = new LongAdder();
    try (Peers.Node sink = new Peers.Node("sink", b -> b.inboundQueueCapacity(100_000)
            .inboundQueueMaxBytes(256L * 1024 * 1024), t -> { },
            c -> c.onMessage((conn, m) -> received.increment()), true).listen();
        Peers.Node sender = new Peers.Node("sender", b -> { }, t -> { }, c -> { }, true)) {
      Connection<byte[]> c = sender.connect(sink);
      sink.nextOpened();
      Writers writers = new Writers();
      for (int i = 0; i < MESSAGES; i++) {
        writers.track(c.sendLater(new byte[MESSAGE]), MESSAGE);
      }
      c.flush();

      Peers.await("every sendLater written (" + writers.summary() + ")", 30,
          () -> writers.completed.get() == MESSAGES);
      LongAdder mine = writers.bytes.get(Thread.currentThread().getName());
      long bySender = mine == null ? 0 : mine.sum();
      assertTrue(bySender > ONE_BUFFER, "the sender that flushed a sealed backlog wrote only "
          + bySender + " bytes of it (more than one buffer, " + ONE_BUFFER + ", expected: it"
          + " seals and writes until the socket fills): " + writers.summary());
    }
  }

  /**
   * A handler running on a read loop that flushes a large message writes one buffer of it there
   * and leaves the rest to the write loop, even on a connection of another read loop: the
   * handler's connection's loop serves other connections too. (It queues with {@code sendLater}
   * and tracks the future before it flushes: a future that completed before its continuation was
   * attached would run that continuation on the attaching thread, whoever wrote the bytes.)
   */
  @Test
  void shouldLetAHandlerOnTheReadLoopWriteOneBufferOfALargeMessageAndHandTheRestOff()
      throws Exception {
    int size = 1024 * 1024; // four buffers: more than a loop writes, less than loopback holds
    Writers writers = new Writers();
    CompletableFuture<Connection<byte[]>> target = new CompletableFuture<>();
    try (Peers.Node sink = sink();
        Peers.Node relay = node("relay", b -> b.maxFrameSize(16 * 1024 * 1024)
            .highWaterMark(16 * 1024 * 1024).lowWaterMark(1024)
            .outboundHardLimit(32L * 1024 * 1024),
            t -> t.handlersOnReadLoop(true).readLoops(2),
            c -> c.onMessage((conn, m) -> {
              Connection<byte[]> out = target.join();
              writers.track(out.sendLater(new byte[size]), size);
              out.flush();
            })).listen();
        Peers.Node client = node("client")) {
      target.complete(relay.connect(sink)); // read loop 0 of the relay
      Connection<byte[]> c = client.connect(relay); // accepted on read loop 1
      c.send(new byte[1]).get(10, TimeUnit.SECONDS); // the relay's handler sends 1 MiB
      Peers.await("the 1 MiB written (" + writers.summary() + ")", 30,
          () -> writers.completed.get() == 1);
      assertEquals(0, writers.byLoops(), "the large message's last byte must be written by the"
          + " write loop, not by the read loop its handler ran on: " + writers.summary());
    }
  }
}
