package io.duplex.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class SlotsTest {
  private static InetAddress ip(int last) throws Exception {
    return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
  }

  @Test
  void shouldRefuseOverEachLimitAndTakeNothingWhenRefusing() throws Exception {
    Slots slots = new Slots(3, 2);
    assertNull(slots.tryAcquire(ip(1)));
    assertNull(slots.tryAcquire(ip(1)));
    assertEquals(Slots.Refusal.PER_ADDRESS, slots.tryAcquire(ip(1)));
    assertEquals(2, slots.total(), "a per-address refusal gives its total slot back");
    assertNull(slots.tryAcquire(ip(2)));
    assertEquals(Slots.Refusal.TOTAL, slots.tryAcquire(ip(3)));
    assertEquals(3, slots.total());
    slots.release(ip(1));
    assertNull(slots.tryAcquire(ip(3)));
    assertEquals(1, slots.count(ip(1)));
    assertEquals(1, slots.count(ip(3)));
  }

  @Test
  void shouldIgnoreASecondReleaseOfOneSlot() throws Exception {
    Slots slots = new Slots(3, 2);
    assertNull(slots.tryAcquire(ip(1)));
    assertNull(slots.tryAcquire(ip(2)));
    assertTrue(slots.release(ip(1)));
    assertFalse(slots.release(ip(1)), "a second release gives nothing back");
    assertFalse(slots.release(ip(3)), "nor does a release without an acquire");
    assertEquals(1, slots.total());
    assertEquals(1, slots.count(ip(2)));
    assertThrows(IllegalArgumentException.class, () -> new Slots(-1, 1));
  }

  @Test
  void shouldNeverPassALimitWhileManyThreadsTakeAndGiveBack() throws Exception {
    int threads = 4;
    int rounds = 20_000;
    Slots slots = new Slots(6, 2);
    InetAddress[] ips = {ip(1), ip(2), ip(3), ip(4)};
    AtomicInteger[] held = new AtomicInteger[ips.length];
    for (int i = 0; i < ips.length; i++) {
      held[i] = new AtomicInteger();
    }
    AtomicInteger heldTotal = new AtomicInteger();
    AtomicInteger overLimit = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        done.add(pool.submit(() -> {
          start.await(10, TimeUnit.SECONDS);
          ThreadLocalRandom random = ThreadLocalRandom.current();
          for (int r = 0; r < rounds; r++) {
            int i = random.nextInt(ips.length);
            if (slots.tryAcquire(ips[i]) == null) {
              // What this thread holds is counted after the acquire and before the release,
              // so these sums never exceed what the slots allow unless the slots let too many in.
              boolean over = held[i].incrementAndGet() > 2;
              over |= heldTotal.incrementAndGet() > 6;
              if (over) {
                overLimit.incrementAndGet();
              }
              held[i].decrementAndGet();
              heldTotal.decrementAndGet();
              slots.release(ips[i]);
            }
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(20, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(0, overLimit.get(), "slots held past a limit");
    assertEquals(0, slots.total(), "every slot given back");
    for (InetAddress ip : ips) {
      assertEquals(0, slots.count(ip));
      assertNull(slots.tryAcquire(ip), "a retired count leaves room for a fresh one");
    }
  }
}
