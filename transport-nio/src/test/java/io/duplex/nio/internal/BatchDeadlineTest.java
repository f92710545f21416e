package io.duplex.nio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A batch reads the clock once, for its first message: its send deadline is that message's, and
 * messages appended later (with the connection's one timeout) do not move it. A reused batch
 * starts a new deadline with its next first message.
 */
class BatchDeadlineTest {
  private static final long TIMEOUT = TimeUnit.SECONDS.toNanos(30);

  private static ByteBuffer frame() {
    return ByteBuffer.allocate(16);
  }

  @Test
  void shouldTakeTheFirstMessagesDeadlineAndStartAnewWhenReused() {
    Batch b = new Batch();
    long before = System.nanoTime();
    b.add(frame(), null, TIMEOUT);
    long after = System.nanoTime();
    // Later messages read the clock (if they did) after `after`: their deadlines are later.
    b.add(frame(), null, TIMEOUT);
    b.add((byte) 1, frame(), null, TIMEOUT);
    long deadline = b.seal().deadlineNanos;
    assertTrue(deadline - (before + TIMEOUT) >= 0 && (after + TIMEOUT) - deadline >= 0,
        "the batch's deadline is its first message's: read between " + before + " and " + after
        + ", plus the timeout; it was " + (deadline - before - TIMEOUT) + " ns past the start");

    b.reset();
    long reused = System.nanoTime();
    b.add(frame(), null, 0);
    long fresh = b.seal().deadlineNanos;
    assertTrue(fresh - reused >= 0 && fresh - deadline < 0, "a reused batch's deadline is its"
        + " new first message's (timeout 0: " + (fresh - reused) + " ns after the reuse)");
    assertEquals(1, b.count());
  }
}
