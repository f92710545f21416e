package io.duplex.nio.internal;

import io.duplex.BackpressureException;
import io.duplex.ConnectionClosedException;
import io.duplex.FrameDroppedException;
import io.duplex.SendTimeoutException;
import io.duplex.SlowPeerPolicy;
import io.duplex.TransportConfig;
import io.duplex.nio.internal.OutboundFrame.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The write side of one connection: the write role, and the flush that whoever holds it runs.
 * Its parts: the {@link OutboundQueue} of message frames, the {@link ControlQueue} that goes
 * ahead of it, the {@link Coalescer} of {@code sendLater} frames, and the {@link PendingBytes}
 * with their water marks and hard limit.
 *
 * <h2>The write role</h2>
 * Exactly one thread at a time writes to the socket: whoever moved {@link #state} to WRITING by
 * compare-and-set. Nobody waits for the role: a thread that does not get it queues its frame and
 * returns, and the holder writes it.
 *
 * <pre>
 *   IDLE ──CAS by any writer──▶ WRITING ──everything written──▶ IDLE (then re-check the queues)
 *                                 │   ▲
 *                   socket full,  │   │ CAS by the write loop only
 *                   or a loop's   ▼   │ (OP_WRITE ready, or its deadline tick)
 *                   turn is up   PENDING
 *   IDLE / PENDING ──close──▶ CLOSED   (WRITING: the holder sees the close when it lets go)
 * </pre>
 *
 * A sender (and the write loop) writes until everything is written or the socket is full. A read
 * loop or the timer, which take the role for a PONG, a PING or a CLOSE, write at most one
 * gathered buffer ({@link #DIRECT_BUFFER_SIZE}) and hand the rest to the write loop, so another
 * sender's backlog never stalls the loop serving every other connection.
 *
 * <h2>No user code before the frame is consumed</h2>
 * A sender's frame is borrowed: its bytes are in the sender's thread-local encode buffer until
 * the frame is written or copied, and user code that sends on the same thread would encode into
 * that buffer. So nothing that can run user code happens in between: frames dropped to make room
 * ({@code DROP_OLDEST}) go to {@link #dropped}, a water mark crossed leaves the writability stale,
 * and {@link #afterConsumed()} fails the one and tells the other once the frame is consumed. No
 * lock is held when a future completes.
 *
 * <h2>Order on the wire</h2>
 * The frame being written, then waiting control frames, then messages in queue order; at the end
 * of the output ({@link #endOutput}), the CLOSE frame, if any, then the FIN. A FIN is a state,
 * not a budgeted frame: nothing can refuse it.
 *
 * <h2>Fields and their threads</h2>
 * {@code state}: atomic, see above. {@code staged}, {@code batch}, {@code batchStart}, {@code
 * ending}, {@code outputShut}: the role holder only; the CAS on {@code state} hands them over with
 * a happens-before edge. {@code dropped}: a concurrent queue (senders offer, anyone polls).
 * {@code closeFrame}, {@code endRequested}: written once by the thread that ends the output
 * (before it flushes), read by holders. {@code closedCause}: written by {@code close} and by the
 * holder that shut the output, read by every writer. The parts guard themselves.
 */
final class WriteHalf {
  static final int IDLE = 0;
  static final int WRITING = 1;
  static final int PENDING = 2;
  static final int CLOSED = 3;

  /** Bytes copied into the direct buffer per write system call, at most. */
  static final int DIRECT_BUFFER_SIZE = 256 * 1024;
  /** Gathered buffers a read loop or the timer writes per turn before handing off. */
  static final int LOOP_GATHERS = 1;
  private static final int ALL = Integer.MAX_VALUE;

  private static final ThreadLocal<ByteBuffer> DIRECT =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(DIRECT_BUFFER_SIZE));

  /** {@link #drain} results. */
  private static final int DONE = 0;
  private static final int FULL = 1;
  private static final int TURN_UP = 2;

  private final NioConnection<?> connection;
  private final SocketChannel channel;
  private final SlowPeerPolicy policy;
  private final ConnectionMetrics metrics;
  private final AtomicInteger state = new AtomicInteger(IDLE);
  private final PendingBytes budget;
  private final OutboundQueue queue;
  private final ControlQueue control;
  private final Coalescer coalescer;
  /** Frames {@code DROP_OLDEST} took out while a sender reserved; failed after it consumed. */
  private final ConcurrentLinkedQueue<OutboundFrame> dropped = new ConcurrentLinkedQueue<>();
  private final Runnable pongsDrained;
  private final Consumer<OutboundFrame> timeOutNow = f -> timeOut(f, System.nanoTime());

  private volatile OutboundFrame closeFrame;
  private volatile boolean endRequested;
  private volatile Throwable closedCause;

  // The role holder's.
  private final ArrayDeque<OutboundFrame> staged = new ArrayDeque<>();
  private OutboundFrame[] batch = new OutboundFrame[64];
  private int[] batchStart = new int[64];
  private boolean ending;
  private boolean outputShut;

  WriteHalf(NioConnection<?> connection, SocketChannel channel, TransportConfig config) {
    this.connection = connection;
    this.channel = channel;
    this.policy = config.slowPeerPolicy();
    this.metrics = connection.metrics();
    this.budget = new PendingBytes(config, metrics, connection::onWritabilityChanged);
    this.queue = new OutboundQueue(metrics);
    this.control = new ControlQueue(metrics, budget);
    this.coalescer = new Coalescer(queue, metrics, config.highWaterMark());
    this.pongsDrained = connection::onPongsDrained;
  }

  long pendingBytes() {
    return budget.get();
  }

  boolean isWritable() {
    return budget.isWritable();
  }

  int state() {
    return state.get();
  }

  // ---- messages ----------------------------------------------------------------------------

  /**
   * Writes or queues one message frame (its remaining bytes), borrowed from the caller's
   * thread-local encode buffer: written through or copied before this returns. Any thread.
   */
  void send(ByteBuffer frame, CompletableFuture<Void> promise, long deadlineNanos) {
    write(frame, Kind.MESSAGE, promise, deadlineNanos, Long.MAX_VALUE);
  }

  /** Writes or queues a frame shared with other connections (an {@code Encoded}). Any thread. */
  void sendShared(ByteBuffer frame, CompletableFuture<Void> promise, long deadlineNanos,
      long startDeadlineNanos) {
    write(frame, Kind.SHARED, promise, deadlineNanos, startDeadlineNanos);
  }

  /**
   * Queues a borrowed message frame without writing it: it goes out with the next flush or the
   * next frame that is not deferred. Small frames are copied into the open batch. Any thread.
   */
  void sendLater(ByteBuffer frame, CompletableFuture<Void> promise, long deadlineNanos) {
    int size = frame.remaining();
    if (!admit(size, promise)) {
      afterConsumed();
      return;
    }
    if (Coalescer.fits(size)) {
      if (!coalescer.append(frame, promise, deadlineNanos)) {
        budget.release(size);
        fail(promise, closedException(closedCause));
      }
    } else {
      coalescer.seal();
      queue.offer(OutboundFrame.message(copy(frame), promise, deadlineNanos));
      if (state.get() == CLOSED) {
        failQueue();
      }
    }
    afterConsumed();
  }

  private void write(ByteBuffer frame, Kind kind, CompletableFuture<Void> promise,
      long deadlineNanos, long startDeadlineNanos) {
    if (!admit(frame.remaining(), promise)) {
      afterConsumed();
      return;
    }
    coalescer.seal(); // the deferred frames before this one go first
    if (queue.isEmpty() && control.isEmpty() && state.compareAndSet(IDLE, WRITING)) {
      if (staged.isEmpty() && queue.isEmpty() && control.isEmpty() && !endRequested) {
        writeThrough(frame, kind, promise, deadlineNanos, startDeadlineNanos);
      } else {
        queue.offer(own(frame, kind, promise, deadlineNanos, startDeadlineNanos));
      }
      afterConsumed();
      flushAsHolder(gathers());
      return;
    }
    queue.offer(own(frame, kind, promise, deadlineNanos, startDeadlineNanos));
    afterConsumed();
    flushIfIdle();
  }

  /** The frame as a queued one: a message is copied out of the borrowed buffer. */
  private static OutboundFrame own(ByteBuffer frame, Kind kind, CompletableFuture<Void> promise,
      long deadlineNanos, long startDeadlineNanos) {
    return kind == Kind.MESSAGE
        ? OutboundFrame.message(copy(frame), promise, deadlineNanos)
        : OutboundFrame.shared(frame, promise, deadlineNanos, startDeadlineNanos);
  }

  /**
   * Counts a frame of {@code size} bytes in, or applies the slow-peer policy and says no (the
   * promise failed). Runs no user code: frames dropped to make room wait in {@link #dropped}.
   */
  private boolean admit(int size, CompletableFuture<Void> promise) {
    Throwable closed = closedCause;
    if (closed != null) {
      fail(promise, closedException(closed));
      return false;
    }
    for (; ; ) {
      long found = budget.tryReserve(size);
      if (found == PendingBytes.RESERVED) {
        return true;
      }
      long hardLimit = budget.hardLimit();
      if (policy == SlowPeerPolicy.DROP_OLDEST) {
        List<OutboundFrame> taken = queue.dropOldest(found + size - hardLimit, null);
        if (taken != null) {
          for (OutboundFrame f : taken) {
            budget.release(f.size);
            dropped.offer(f);
          }
          continue;
        }
      }
      BackpressureException refused = new BackpressureException(found, size, hardLimit);
      metrics.sendRefused();
      Jfr.sendRefused(connection, policy, found, size);
      fail(promise, policy == SlowPeerPolicy.DISCONNECT ? connection.closeWith(refused) : refused);
      return false;
    }
  }

  /**
   * The caller's frame is consumed (written, copied or refused): now fail what DROP_OLDEST took
   * out and tell the listener of a crossed water mark. Both may run user code on this thread.
   */
  private void afterConsumed() {
    if (!dropped.isEmpty()) {
      failDropped();
    }
    if (budget.writabilityStale()) {
      budget.updateWritability();
    }
  }

  private void failDropped() {
    OutboundFrame f;
    while ((f = dropped.poll()) != null) {
      metrics.framesDropped.increment();
      Jfr.frameDropped(connection, f.size, "SLOW_PEER");
      f.fail(new FrameDroppedException(FrameDroppedException.Reason.SLOW_PEER, "frame dropped"
          + " to make room for newer ones: the peer is over its outbound hard limit "
          + budget.hardLimit() + " (policy DROP_OLDEST); the connection stays open"));
    }
  }

  // ---- control frames and the end of the output --------------------------------------------

  /** Queues our handshake, the first frame, and writes it. Read loop. */
  void handshake(ByteBuffer frame) {
    control.offerHandshake(frame);
    flush(LOOP_GATHERS);
  }

  /**
   * Queues a PONG; it is written by {@link #flushControl()} after the read, or by the holder.
   * Returns true if the PONGs waiting reached their bound: stop reading the peer. Read loop.
   */
  boolean pong(long id) {
    return control.offerPong(id);
  }

  /** Whether fewer PONGs wait than their bound (reading may resume). Any thread. */
  boolean pongsBelowLimit() {
    return control.pongsBelowLimit();
  }

  /** Queues a PING and writes it; false if too many PINGs wait already. Any thread. */
  boolean ping(long id) {
    if (closedCause != null || !control.offerPing(id)) {
      return false;
    }
    flush(gathers());
    return true;
  }

  /** Writes waiting control frames (PONGs after a read). Read loop. */
  void flushControl() {
    if (!control.isEmpty() && state.compareAndSet(IDLE, WRITING)) {
      flushAsHolder(LOOP_GATHERS);
    }
  }

  /**
   * Ends the output once everything queued is written: the CLOSE frame (if {@code closeFrame}
   * is not null), then the FIN. Called once, by the thread that closed the output; sends after
   * it are refused by the connection, and one that raced it is written before the CLOSE or
   * failed after the FIN.
   */
  void endOutput(ByteBuffer closeFrameBytes) {
    coalescer.seal();
    if (closeFrameBytes != null) {
      OutboundFrame f = OutboundFrame.close(closeFrameBytes);
      budget.add(f.size);
      closeFrame = f;
    }
    endRequested = true;
    flush(gathers());
  }

  /**
   * Fails every message not started yet, so that a CLOSE goes out after the frame in progress.
   * For an error close. Any thread.
   */
  void dropQueued(Throwable cause) {
    ConnectionClosedException closed = closedException(cause);
    Batch open = coalescer.close();
    if (open != null) {
      budget.release(open.size());
      open.fail(closed);
    }
    queue.clear(f -> {
      budget.release(f.size);
      f.fail(closed);
    });
  }

  // ---- flushing ----------------------------------------------------------------------------

  /** Writes what {@code sendLater} queued, unless someone is writing already. Any thread. */
  void flush() {
    coalescer.seal();
    flush(gathers());
  }

  private void flush(int gathers) {
    if (hasWork() && state.compareAndSet(IDLE, WRITING)) {
      flushAsHolder(gathers);
    }
  }

  private void flushIfIdle() {
    int s = state.get();
    if (s == IDLE) {
      if (state.compareAndSet(IDLE, WRITING)) {
        flushAsHolder(gathers());
      }
    } else if (s == CLOSED) {
      failQueue(); // the close failed the queue before this frame was in it
    }
  }

  private boolean hasWork() {
    return !queue.isEmpty() || !control.isEmpty() || endRequested;
  }

  /** How much the calling thread writes per turn: a loop of the transport, one buffer. */
  private int gathers() {
    return connection.onTransportThread() ? LOOP_GATHERS : ALL;
  }

  /** Called by the write loop when the socket is writable again. */
  void onWritable() {
    if (state.compareAndSet(PENDING, WRITING)) {
      flushAsHolder(ALL);
    }
  }

  /**
   * Writes what is staged and queued, up to {@code gathers} buffers; parks with the write loop if
   * the socket fills or the turn is up. The role is let go on every path, an Error included.
   */
  private void flushAsHolder(int gathers) {
    for (; ; ) {
      int result;
      try {
        result = drain(gathers);
      } catch (Throwable t) { // an I/O error, or an Error such as no direct memory left
        closeQuietly(t);
        result = DONE;
      }
      if (result != DONE) {
        handOff();
        return;
      }
      if (!letGo(IDLE) || !hasWork() || !state.compareAndSet(IDLE, WRITING)) {
        return;
      }
      if (gathers != ALL) {
        handOff(); // more came meanwhile: the write loop writes it, not this loop
        return;
      }
    }
  }

  private void handOff() {
    if (letGo(PENDING)) {
      connection.writeLoop().requestWrite(connection);
    }
  }

  /**
   * Gives up the role, moving WRITING to {@code next}; if the half was closed meanwhile, moves
   * it to CLOSED instead and fails what is left. Returns false in that case.
   */
  private boolean letGo(int next) {
    state.set(next);
    Throwable closed = closedCause;
    if (closed != null && state.compareAndSet(next, CLOSED)) {
      failAll(closedException(closed));
      return false;
    }
    return closed == null;
  }

  // ---- role holder only --------------------------------------------------------------------

  private void writeThrough(ByteBuffer frame, Kind kind, CompletableFuture<Void> promise,
      long deadlineNanos, long startDeadlineNanos) {
    int size = frame.remaining();
    try {
      writeDirect(frame);
    } catch (Throwable t) { // an I/O error, or an Error such as no direct memory left
      budget.release(size);
      fail(promise, closeQuietly(t));
      return;
    }
    if (!frame.hasRemaining()) {
      budget.release(size);
      metrics.writeThrough(size); // before completing: a waiter sees the count
      if (promise != null) {
        promise.complete(null);
      }
    } else {
      staged.addFirst(OutboundFrame.rest(kind, kind == Kind.MESSAGE ? copy(frame) : frame, size,
          promise, deadlineNanos, startDeadlineNanos));
    }
  }

  /** Copies {@code src} through the thread's direct buffer to the socket until done or full. */
  private void writeDirect(ByteBuffer src) throws IOException {
    ByteBuffer out = DIRECT.get();
    while (src.hasRemaining()) {
      out.clear();
      int start = src.position();
      int take = copySome(src, out);
      out.flip();
      int written = channel.write(out);
      src.position(start + written);
      if (written < take) {
        return;
      }
    }
  }

  /** Writes until nothing is left (DONE), the socket is full, or {@code gathers} ran out. */
  private int drain(int gathers) throws IOException {
    ByteBuffer out = DIRECT.get();
    for (int g = 0; ; g++) {
      if (outputShut) {
        return DONE;
      }
      if (g == gathers) {
        return staged.isEmpty() && !hasWork() ? DONE : TURN_UP;
      }
      out.clear();
      int n = fill(out);
      if (n == 0) {
        if (ending) {
          shutOutput(); // everything, the CLOSE included, is written
        }
        return DONE;
      }
      out.flip();
      int copied = out.remaining();
      int written = channel.write(out);
      settle(n, written);
      if (written < copied) {
        return FULL;
      }
    }
  }

  /**
   * Copies into {@code out} the staged frames, then waiting control frames, then queued
   * messages; at the end of the output, the CLOSE. Returns the frames touched.
   */
  private int fill(ByteBuffer out) {
    int n = 0;
    for (OutboundFrame f : staged) {
      if (!out.hasRemaining()) {
        return n;
      }
      n = copyInto(out, f, n);
    }
    long now = 0;
    while (out.hasRemaining() && !ending) {
      OutboundFrame f = control.poll(pongsDrained);
      if (f == null && (f = queue.poll()) != null) {
        if (now == 0) {
          now = System.nanoTime();
        }
        if (f.expiredBeforeStart(now)) {
          timeOut(f, now);
          continue;
        }
      }
      if (f == null) {
        if (!endRequested) {
          break;
        }
        ending = true; // nothing may follow: a frame queued from now on fails at the FIN
        if ((f = closeFrame) == null) {
          break;
        }
      }
      staged.addLast(f);
      n = copyInto(out, f, n);
    }
    return n;
  }

  private int copyInto(ByteBuffer out, OutboundFrame f, int n) {
    if (n == batch.length) {
      batch = Arrays.copyOf(batch, n * 2);
      batchStart = Arrays.copyOf(batchStart, n * 2);
    }
    batch[n] = f;
    batchStart[n] = f.bytes.position();
    copySome(f.bytes, out);
    return n + 1;
  }

  /** Copies as much of {@code src} as fits into {@code out}, advancing both; returns the count. */
  private static int copySome(ByteBuffer src, ByteBuffer out) {
    int take = Math.min(src.remaining(), out.remaining());
    int limit = src.limit();
    src.limit(src.position() + take);
    out.put(src);
    src.limit(limit);
    return take;
  }

  /**
   * After a write of {@code written} bytes, puts each touched frame's position where the socket
   * really left it and completes the frames that are done.
   */
  private void settle(int n, int written) {
    int left = written;
    for (int i = 0; i < n; i++) {
      OutboundFrame f = batch[i];
      batch[i] = null;
      int copied = f.bytes.position() - batchStart[i];
      int done = Math.min(copied, left);
      left -= done;
      f.bytes.position(batchStart[i] + done);
    }
    OutboundFrame head;
    while ((head = staged.peekFirst()) != null) {
      if (head.bytes.hasRemaining()) {
        if (head.batch != null) {
          head.batch.completeUpTo(head.bytes.position(), metrics);
        }
        return;
      }
      staged.pollFirst();
      written(head);
    }
  }

  private void written(OutboundFrame f) {
    budget.release(f.size);
    switch (f.kind) {
      case BATCH:
        f.batch.completeUpTo(f.size, metrics);
        coalescer.recycle(f.batch);
        break;
      case MESSAGE:
      case SHARED:
        metrics.frameWritten(f.size); // before completing: a waiter sees the count
        f.succeed();
        break;
      default:
        metrics.bytesOut.add(f.size); // control frames count as bytes, not as messages
        break;
    }
    if (budget.writabilityStale()) {
      budget.updateWritability();
    }
  }

  private void shutOutput() {
    outputShut = true;
    // From now on the half takes no frame: a send that raced the close fails here, at entry or
    // when the role is let go, instead of writing after the FIN.
    closedCause = new ConnectionClosedException("the connection's output was shut down (a"
        + " graceful close or shutdownOutput); no more sends are accepted");
    try {
      channel.shutdownOutput();
    } catch (IOException e) {
      connection.closeWith(e);
      return;
    }
    connection.onOutputShut();
  }

  // ---- deadlines and the close -------------------------------------------------------------

  /**
   * Drops unstarted frames whose deadline passed and fails their futures; closes the connection
   * if the frame already on the wire passed its deadline. Called by the write loop for halves in
   * PENDING state; a half being written by someone else is checked by that writer.
   */
  void expire(long now) {
    if (!state.compareAndSet(PENDING, WRITING)) {
      return;
    }
    boolean broken = false;
    for (Iterator<OutboundFrame> it = staged.iterator(); it.hasNext(); ) {
      OutboundFrame f = it.next();
      if (f.started()) {
        if (f.expired(now)) {
          broken = true;
          break;
        }
      } else if (f.expiredBeforeStart(now)) {
        it.remove();
        timeOut(f, now);
      }
    }
    if (broken) {
      closeQuietly(new SendTimeoutException("send timed out mid-frame after "
          + connection.config().sendTimeout() + ": the peer stopped reading while a frame was"
          + " half written, so the stream is broken and the connection is closed"));
    } else {
      queue.expire(now, timeOutNow);
    }
    letGo(PENDING);
  }

  private void timeOut(OutboundFrame f, long now) {
    budget.release(f.size);
    if (f.missedStartDeadline(now)) {
      metrics.framesDropped.increment();
      Jfr.frameDropped(connection, f.size, "DEADLINE");
      f.fail(new FrameDroppedException(FrameDroppedException.Reason.DEADLINE, "frame dropped:"
          + " its deadline passed before it could start to this peer, which is reading slower"
          + " than you send; the connection stays open"));
      return;
    }
    metrics.sendsTimedOut(f.frames);
    f.fail(new SendTimeoutException("send timed out after " + connection.config().sendTimeout()
        + " before any byte was written: the peer is reading slower than you send; the frame"
        + " was dropped and the connection stays open"));
  }

  /**
   * Ends the write half: frames queued or staged fail with a {@link ConnectionClosedException}
   * carrying {@code cause}. Called once, by the connection's close; any thread.
   */
  void close(Throwable cause) {
    closedCause = cause;
    for (; ; ) {
      int s = state.get();
      if (s == WRITING || s == CLOSED) {
        return; // the holder fails what is left when it lets go
      }
      if (state.compareAndSet(s, CLOSED)) {
        failAll(closedException(cause));
        return;
      }
    }
  }

  /** Fails everything left. The holder, or whoever moved the half to CLOSED. */
  private void failAll(ConnectionClosedException cause) {
    OutboundFrame f;
    while ((f = staged.pollFirst()) != null) {
      budget.release(f.size);
      f.fail(cause);
    }
    OutboundFrame close = closeFrame;
    if (close != null && !ending) {
      budget.release(close.size);
    }
    control.clear(c -> budget.release(c.size));
    dropQueued(cause); // closes the coalescer first: a batch sealed after this is refused
    failDropped();
  }

  /** Fails every queued frame; safe from any thread once the half is CLOSED. */
  private void failQueue() {
    ConnectionClosedException cause = closedException(closedCause);
    queue.clear(f -> {
      budget.release(f.size);
      f.fail(cause);
    });
  }

  /** Closes the connection because of {@code error}, whatever that throws; returns the cause. */
  private ConnectionClosedException closeQuietly(Throwable error) {
    try {
      return connection.closeWith(error);
    } catch (Throwable t) {
      return new ConnectionClosedException("connection closed: " + error, error);
    }
  }

  private static ByteBuffer copy(ByteBuffer frame) {
    ByteBuffer copy = ByteBuffer.allocate(frame.remaining());
    copy.put(frame.duplicate());
    copy.flip();
    return copy;
  }

  private static void fail(CompletableFuture<Void> promise, Throwable cause) {
    if (promise != null) {
      promise.completeExceptionally(cause);
    }
  }

  private static ConnectionClosedException closedException(Throwable cause) {
    if (cause == null) {
      return new ConnectionClosedException("connection closed");
    }
    return cause instanceof ConnectionClosedException
        ? (ConnectionClosedException) cause
        : new ConnectionClosedException("connection closed: " + cause.getMessage(), cause);
  }
}
