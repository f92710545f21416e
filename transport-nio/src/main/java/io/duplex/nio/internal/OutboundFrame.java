package io.duplex.nio.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * One frame waiting for the socket: its bytes (header included), the future its sender holds,
 * and its deadline. Created by a sender thread and handed to the write half's queue; after that,
 * touched only by whichever thread holds the write role (see {@link WriteHalf}).
 */
final class OutboundFrame {
  /** The bytes still to write: position advances as the socket takes them. */
  final ByteBuffer bytes;
  /** The whole frame's size, as counted in the pending bytes. */
  final int size;
  /** Completed when the last byte is written; null for control frames nobody waits on. */
  final CompletableFuture<Void> promise;
  /** System.nanoTime() after which an unstarted frame is dropped, or Long.MAX_VALUE. */
  final long deadlineNanos;
  /** The frame after which the write half shuts the socket's output (a graceful close). */
  final boolean last;

  OutboundFrame(
      ByteBuffer bytes, int size, CompletableFuture<Void> promise, long deadlineNanos,
      boolean last) {
    this.bytes = bytes;
    this.size = size;
    this.promise = promise;
    this.deadlineNanos = deadlineNanos;
    this.last = last;
  }

  /** True once any byte of the frame has gone to the socket. */
  boolean started() {
    return bytes.remaining() < size;
  }

  boolean expired(long now) {
    return now - deadlineNanos > 0;
  }

  void succeed() {
    if (promise != null) {
      promise.complete(null);
    }
  }

  void fail(Throwable cause) {
    if (promise != null) {
      promise.completeExceptionally(cause);
    }
  }
}
