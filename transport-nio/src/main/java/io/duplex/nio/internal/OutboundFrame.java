package io.duplex.nio.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * One frame waiting for the socket: its bytes (header included), the future its sender holds,
 * and its deadline. Created by a sender thread and handed to the write half's queue; after that,
 * touched only by whichever thread holds the write role (see {@link WriteHalf}).
 */
final class OutboundFrame {
  private static final AtomicIntegerFieldUpdater<OutboundFrame> CLAIM =
      AtomicIntegerFieldUpdater.newUpdater(OutboundFrame.class, "claimed");

  /** The bytes still to write: position advances as the socket takes them. */
  final ByteBuffer bytes;
  /** The whole frame's size, as counted in the pending bytes. */
  final int size;
  /** Completed when the last byte is written; null for control frames nobody waits on. */
  final CompletableFuture<Void> promise;
  /** System.nanoTime() by which the send must be done (the send timeout), or Long.MAX_VALUE. */
  final long deadlineNanos;
  /** System.nanoTime() by which an {@code Encoded} frame must have started, or Long.MAX_VALUE. */
  final long startDeadlineNanos;
  /** The frame after which the write half shuts the socket's output (a graceful close). */
  final boolean last;
  /** An {@code Encoded} (broadcast) frame, which DROP_OLDEST may drop before it starts. */
  final boolean droppable;
  /** The coalesced {@code sendLater} messages this frame carries, or null for a single frame. */
  final Batch batch;
  /** Messages this frame carries: 1, or a batch's count. */
  final int frames;

  OutboundFrame(ByteBuffer bytes, int size, CompletableFuture<Void> promise, long deadlineNanos,
      long startDeadlineNanos, int flags) {
    this.bytes = bytes;
    this.size = size;
    this.promise = promise;
    this.deadlineNanos = deadlineNanos;
    this.startDeadlineNanos = startDeadlineNanos;
    this.last = (flags & WriteHalf.LAST) != 0;
    this.droppable = (flags & WriteHalf.DROPPABLE) != 0;
    this.batch = null;
    this.frames = 1;
  }

  /** A sealed batch of {@code frames} messages, {@code size} bytes in all. */
  OutboundFrame(Batch batch, int size, int frames, long deadlineNanos) {
    this.bytes = batch.bytes;
    this.size = size;
    this.promise = null;
    this.deadlineNanos = deadlineNanos;
    this.startDeadlineNanos = Long.MAX_VALUE;
    this.last = false;
    this.droppable = false;
    this.batch = batch;
    this.frames = frames;
  }

  /**
   * 0 while queued; 1 once a thread has claimed the frame, to write it (the role holder) or to
   * drop it (a deadline or DROP_OLDEST). Claiming is how a frame leaves the queue's logic: a
   * claimed frame still in the queue is skipped. Any thread, by CAS.
   */
  private volatile int claimed;

  /** True for the one thread that claims the frame; false for everyone after it. */
  boolean claim() {
    return CLAIM.compareAndSet(this, 0, 1);
  }

  boolean isClaimed() {
    return claimed != 0;
  }

  /** True if this frame carries a start deadline of its own. */
  boolean hasStartDeadline() {
    return startDeadlineNanos != Long.MAX_VALUE;
  }

  /** True once any byte of the frame has gone to the socket. */
  boolean started() {
    return bytes.remaining() < size;
  }

  /** True if the send timeout passed: a started frame has then broken the stream. */
  boolean expired(long now) {
    return now - deadlineNanos > 0;
  }

  /** True if a frame that has not started must be dropped: either deadline passed. */
  boolean expiredBeforeStart(long now) {
    return now - deadlineNanos > 0 || now - startDeadlineNanos > 0;
  }

  /** True if the start deadline (not the send timeout) is what passed. */
  boolean missedStartDeadline(long now) {
    return now - startDeadlineNanos > 0 && now - deadlineNanos <= 0;
  }

  void succeed() {
    if (promise != null) {
      promise.complete(null);
    }
  }

  void fail(Throwable cause) {
    if (batch != null) {
      batch.fail(cause);
    } else if (promise != null) {
      promise.completeExceptionally(cause);
    }
  }
}
