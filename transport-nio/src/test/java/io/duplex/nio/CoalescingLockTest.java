package io.duplex.nio;

import static io.duplex.nio.Peers.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * No future completes while the write half's coalescing lock is held: a continuation is user
 * code, and user code that waits for another thread's call on the same connection must not
 * wait for a lock its own thread holds.
 *
 * <p>The scene, made deterministic with continuations: thread "flusher" flushes a sendLater and
 * holds the write role while it completes that message's future; the continuation (on the
 * flusher) makes a second sendLater (an open batch) and has thread "closer" abort the connection
 * and flush. The closer's flush fails the open batch, and the second message's continuation
 * then waits (bounded) for the flusher's flush() to return. The flusher, going on with its
 * write, needs the coalescing lock to put its written batch back: if the closer completed the
 * future while holding it, neither can move until the wait times out.
 */
@Timeout(60)
class CoalescingLockTest {
  private static final long WAIT_SECONDS = 2;

  @Test
  void shouldNotCompleteFuturesWhileHoldingTheCoalescingLock() throws Exception {
    ExecutorService closer = Executors.newSingleThreadExecutor(r -> new Thread(r, "closer"));
    try (Peers.Node server = node("server").listen(); Peers.Node client = node("client")) {
      Connection<byte[]> c = client.connect(server);
      CountDownLatch flusherReturned = new CountDownLatch(1);
      CountDownLatch closerReturned = new CountDownLatch(1);
      CountDownLatch secondFailed = new CountDownLatch(1);
      AtomicReference<Thread> flusher = new AtomicReference<>();
      AtomicReference<String> continuation = new AtomicReference<>();

      CompletableFuture<Void> first = c.sendLater(new byte[100]);
      first.whenComplete((v, e) -> { // on the flusher, holding the write role
        CompletableFuture<Void> second = c.sendLater(new byte[100]);
        second.whenComplete((v2, e2) -> {
          secondFailed.countDown();
          boolean onFlusher = Thread.currentThread() == flusher.get();
          CountDownLatch other = onFlusher ? closerReturned : flusherReturned;
          try {
            boolean returned = other.await(WAIT_SECONDS, TimeUnit.SECONDS);
            continuation.set("the second message's continuation ran on "
                + Thread.currentThread().getName() + " (failed with " + e2 + ") and "
                + (returned ? "saw " : "waited " + WAIT_SECONDS + " s in vain for ")
                + (onFlusher ? "the closer's abort() and flush()" : "the flusher's flush()")
                + " to return");
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
          }
        });
        closer.execute(() -> {
          c.abort();
          c.flush();
          closerReturned.countDown();
        });
        try {
          secondFailed.await(WAIT_SECONDS, TimeUnit.SECONDS); // bounded: let the closer go first
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
        }
      });
      Thread t = new Thread(() -> {
        c.flush();
        flusherReturned.countDown();
      }, "flusher");
      flusher.set(t);
      t.start();

      assertTrue(flusherReturned.await(20, TimeUnit.SECONDS), "the flusher's flush() returned");
      assertTrue(closerReturned.await(20, TimeUnit.SECONDS), "the closer returned");
      Peers.await("the second message's continuation to finish", 10,
          () -> continuation.get() != null);
      assertTrue(first.isDone(), "setup: the first message was written");
      assertEquals(false, continuation.get().contains("in vain"), continuation.get());
    } finally {
      closer.shutdownNow();
    }
  }
}
