package io.duplex.nio;

import static io.duplex.nio.Peers.node;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ping()} racing the connection's close: whichever wins, the ping's future completes,
 * with the round-trip time or exceptionally, within a deadline. A ping registered after the
 * close failed every pending ping would otherwise wait forever, since nothing ever looks at a
 * closed connection's pings again.
 */
@Timeout(90)
class PingRaceTest {
  private static final int MAX_ROUNDS = 2_000;
  private static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(10);
  private static final int PINGERS = 3;
  private static final int PINGS_PER_PINGER = 2_000;

  @Test
  void shouldCompleteEveryPingThatRacesTheConnectionsClose() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(PINGERS);
    Random random = new Random(42);
    // The pings still incomplete once their connection's close completed; all the others are
    // only counted (millions of completed futures need not be kept).
    List<CompletableFuture<Duration>> pending = new ArrayList<>();
    long pings = 0;
    int rounds = 0;
    try (Peers.Node server = node("server", b -> b.maxInboundConnectionsPerAddress(4096))
            .listen();
        Peers.Node client = node("client", b -> b.pongTimeout(Duration.ofSeconds(1)))) {
      long start = System.nanoTime();
      for (; rounds < MAX_ROUNDS && System.nanoTime() - start < MAX_NANOS; rounds++) {
        Connection<byte[]> c = client.connect(server);
        AtomicInteger started = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Future<List<CompletableFuture<Duration>>>> pingers = new ArrayList<>();
        for (int p = 0; p < PINGERS; p++) {
          pingers.add(pool.submit(() -> {
            List<CompletableFuture<Duration>> mine = new ArrayList<>();
            go.await(10, TimeUnit.SECONDS);
            for (int i = 0; i < PINGS_PER_PINGER; i++) {
              CompletableFuture<Duration> f = c.ping();
              mine.add(f);
              started.incrementAndGet();
              if (f.isCompletedExceptionally() && !c.isAlive()) {
                break; // refused at once: the close has won; the race is over for this pinger
              }
            }
            return mine;
          }));
        }
        go.countDown();
        // Close while the pingers are busy: after a random few pings (bounded wait).
        int after = random.nextInt(40);
        long spinUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (started.get() < after && System.nanoTime() - spinUntil < 0) {
          Thread.onSpinWait();
        }
        if (rounds % 2 == 0) {
          c.abort();
        } else {
          c.close();
        }
        List<CompletableFuture<Duration>> made = new ArrayList<>();
        for (Future<List<CompletableFuture<Duration>>> f : pingers) {
          made.addAll(f.get(10, TimeUnit.SECONDS));
        }
        c.closeFuture().get(10, TimeUnit.SECONDS);
        pings += made.size();
        made.stream().filter(f -> !f.isDone()).forEach(pending::add);
      }
      // Every ping must complete: give them 10 s in all (longer than the 1 s pong timeout).
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (pending.stream().anyMatch(f -> !f.isDone()) && System.nanoTime() - deadline < 0) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // poll, bounded by the deadline
      }
      long incomplete = pending.stream().filter(f -> !f.isDone()).count();
      assertTrue(incomplete == 0, incomplete + " of " + pings + " ping() futures, made"
          + " while their connection closed (" + rounds + " rounds of " + PINGERS + " pingers"
          + " against abort() or close()), never completed, 10 s after the last close");
    } finally {
      pool.shutdownNow();
    }
  }
}
