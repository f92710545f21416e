package io.duplex.nio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Buffers kept for reuse on the send side go after a quiet period: written batches beyond two,
 * and a lane's spare array, so a burst does not leave them pinned on a quiet connection.
 */
class ReuseBuffersTest {
  private static final long QUIET = TimeUnit.SECONDS.toNanos(10);

  @Test
  void shouldKeepWrittenBatchesForABurstAndLetAllButTwoGoWhenQuiet() {
    Coalescer c = new Coalescer(f -> { }, null, new ConnectionMetrics(), 64L << 20);
    for (int i = 0; i < 40; i++) {
      c.recycle(new Batch());
    }
    assertEquals(40, c.spareCount(), "a burst's batches are kept (up to the high water mark)");
    long now = System.nanoTime();
    c.trimSpares(now, QUIET);
    assertEquals(40, c.spareCount(), "not quiet yet");
    c.trimSpares(now + QUIET + 1, QUIET);
    assertEquals(2, c.spareCount());
  }

  @Test
  void shouldKeepNoMoreBatchesThanTheCap() {
    Coalescer c = new Coalescer(f -> { }, null, new ConnectionMetrics(), 1L << 30);
    for (int i = 0; i < Coalescer.MAX_SPARES + 10; i++) {
      c.recycle(new Batch());
    }
    assertEquals(Coalescer.MAX_SPARES, c.spareCount());
  }

  @Test
  void shouldLetALanesSpareArrayGoWhenQuiet() {
    LaneScheduler.Out o = new LaneScheduler(io.duplex.TransportConfig.builder()
        .insecurePlaintext().lanes(io.duplex.Lane.builder("blocks").maxMessageSize(4 << 20)
            .build()).build(), new ConnectionMetrics()).lane(1);
    byte[] array = new byte[1 << 20];
    o.spareSince = System.nanoTime();
    o.spare.set(array);
    LaneLayout.trimSpare(o, o.spareSince + 1, QUIET);
    assertNotNull(o.spare.get(), "not quiet yet");
    LaneLayout.trimSpare(o, o.spareSince + QUIET + 1, QUIET);
    assertNull(o.spare.get());
  }
}
