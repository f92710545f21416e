package io.duplex.nio;

import static io.duplex.nio.Peers.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Both halves of one connection busy at once, from many threads. */
@Timeout(120)
class ConcurrencyTest {
  private static final int SENDERS = 16;
  private static final int PER_SENDER = 10_000;

  /** [sender u8][seq u32][crc u32][payload 0..200]: checkable in isolation. */
  static byte[] message(int sender, int seq) {
    int n = (sender * 31 + seq * 7) % 201;
    ByteBuffer b = ByteBuffer.allocate(9 + n);
    b.put((byte) sender).putInt(seq).putInt(0);
    for (int i = 0; i < n; i++) {
      b.put((byte) (seq + i));
    }
    CRC32 crc = new CRC32();
    crc.update(b.array(), 9, n);
    b.putInt(5, (int) crc.getValue());
    return b.array();
  }

  /** Checks integrity and per-sender order; returns null or what is wrong. */
  static String check(byte[] m, int[] expectedSeq) {
    ByteBuffer b = ByteBuffer.wrap(m);
    int sender = b.get();
    int seq = b.getInt();
    int crc = b.getInt();
    CRC32 actual = new CRC32();
    actual.update(m, 9, m.length - 9);
    if ((int) actual.getValue() != crc) {
      return "corrupted message from sender " + sender + " seq " + seq;
    }
    if (seq != expectedSeq[sender]) {
      return "sender " + sender + ": expected seq " + expectedSeq[sender] + ", got " + seq;
    }
    expectedSeq[sender]++;
    return null;
  }

  @Test
  void shouldDeliverEveryMessageOnceInOrderFromSixteenSendersWhileThePeerSendsBack()
      throws Exception {
    ConcurrentLinkedQueue<String> serverProblems = new ConcurrentLinkedQueue<>();
    int[] serverSeq = new int[SENDERS];
    AtomicInteger serverReceived = new AtomicInteger();
    try (Peers.Node server = node("server", b -> b.outboundHardLimit(512L << 20), c ->
            c.onMessage((conn, m) -> {
              String problem = check(m, serverSeq); // handler calls never overlap
              if (problem != null) {
                serverProblems.add(problem);
              }
              serverReceived.incrementAndGet();
              conn.send(m); // echo while the client keeps sending
            })).listen();
        Peers.Node client = node("client", b -> b.outboundHardLimit(512L << 20))) {
      Connection<byte[]> c = client.connect(server);
      ExecutorService pool = Executors.newFixedThreadPool(SENDERS);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<List<CompletableFuture<Void>>>> senders = new ArrayList<>();
      for (int s = 0; s < SENDERS; s++) {
        int sender = s;
        senders.add(pool.submit(() -> {
          start.await();
          List<CompletableFuture<Void>> sent = new ArrayList<>(PER_SENDER);
          for (int i = 0; i < PER_SENDER; i++) {
            sent.add(c.send(message(sender, i)));
          }
          return sent;
        }));
      }
      start.countDown();
      int[] echoSeq = new int[SENDERS];
      for (int i = 0; i < SENDERS * PER_SENDER; i++) {
        byte[] echo = c.receive(Duration.ofSeconds(30));
        String problem = check(echo, echoSeq);
        assertEquals(null, problem, "echo " + i);
      }
      for (Future<List<CompletableFuture<Void>>> f : senders) {
        for (CompletableFuture<Void> sent : f.get(30, TimeUnit.SECONDS)) {
          sent.get(30, TimeUnit.SECONDS);
        }
      }
      pool.shutdown();
      assertTrue(serverProblems.isEmpty(), () -> serverProblems.peek());
      assertEquals(SENDERS * PER_SENDER, serverReceived.get());
      for (int s = 0; s < SENDERS; s++) {
        assertEquals(PER_SENDER, serverSeq[s], "messages from sender " + s);
        assertEquals(PER_SENDER, echoSeq[s], "echoes to sender " + s);
      }
    }
  }

  @Test
  void shouldReceivePromptlyWhileABacklogWaitsForAPeerThatDoesNotRead() throws Exception {
    try (Peers.Node stalled = node("stalled", b -> b.inboundQueueCapacity(4)).listen();
        Peers.Node writer = node("writer", b -> b.outboundHardLimit(256L << 20))) {
      Connection<byte[]> w = writer.connect(stalled);
      Connection<byte[]> s = stalled.nextOpened();
      byte[] block = new byte[1 << 20];
      List<CompletableFuture<Void>> blocks = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        blocks.add(w.send(block)); // 64 MiB the stalled side will not read for now
      }
      Peers.await("writer backlog", 10, () -> w.pendingBytes() > 8 << 20);
      for (int i = 0; i < 100; i++) {
        s.send(("vote " + i).getBytes());
      }
      for (int i = 0; i < 100; i++) {
        assertEquals("vote " + i, new String(w.receive(Duration.ofSeconds(10))));
      }
      assertTrue(w.pendingBytes() > 0, "the backlog must still be there: reads did not wait");
      // Now let the stalled side read, and everything gets through.
      for (int i = 0; i < 64; i++) {
        assertEquals(block.length, s.receive(Duration.ofSeconds(30)).length);
      }
      for (CompletableFuture<Void> f : blocks) {
        f.get(30, TimeUnit.SECONDS);
      }
      assertEquals(0, w.pendingBytes());
    }
  }
}
