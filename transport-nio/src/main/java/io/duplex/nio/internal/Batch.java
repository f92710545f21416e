package io.duplex.nio.internal;

import io.duplex.internal.Wire;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * A run of {@code sendLater} frames packed back to back into one reusable buffer, written as one
 * outbound frame: no copy, queue node or {@link OutboundFrame} per message. Each message keeps
 * its own future, completed as soon as the socket has taken the message's last byte.
 *
 * <p>Threads: while open, a batch is touched only under its {@link Coalescer}'s lock (any
 * sender, {@code flush}); the closer takes an open batch out under that lock and fails it after.
 * Once sealed it is reached only through its {@link OutboundFrame}, so by the thread that claimed
 * that frame (the role holder, or whoever fails or times it out). A batch written to the end goes
 * back to the coalescer's spares, under its lock, to be reused.
 */
final class Batch {
  /** Bytes per batch; frames up to a quarter of this are coalesced, bigger ones queued alone. */
  static final int CAPACITY = 64 * 1024;
  /** The largest frame a batch takes. */
  static final int MAX_FRAME = CAPACITY / 4;

  final ByteBuffer bytes = ByteBuffer.allocate(CAPACITY);
  private CompletableFuture<?>[] promises = new CompletableFuture<?>[64];
  /** ends[i]: the offset in {@link #bytes} just past message i. */
  private int[] ends = new int[64];
  private int count;
  /** Messages whose future completed (a prefix). */
  private int completed;
  private long deadlineNanos = Long.MAX_VALUE;

  boolean fits(int size) {
    return bytes.remaining() >= size;
  }

  boolean isEmpty() {
    return count == 0;
  }

  /**
   * Appends one whole frame (header included) and the future of its message, to be sent within
   * {@code timeoutNanos}.
   */
  void add(ByteBuffer frame, CompletableFuture<Void> promise, long timeoutNanos) {
    if (count == ends.length) {
      ends = Arrays.copyOf(ends, count * 2);
      promises = Arrays.copyOf(promises, count * 2);
    }
    bytes.put(frame);
    ends[count] = bytes.position();
    promises[count] = promise;
    startDeadline(timeoutNanos);
    count++;
  }

  /**
   * The batch's send deadline is its first message's: the clock is read once per batch, not per
   * message. Every later message was appended after it, with the same timeout (one connection's,
   * or one lane's coalescer), so its own deadline is no earlier.
   */
  private void startDeadline(long timeoutNanos) {
    if (count == 0) {
      deadlineNanos = System.nanoTime() + timeoutNanos;
    }
  }

  /**
   * Appends one whole MESSAGE-shaped frame of type {@code type} whose payload is {@code body}'s
   * remaining bytes: the header is written here, the payload copied after it; {@code body} is
   * not moved. So a lane message needs no frame view of the sender's buffer.
   */
  void add(byte type, ByteBuffer body, CompletableFuture<Void> promise, long timeoutNanos) {
    if (count == ends.length) {
      ends = Arrays.copyOf(ends, count * 2);
      promises = Arrays.copyOf(promises, count * 2);
    }
    int n = body.remaining();
    int at = bytes.position();
    bytes.putInt(at, Wire.TYPE_SIZE + n);
    bytes.put(at + Wire.LENGTH_SIZE, type);
    bytes.put(at + Wire.HEADER_SIZE, body, body.position(), n);
    bytes.position(at + Wire.HEADER_SIZE + n);
    ends[count] = bytes.position();
    promises[count] = promise;
    startDeadline(timeoutNanos);
    count++;
  }

  /** Bytes appended, all counted in the pending bytes. */
  int size() {
    return count == 0 ? 0 : ends[count - 1];
  }

  /** Messages appended. */
  int count() {
    return count;
  }

  /**
   * Closes the batch for appending and wraps it as one outbound frame. Its deadline is its first
   * message's, the earliest of its messages' send deadlines.
   */
  OutboundFrame seal() {
    bytes.flip();
    return OutboundFrame.batch(this, size(), count, deadlineNanos);
  }

  /** As {@link #seal()}, for lane {@code lane}: its frames are whole messages of the lane. */
  OutboundFrame seal(int lane) {
    if (lane < 0) {
      return seal();
    }
    bytes.flip();
    return OutboundFrame.laneBatch(this, lane, size(), count, deadlineNanos);
  }

  /**
   * Completes, in order, the futures of the messages whose last byte lies before {@code
   * position}, counting each as written.
   */
  void completeUpTo(int position, ConnectionMetrics metrics) {
    while (completed < count && ends[completed] <= position) {
      int start = completed == 0 ? 0 : ends[completed - 1];
      metrics.frameWritten(ends[completed] - start); // before completing: a waiter sees it
      CompletableFuture<?> p = promises[completed];
      promises[completed] = null;
      completed++;
      if (p != null) {
        p.complete(null);
      }
    }
  }

  /** Messages not completed yet. */
  int remaining() {
    return count - completed;
  }

  /** Fails the futures of the messages not completed yet. */
  void fail(Throwable cause) {
    while (completed < count) {
      CompletableFuture<?> p = promises[completed];
      promises[completed] = null;
      completed++;
      if (p != null) {
        p.completeExceptionally(cause);
      }
    }
  }

  /** Empties a batch that was written to the end, for reuse. */
  void reset() {
    bytes.clear();
    Arrays.fill(promises, 0, count, null);
    count = 0;
    completed = 0;
    deadlineNanos = Long.MAX_VALUE;
  }
}
