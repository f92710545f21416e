package io.duplex.nio.internal;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import io.duplex.internal.LaneTable;
import io.duplex.internal.Wire;
import java.util.function.Consumer;
import java.util.concurrent.CompletableFuture;

/**
 * Packs small {@code sendLater} frames into one open {@link Batch} instead of a buffer each. The
 * batch is sealed, and queued as one frame, when it is full, when someone flushes, and before any
 * frame that is not deferred (so every thread's frames keep their order). Written batches come
 * back to be reused, up to a few.
 *
 * <p>Threads: any sender appends, anyone seals, the role holder recycles, the closer closes. The
 * fields are guarded by this object's monitor, held for the copy of one frame or a few field
 * updates: never across I/O and never while a future completes (a batch failed by {@link
 * #close} is failed by the caller, after the lock is let go). {@code hasOpen} mirrors {@code
 * open != null} for a check without the lock.
 *
 * <p>On a lane, the lock also guards the lane's hard limit: the lane's count ({@code
 * out.pending}, an atomic) is raised only under it ({@link #reserve}, and a sealed batch's bytes
 * joining it), and checked under it together with the open batch's bytes, which it does not
 * hold. It is lowered by whoever writes, drops or fails a frame, without the lock.
 */
final class Coalescer {
  /** {@link #appendLane}: the message is in the open batch. */
  static final long APPENDED = -1;
  /** {@link #appendLane}: the coalescer is closed; nothing was appended. */
  static final long CLOSED = -2;

  private final Consumer<OutboundFrame> sink;
  /** The lane whose messages this coalesces, or -1 on a connection without lanes. */
  private final int lane;
  /** That lane's outbound state (its byte count and hard limit), or null without lanes. */
  private final LaneScheduler.Out out;
  private final ConnectionMetrics metrics;
  /**
   * How many written batches to keep: as many as fit in the high-water mark (at least two, at
   * most {@value #MAX_SPARES}), so a burst that fills the queue to that mark reuses its buffers
   * instead of allocating 64 KiB per batch, while a connection keeps no more than its user
   * already allowed it to queue. Beyond two, they go after a quiet period ({@link
   * #trimSpares}).
   */
  private final int maxSpares;
  // Guarded by this.
  private Batch open;
  private final ArrayDeque<Batch> spares = new ArrayDeque<>(2);
  /** When a batch was last recycled. Guarded by this. */
  private long lastRecycleNanos;
  /** The most written batches kept: 4 MiB of them. */
  static final int MAX_SPARES = 64;
  private boolean closed;
  // Written under the lock; read without it, to skip the lock when there is nothing to seal. A
  // stale false only means a frame of another thread, not ordered with the reader's, is not
  // sealed yet.
  private volatile boolean hasOpen;

  Coalescer(OutboundQueue queue, ConnectionMetrics metrics, long highWaterMark) {
    this(queue::offer, null, metrics, highWaterMark);
  }

  /**
   * A coalescer whose sealed batches go to {@code sink}, as frames of lane {@code out} (null:
   * no lanes).
   */
  Coalescer(Consumer<OutboundFrame> sink, LaneScheduler.Out out, ConnectionMetrics metrics,
      long highWaterMark) {
    this.sink = sink;
    this.out = out;
    this.lane = out == null ? -1 : out.id;
    this.metrics = metrics;
    this.maxSpares = (int) Math.max(2, Math.min(MAX_SPARES, highWaterMark / Batch.CAPACITY));
  }

  /** Whether a frame of {@code size} bytes is one to coalesce. */
  static boolean fits(int size) {
    return size <= Batch.MAX_FRAME;
  }

  /**
   * Copies {@code frame} into the open batch (sealing a full one first). Returns false, copying
   * nothing, if the coalescer was closed: the caller fails the send. Any sender.
   */
  boolean append(ByteBuffer frame, CompletableFuture<Void> promise, long timeoutNanos) {
    synchronized (this) {
      if (closed) {
        return false;
      }
      openWithRoom(frame.remaining()).add(frame, promise, timeoutNanos);
      metrics.framesQueued.increment();
      return true;
    }
  }

  /**
   * The open batch if a frame of {@code size} bytes fits it (and its credit), else a new one
   * (a spare, or a fresh one) after sealing the open one. Under this monitor.
   */
  private Batch openWithRoom(int size) {
    Batch b = open;
    if (b != null && b.fits(size) && creditFits(b, size)) {
      return b;
    }
    if (b != null) {
      sealLocked();
    }
    b = spares.poll();
    if (b == null) {
      b = new Batch();
    }
    open = b;
    hasOpen = true;
    return b;
  }

  /**
   * On a lane: packs a MESSAGE frame of {@code body}'s remaining bytes (the payload; the header
   * is written here, {@code body} is not moved) into the open batch, if the lane's bytes, the
   * open batch's included, stay within its hard limit. Returns {@link #APPENDED}; {@link
   * #CLOSED}, appending nothing; or, appending nothing, the lane's byte count found (its
   * slow-peer policy then applies, see {@link #reserve}). The lane's {@code pending} does not
   * count the open batch's bytes: they move into it when the batch is sealed, so a message packed
   * here costs no atomic of its own. Any sender.
   */
  long appendLane(ByteBuffer body, CompletableFuture<Void> promise, long timeoutNanos) {
    int size = Wire.HEADER_SIZE + body.remaining();
    synchronized (this) {
      if (closed) {
        return CLOSED;
      }
      Batch b = open;
      if (out.hardLimit != Long.MAX_VALUE) {
        long found = out.pending.get() + (b == null ? 0 : b.size());
        if (found + size > out.hardLimit) {
          return found;
        }
      }
      openWithRoom(size).add(Wire.messageType(lane), body, promise, timeoutNanos);
      metrics.framesQueued.increment();
      return APPENDED;
    }
  }

  /**
   * On a lane with a hard limit: counts {@code size} bytes into the lane's {@code pending} if
   * they, the open batch's bytes and the count found stay within it; returns {@link
   * PendingBytes#RESERVED}, or the count found (the open batch's bytes included) if not. Under
   * the lock, as {@link #appendLane}'s check is: every increase of a limited lane's count happens
   * under it, so the two never pass the limit together. (Releases, by any thread, only lower
   * it.) Any thread.
   */
  long reserve(int size) {
    synchronized (this) {
      long found = out.pending.get() + (open == null ? 0 : open.size());
      if (found + size > out.hardLimit) {
        return found;
      }
      out.pending.addAndGet(size);
      return PendingBytes.RESERVED;
    }
  }

  /** On a lane: its bytes queued and not written, the open batch's included. Any thread. */
  long lanePending() {
    synchronized (this) {
      return out.pending.get() + (open == null ? 0 : open.size());
    }
  }

  /**
   * On a lane, whether the batch with one more frame of {@code size} bytes still costs at most
   * {@link LaneTable#MAX_CHUNK} of credit (its data, plus {@link Wire#MESSAGE_CREDIT} a message):
   * no more than a chunk, which every peer's window leaves room for. Without lanes, always.
   */
  private boolean creditFits(Batch b, int size) {
    if (lane < 0) {
      return true;
    }
    long cost = (long) b.size() + size
        + (long) (b.count() + 1) * (Wire.MESSAGE_CREDIT - Wire.HEADER_SIZE);
    return cost <= LaneTable.MAX_CHUNK;
  }

  /** Queues the open batch, if any, behind everything queued before. Any thread. */
  void seal() {
    if (hasOpen) {
      synchronized (this) {
        if (open != null) {
          sealLocked();
        }
      }
    }
  }

  private void sealLocked() {
    Batch b = open;
    open = null;
    hasOpen = false;
    metrics.framesQueued.add(-b.count()); // counted again, as one frame of n, by the queue
    if (out != null) {
      // The batch's bytes join the lane's count before anyone can write and release them.
      out.pending.addAndGet(b.size());
    }
    sink.accept(b.seal(lane));
  }

  /** Takes back a batch written to the end, for reuse. Role holder. */
  void recycle(Batch b) {
    b.reset();
    long now = System.nanoTime();
    synchronized (this) {
      lastRecycleNanos = now;
      if (!closed && spares.size() < maxSpares) {
        spares.offer(b);
      }
    }
  }

  /**
   * Lets kept batches beyond two go once none was recycled for {@code quietNanos}: a burst's
   * buffers do not stay pinned on a connection that went quiet. The timer.
   */
  void trimSpares(long now, long quietNanos) {
    synchronized (this) {
      if (spares.size() > 2 && now - lastRecycleNanos > quietNanos) {
        while (spares.size() > 2) {
          spares.poll();
        }
      }
    }
  }

  /** Batches kept for reuse (for tests). */
  synchronized int spareCount() {
    return spares.size();
  }

  /**
   * Refuses every later append and returns the open batch, unsealed, for the caller to fail
   * outside the lock (or null); its bytes are in the connection's pending bytes but, on a lane,
   * not in the lane's. The closer; a batch sealed before this is in the queue.
   */
  Batch close() {
    synchronized (this) {
      closed = true;
      spares.clear();
      Batch b = open;
      open = null;
      hasOpen = false;
      if (b != null) {
        metrics.framesQueued.add(-b.remaining());
      }
      return b;
    }
  }
}
