package io.duplex.nio.internal;

import io.duplex.TransportConfig;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The outbound bytes one connection has queued and not yet written, against its water marks and
 * hard limit. Any thread reserves and releases, lock-free: a reservation is a compare-and-set that
 * never takes the count past the hard limit, so a peer that stops reading cannot grow the heap
 * beyond it. (Control frames are counted beside it: they have their own bound by count.)
 *
 * <p>Counting never tells anyone anything: a count that crosses a water mark leaves {@link
 * #writable} stale until someone calls {@link #updateWritability}, which tells the listener. A
 * sender does that only once its own frame is consumed (written or copied), since the listener
 * may run user code on its thread, and user code that sends would encode into the same
 * thread-local buffer as the frame not yet consumed.
 */
final class PendingBytes {
  /** What {@link #tryReserve} returns when the bytes were counted. */
  static final long RESERVED = -1;

  private final long highWaterMark;
  private final long lowWaterMark;
  private final long hardLimit;
  private final ConnectionMetrics metrics;
  private final Runnable writabilityChanged;
  private final AtomicLong pending = new AtomicLong();
  private final AtomicBoolean writable = new AtomicBoolean(true);

  PendingBytes(TransportConfig config, ConnectionMetrics metrics, Runnable writabilityChanged) {
    this.highWaterMark = config.highWaterMark();
    this.lowWaterMark = config.lowWaterMark();
    this.hardLimit = config.outboundHardLimit();
    this.metrics = metrics;
    this.writabilityChanged = writabilityChanged;
  }

  long get() {
    return pending.get();
  }

  boolean isWritable() {
    return writable.get();
  }

  long hardLimit() {
    return hardLimit;
  }

  /**
   * Counts {@code size} more bytes if that stays within the hard limit. Returns {@link
   * #RESERVED} if it did, or the count it found if the bytes would not fit (nothing is counted).
   */
  long tryReserve(int size) {
    for (; ; ) {
      long p = pending.get();
      long next = p + size;
      if (next > hardLimit) {
        return p;
      }
      if (pending.compareAndSet(p, next)) {
        metrics.pending(next);
        return RESERVED;
      }
    }
  }

  /** Counts {@code size} more bytes whatever the limit: control frames, bounded by count. */
  void add(int size) {
    metrics.pending(pending.addAndGet(size));
  }

  /** Counts {@code size} bytes fewer: they were written, dropped or failed. */
  void release(int size) {
    pending.addAndGet(-size);
  }

  /** Whether {@link #writable} lags the count: a water mark was crossed. Cheap; any thread. */
  boolean writabilityStale() {
    long p = pending.get();
    return writable.get() ? p > highWaterMark : p <= lowWaterMark;
  }

  /**
   * Moves {@link #writable} to match the count and tells the listener of each change; checks
   * again so that no change is missed. Any thread, holding no lock and no unconsumed frame.
   */
  void updateWritability() {
    for (; ; ) {
      long p = pending.get();
      if (p > highWaterMark && writable.compareAndSet(true, false)) {
        writabilityChanged.run();
      } else if (p <= lowWaterMark && writable.compareAndSet(false, true)) {
        writabilityChanged.run();
      } else {
        return;
      }
    }
  }
}
