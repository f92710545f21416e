package io.duplex.nio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The loop's guard against an epoll selector that spins (returns at once, empty, unwoken, again
 * and again) must not mistake real wakeups for one: once it believes the selector spins it parks
 * for a millisecond per pass, which would cost every message a millisecond.
 */
@Timeout(30)
class SpinGuardTest {
  private static final int PASSES = 1_000; // twice the guard's threshold

  /**
   * A loop whose every pass ends with another thread handing it a command, between its select
   * and its next one: the wakeup that command makes is what ends the next select.
   */
  private static final class Loop extends SelectorLoop {
    final SynchronousQueue<Boolean> turn = new SynchronousQueue<>();
    final SynchronousQueue<Boolean> done = new SynchronousQueue<>();
    int passes; // loop thread only

    Loop() throws IOException {
      super("spin-guard-test", (c, e) -> { });
    }

    @Override
    long selectTimeoutMillis() {
      return 0; // block until woken
    }

    @Override
    void handle(SelectionKey key) {}

    @Override
    void afterSelect() {
      if (passes++ < PASSES) {
        try {
          if (turn.offer(true, 10, TimeUnit.SECONDS)) { // bounded: the test may have failed
            done.poll(10, TimeUnit.SECONDS);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  @Test
  void shouldNotMistakeWakeupsThatArriveBetweenSelectsForASpin() throws Exception {
    Loop loop = new Loop();
    AtomicInteger ran = new AtomicInteger();
    loop.start();
    try {
      loop.execute(() -> { }); // ends the first select
      for (int i = 0; i < PASSES; i++) {
        assertEquals(Boolean.TRUE, loop.turn.poll(10, TimeUnit.SECONDS), "pass " + i);
        loop.execute(ran::incrementAndGet); // wakes the selector while the loop is not in it
        assertTrue(loop.done.offer(true, 10, TimeUnit.SECONDS), "the loop took pass " + i);
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (ran.get() < PASSES && System.nanoTime() - deadline < 0) {
        Thread.onSpinWait();
      }
    } finally {
      loop.shutdown(5_000);
    }
    assertEquals(PASSES, ran.get(), "every command ran");
    assertFalse(loop.spinLogged(), "woken " + PASSES + " times, and taken for a spinning selector");
  }
}
