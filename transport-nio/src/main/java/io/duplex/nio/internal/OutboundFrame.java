package io.duplex.nio.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * One frame waiting for the socket: its bytes (header included), the future its sender holds,
 * and its deadlines. Made by the thread that queues it, with one of the factories below, which
 * say what kind of frame it is. After that it is touched by whichever thread claims it: the
 * write role holder to write it, or a thread that drops or fails it (see {@link OutboundQueue}).
 */
final class OutboundFrame {
  /** What a frame is: it decides the frame's budget, whether it can be dropped, and its order. */
  enum Kind {
    /** One application message ({@code send}). */
    MESSAGE,
    /**
     * A message encoded once for many peers ({@code send(Encoded)}): shared read-only bytes that
     * {@code DROP_OLDEST} may drop and that may carry a start deadline.
     */
    SHARED,
    /** A run of coalesced {@code sendLater} messages in one buffer ({@link Batch}). */
    BATCH,
    /**
     * A PING: a few bytes that go ahead of queued messages, bounded by count in the {@link
     * ControlQueue} rather than by the hard limit.
     */
    CONTROL,
    /**
     * Handshake bytes: the plaintext HANDSHAKE frame, or the secure handshake's preface and
     * messages. Control frames, ahead of any message.
     */
    HANDSHAKE,
    /** A PONG: a control frame, owed to the peer until it is written. */
    PONG,
    /** The CLOSE frame: after everything else, and followed by the FIN. */
    CLOSE
  }

  private static final AtomicIntegerFieldUpdater<OutboundFrame> CLAIM =
      AtomicIntegerFieldUpdater.newUpdater(OutboundFrame.class, "claimed");

  final Kind kind;
  /** The bytes still to write: position advances as the socket takes them. */
  final ByteBuffer bytes;
  /** The whole frame's size, as counted in the pending bytes. */
  final int size;
  /** Completed when the last byte is written; null where nobody waits on it. */
  final CompletableFuture<Void> promise;
  /** System.nanoTime() by which the send must be done (the send timeout), or Long.MAX_VALUE. */
  final long deadlineNanos;
  /** System.nanoTime() by which a SHARED frame must have started, or Long.MAX_VALUE. */
  final long startDeadlineNanos;
  /** The coalesced messages of a BATCH frame, or null. */
  final Batch batch;
  /** Messages this frame carries: 1, or a batch's count. */
  final int frames;
  /**
   * On the last handshake frame of a secure connection: the sealer everything after this frame
   * goes through, installed by the role holder once the frame is written. Otherwise null.
   */
  final Sealer sealer;
  /**
   * The lane of a message frame when the connection has lanes, or -1. A lane frame's buffer
   * holds its whole wire form: one frame, or every chunk frame of the message back to back.
   */
  final int lane;
  /** Data bytes per chunk in a lane frame's layout; its body size if it is one frame. */
  final int chunk;
  /**
   * A lane frame's message data bytes not yet scheduled (put under the buffer's limit). The
   * role holder's (the scheduler), after the frame is claimed.
   */
  int dataLeft;
  /** Whether a lane frame sits in the writer's staged list. The role holder's. */
  boolean staged;

  /**
   * 0 while queued; 1 once a thread has claimed the frame, to write it (the role holder) or to
   * drop or fail it. Exactly one thread claims a frame. Any thread, by CAS.
   */
  private volatile int claimed;

  private OutboundFrame(Kind kind, ByteBuffer bytes, int size, CompletableFuture<Void> promise,
      long deadlineNanos, long startDeadlineNanos, Batch batch, int frames) {
    this(kind, bytes, size, promise, deadlineNanos, startDeadlineNanos, batch, frames, null);
  }

  private OutboundFrame(Kind kind, ByteBuffer bytes, int size, CompletableFuture<Void> promise,
      long deadlineNanos, long startDeadlineNanos, Batch batch, int frames, Sealer sealer) {
    this(kind, bytes, size, promise, deadlineNanos, startDeadlineNanos, batch, frames, sealer, -1,
        0, 0);
  }

  private OutboundFrame(Kind kind, ByteBuffer bytes, int size, CompletableFuture<Void> promise,
      long deadlineNanos, long startDeadlineNanos, Batch batch, int frames, Sealer sealer,
      int lane, int chunk, int data) {
    this.lane = lane;
    this.chunk = chunk;
    this.dataLeft = data;
    this.kind = kind;
    this.bytes = bytes;
    this.size = size;
    this.promise = promise;
    this.deadlineNanos = deadlineNanos;
    this.startDeadlineNanos = startDeadlineNanos;
    this.batch = batch;
    this.frames = frames;
    this.sealer = sealer;
  }

  /**
   * A MESSAGE or SHARED frame of {@code size} bytes of which {@code rest} are still to write:
   * the remainder of one a sender started to write through.
   */
  static OutboundFrame rest(Kind kind, ByteBuffer rest, int size,
      CompletableFuture<Void> promise, long deadlineNanos, long startDeadlineNanos) {
    return new OutboundFrame(kind, rest, size, promise, deadlineNanos, startDeadlineNanos, null,
        1);
  }

  /** A message frame whose buffer is the frame's own ({@code bytes}' remaining bytes). */
  static OutboundFrame message(ByteBuffer bytes, CompletableFuture<Void> promise,
      long deadlineNanos) {
    return new OutboundFrame(Kind.MESSAGE, bytes, bytes.remaining(), promise, deadlineNanos,
        Long.MAX_VALUE, null, 1);
  }

  /**
   * A message on {@code lane}: {@code bytes} is its whole wire form (see {@link LaneLayout}),
   * {@code data} its body size, {@code chunk} the data bytes per chunk. {@code kind} is MESSAGE
   * (the buffer is the frame's own) or SHARED (shared read-only bytes, droppable).
   */
  static OutboundFrame lane(Kind kind, int lane, ByteBuffer bytes, int data, int chunk,
      CompletableFuture<Void> promise, long deadlineNanos, long startDeadlineNanos) {
    bytes.limit(bytes.position()); // nothing scheduled yet: the scheduler moves the limit
    return new OutboundFrame(kind, bytes, bytes.capacity() - bytes.position(), promise,
        deadlineNanos, startDeadlineNanos, null, 1, null, lane, chunk, data);
  }

  /** A shared (broadcast) frame: droppable, with a start deadline or Long.MAX_VALUE. */
  static OutboundFrame shared(ByteBuffer bytes, CompletableFuture<Void> promise,
      long deadlineNanos, long startDeadlineNanos) {
    return new OutboundFrame(Kind.SHARED, bytes, bytes.remaining(), promise, deadlineNanos,
        startDeadlineNanos, null, 1);
  }

  /** A sealed batch of {@code frames} messages; its deadline is the earliest of theirs. */
  static OutboundFrame batch(Batch batch, int size, int frames, long deadlineNanos) {
    return new OutboundFrame(Kind.BATCH, batch.bytes, size, null, deadlineNanos, Long.MAX_VALUE,
        batch, frames);
  }

  /**
   * A sealed batch of {@code frames} whole messages of {@code lane}: scheduled as one step, whose
   * credit is every message's (its data plus {@link io.duplex.internal.Wire#MESSAGE_CREDIT}
   * each; {@code dataLeft} holds that less one message's extra, which the first step adds).
   */
  static OutboundFrame laneBatch(Batch batch, int lane, int size, int frames,
      long deadlineNanos) {
    ByteBuffer bytes = batch.bytes;
    bytes.limit(0); // nothing scheduled yet
    int data = size - frames * io.duplex.internal.Wire.HEADER_SIZE;
    return new OutboundFrame(Kind.BATCH, bytes, size, null, deadlineNanos, Long.MAX_VALUE, batch,
        frames, null, lane, Integer.MAX_VALUE,
        data + (frames - 1) * io.duplex.internal.Wire.MESSAGE_CREDIT);
  }

  /** A PING nobody waits on; it never times out. */
  static OutboundFrame control(ByteBuffer bytes) {
    return new OutboundFrame(Kind.CONTROL, bytes, bytes.remaining(), null, Long.MAX_VALUE,
        Long.MAX_VALUE, null, 1);
  }

  /**
   * Secure handshake bytes (maybe none); if {@code sealer} is not null, every byte after them is
   * sealed with it.
   */
  static OutboundFrame handshake(ByteBuffer bytes, Sealer sealer) {
    return new OutboundFrame(Kind.HANDSHAKE, bytes, bytes.remaining(), null, Long.MAX_VALUE,
        Long.MAX_VALUE, null, 1, sealer);
  }

  /** A PONG; it never times out. */
  static OutboundFrame pong(ByteBuffer bytes) {
    return new OutboundFrame(Kind.PONG, bytes, bytes.remaining(), null, Long.MAX_VALUE,
        Long.MAX_VALUE, null, 1);
  }

  /** The CLOSE frame; it never times out (the close deadline bounds it). */
  static OutboundFrame close(ByteBuffer bytes) {
    return new OutboundFrame(Kind.CLOSE, bytes, bytes.remaining(), null, Long.MAX_VALUE,
        Long.MAX_VALUE, null, 1);
  }

  /** True for the one thread that claims the frame; false for everyone after it. */
  boolean claim() {
    return CLAIM.compareAndSet(this, 0, 1);
  }

  boolean isClaimed() {
    return claimed != 0;
  }

  /** Counted against the hard limit (messages), or only beside it (control frames, CLOSE). */
  boolean budgeted() {
    return kind == Kind.MESSAGE || kind == Kind.SHARED || kind == Kind.BATCH;
  }

  /**
   * A frame {@code DROP_OLDEST} may drop (before it starts): a shared frame; on a lane other
   * than the default one, any message.
   */
  boolean droppable() {
    return kind == Kind.SHARED || lane > 0;
  }

  /** True for a lane frame whose last chunk has not been scheduled yet. */
  boolean moreChunks() {
    return dataLeft > 0;
  }

  /** True if this frame carries a start deadline of its own. */
  boolean hasStartDeadline() {
    return startDeadlineNanos != Long.MAX_VALUE;
  }

  /** True once any byte of the frame has gone to the socket (or, on a lane, been scheduled). */
  boolean started() {
    return lane >= 0 ? bytes.limit() > 0 : bytes.remaining() < size;
  }

  /** True if the send timeout passed: a started frame has then broken the stream. */
  boolean expired(long now) {
    return passed(now, deadlineNanos);
  }

  /** True if a frame that has not started must be dropped: either deadline passed. */
  boolean expiredBeforeStart(long now) {
    return passed(now, deadlineNanos) || passed(now, startDeadlineNanos);
  }

  /** True if the start deadline (not the send timeout) is what passed. */
  boolean missedStartDeadline(long now) {
    return passed(now, startDeadlineNanos) && !passed(now, deadlineNanos);
  }

  /**
   * Whether {@code deadline} (a {@code System.nanoTime()} value, or Long.MAX_VALUE for none) has
   * passed at {@code now}. None never passes, whatever {@code now} is: nanoTime may be negative.
   */
  static boolean passed(long now, long deadline) {
    return deadline != Long.MAX_VALUE && now - deadline > 0;
  }

  /** Counted in the pending bytes: every frame but the CLOSE, which is sent once, at the end. */
  boolean counted() {
    return kind != Kind.CLOSE;
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
