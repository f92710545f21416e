package io.duplex.nio.internal;

import io.duplex.TransportConfig;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The outbound bytes one connection has queued and not yet written, against its water marks and
 * hard limit. Any thread reserves and releases, lock-free: a reservation is a compare-and-set that
 * never takes the count past the hard limit, so a peer that stops reading cannot grow the heap
 * beyond it.
 */
final class PendingBytes {
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
   * Counts {@code size} more bytes if that stays within the hard limit. Returns -1 if it did, or
   * the count it found if the bytes would not fit (nothing is counted then).
   */
  long tryReserve(int size) {
    for (; ; ) {
      long p = pending.get();
      long next = p + size;
      if (next > hardLimit) {
        return p;
      }
      if (pending.compareAndSet(p, next)) {
        added(next);
        return -1;
      }
    }
  }

  /** Counts {@code size} more bytes whatever the limit: for control frames of a few bytes. */
  void add(int size) {
    added(pending.addAndGet(size));
  }

  /** Counts {@code size} bytes fewer: they were written, dropped or failed. */
  void release(int size) {
    long p = pending.addAndGet(-size);
    if (p <= lowWaterMark && !writable.get()) {
      updateWritability();
    }
  }

  private void added(long now) {
    metrics.pending(now);
    if (now > highWaterMark && writable.get()) {
      updateWritability();
    }
  }

  /** Moves {@link #writable} to match the count; re-checks so no change is missed. */
  private void updateWritability() {
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
