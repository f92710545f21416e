package io.duplex.nio;

import static io.duplex.nio.Peers.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.BackpressureException;
import io.duplex.ConnectionClosedException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Queue a burst, flush once. */
@Timeout(30)
class SendLaterTest {

  @Test
  void shouldHoldQueuedFramesUntilFlushThenWriteThemInOrder() throws Exception {
    try (Peers.Node server = node("server").listen(); Peers.Node client = node("client")) {
      Connection<byte[]> c = client.connect(server);
      Connection<byte[]> s = server.nextOpened();
      List<CompletableFuture<Void>> sent = new ArrayList<>();
      for (int i = 0; i < 1_000; i++) {
        sent.add(c.sendLater(ByteBuffer.allocate(64).putInt(i).array()));
      }
      assertFalse(sent.stream().anyMatch(CompletableFuture::isDone), "nothing written yet");
      assertEquals(1_000 * 69, c.pendingBytes());
      c.flush();
      for (int i = 0; i < 1_000; i++) {
        assertEquals(i, ByteBuffer.wrap(s.receive(Duration.ofSeconds(10))).getInt());
      }
      for (CompletableFuture<Void> f : sent) {
        f.get(10, TimeUnit.SECONDS);
      }
      assertEquals(0, c.stats().writeThroughs(), "nothing was written through");
      assertEquals(1_000, c.stats().deferredWrites());
    }
  }

  @Test
  void shouldLetASendCarryTheFramesQueuedBeforeIt() throws Exception {
    try (Peers.Node server = node("server").listen(); Peers.Node client = node("client")) {
      Connection<byte[]> c = client.connect(server);
      Connection<byte[]> s = server.nextOpened();
      CompletableFuture<Void> first = c.sendLater(new byte[] {1});
      c.send(new byte[] {2}).get(10, TimeUnit.SECONDS);
      first.get(10, TimeUnit.SECONDS);
      assertEquals(1, s.receive(Duration.ofSeconds(10))[0]);
      assertEquals(2, s.receive(Duration.ofSeconds(10))[0]);
    }
  }

  @Test
  void shouldFailUnflushedFramesWhenTheConnectionCloses() throws Exception {
    try (Peers.Node server = node("server").listen(); Peers.Node client = node("client")) {
      Connection<byte[]> c = client.connect(server);
      CompletableFuture<Void> queued = c.sendLater(new byte[] {1});
      c.abort();
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> queued.get(10, TimeUnit.SECONDS));
      assertInstanceOf(ConnectionClosedException.class, e.getCause());
      assertEquals(0, c.pendingBytes());
    }
  }

  /** Small frames share batches, bigger ones go alone: order and futures hold across both. */
  @Test
  void shouldKeepOrderAcrossManyBatchesAndFramesTooBigToCoalesce() throws Exception {
    try (Peers.Node server = node("server").listen();
        Peers.Node client = node("client", b -> b.outboundHardLimit(64L << 20))) {
      Connection<byte[]> c = client.connect(server);
      Connection<byte[]> s = server.nextOpened();
      int[] sizes = {4, 4096, 20_000, 64, 16 * 1024 - 5, 70_000};
      List<CompletableFuture<Void>> sent = new ArrayList<>();
      long bytes = 0;
      for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 300; i++) {
          int size = sizes[i % sizes.length];
          byte[] m = Peers.bytes(size, i);
          ByteBuffer.wrap(m).putInt(round * 1_000 + i);
          sent.add(c.sendLater(m));
          bytes += size + 5;
        }
        assertEquals(bytes, c.pendingBytes(), "every queued byte is counted");
        c.flush();
        bytes = 0;
        for (int i = 0; i < 300; i++) {
          byte[] m = s.receive(Duration.ofSeconds(10));
          assertEquals(sizes[i % sizes.length], m.length);
          assertEquals(round * 1_000 + i, ByteBuffer.wrap(m).getInt(), "frame order");
          byte[] want = Peers.bytes(m.length, i);
          ByteBuffer.wrap(want).putInt(round * 1_000 + i);
          assertTrue(java.util.Arrays.equals(want, m), "frame " + i + " intact");
        }
      }
      for (CompletableFuture<Void> f : sent) {
        f.get(10, TimeUnit.SECONDS);
      }
      Peers.await("pending bytes back to 0", 10, () -> c.pendingBytes() == 0);
      assertEquals(900, c.stats().deferredWrites(), "counted per message, not per batch");
      assertEquals(0, c.stats().framesQueued());
    }
  }

  /** Each thread's frames arrive in its order, whoever seals the batch they shared. */
  @Test
  void shouldKeepEachThreadsOrderWhenThreadsShareBatches() throws Exception {
    int threads = 4;
    int perThread = 20_000;
    try (Peers.Node server = node("server").listen();
        Peers.Node client = node("client", b -> b.outboundHardLimit(256L << 20))) {
      Connection<byte[]> c = client.connect(server);
      Connection<byte[]> s = server.nextOpened();
      AtomicReference<Throwable> failed = new AtomicReference<>();
      List<Thread> senders = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int id = t;
        Thread th = new Thread(() -> {
          try {
            CompletableFuture<Void> last = null;
            for (int i = 0; i < perThread; i++) {
              last = c.sendLater(ByteBuffer.allocate(12).putInt(id).putInt(i).array());
              if (i % 97 == 0) {
                c.flush();
              }
            }
            c.flush();
            last.get(20, TimeUnit.SECONDS);
          } catch (Throwable e) {
            failed.compareAndSet(null, e);
          }
        });
        senders.add(th);
        th.start();
      }
      int[] next = new int[threads];
      for (int n = 0; n < threads * perThread; n++) {
        ByteBuffer m = ByteBuffer.wrap(s.receive(Duration.ofSeconds(10)));
        int id = m.getInt();
        assertEquals(next[id], m.getInt(), "thread " + id + "'s order");
        next[id]++;
      }
      for (Thread th : senders) {
        th.join(TimeUnit.SECONDS.toMillis(20));
        assertFalse(th.isAlive(), "sender finished");
      }
      if (failed.get() != null) {
        throw new AssertionError("a sender failed", failed.get());
      }
      Peers.await("pending bytes back to 0", 10, () -> c.pendingBytes() == 0);
    }
  }

  /** Deferred frames count against the hard limit as they are queued, not when flushed. */
  @Test
  void shouldRefuseDeferredFramesPastTheHardLimit() throws Exception {
    long hard = 10_000;
    try (Peers.Node server = node("server").listen();
        Peers.Node client = node("client", b -> b.maxFrameSize(4096).highWaterMark(4_000).lowWaterMark(2_000)
            .outboundHardLimit(hard))) {
      Connection<byte[]> c = client.connect(server);
      Connection<byte[]> s = server.nextOpened();
      List<CompletableFuture<Void>> sent = new ArrayList<>();
      for (int i = 0; i < 1_000; i++) {
        sent.add(c.sendLater(ByteBuffer.allocate(64).putInt(i).array()));
        assertTrue(c.pendingBytes() <= hard, "pending " + c.pendingBytes() + " > hard limit");
      }
      int accepted = (int) (hard / 69);
      assertEquals(accepted * 69L, c.pendingBytes());
      for (int i = accepted; i < 1_000; i++) {
        ExecutionException e = assertThrows(ExecutionException.class,
            sent.get(i)::get, "frame " + i + " is over the limit");
        assertInstanceOf(BackpressureException.class, e.getCause());
      }
      c.flush();
      for (int i = 0; i < accepted; i++) {
        sent.get(i).get(10, TimeUnit.SECONDS);
        assertEquals(i, ByteBuffer.wrap(s.receive(Duration.ofSeconds(10))).getInt());
      }
      Peers.await("pending bytes back to 0", 10, () -> c.pendingBytes() == 0);
      assertTrue(c.isAlive());
    }
  }

  /** A graceful close writes the unflushed frames before its CLOSE. */
  @Test
  void shouldWriteUnflushedFramesBeforeAGracefulClose() throws Exception {
    try (Peers.Node server = node("server").listen(); Peers.Node client = node("client")) {
      Connection<byte[]> c = client.connect(server);
      Connection<byte[]> s = server.nextOpened();
      List<CompletableFuture<Void>> sent = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        sent.add(c.sendLater(ByteBuffer.allocate(8).putInt(i).array()));
      }
      c.close().get(10, TimeUnit.SECONDS);
      for (int i = 0; i < 100; i++) {
        assertTrue(sent.get(i).isDone() && !sent.get(i).isCompletedExceptionally(),
            "frame " + i + " written before the close finished");
        assertEquals(i, ByteBuffer.wrap(s.receive(Duration.ofSeconds(10))).getInt());
      }
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> c.sendLater(new byte[] {1}).get(10, TimeUnit.SECONDS));
      assertInstanceOf(ConnectionClosedException.class, e.getCause());
      assertEquals(0, c.pendingBytes());
    }
  }

  /** An abort fails every unflushed and unwritten future, batched or not, and frees the bytes. */
  @Test
  void shouldFailEveryBatchedFrameOnAbort() throws Exception {
    try (Peers.Node server = node("server").listen(); Peers.Node client = node("client")) {
      Connection<byte[]> c = client.connect(server);
      List<CompletableFuture<Void>> sent = new ArrayList<>();
      for (int i = 0; i < 5_000; i++) {
        sent.add(c.sendLater(new byte[i % 7 == 0 ? 20_000 : 100]));
      }
      c.abort();
      for (CompletableFuture<Void> f : sent) {
        ExecutionException e = assertThrows(ExecutionException.class,
            () -> f.get(10, TimeUnit.SECONDS));
        assertInstanceOf(ConnectionClosedException.class, e.getCause());
      }
      assertEquals(0, c.pendingBytes());
      assertEquals(0, c.stats().framesQueued());
    }
  }
}
