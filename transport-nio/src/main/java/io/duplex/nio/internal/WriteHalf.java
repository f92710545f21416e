package io.duplex.nio.internal;

import io.duplex.BackpressureException;
import io.duplex.ConnectionClosedException;
import io.duplex.FrameDroppedException;
import io.duplex.SendTimeoutException;
import io.duplex.SlowPeerPolicy;
import io.duplex.TransportConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The write side of one connection: the outbound queue, the pending-byte count with its water
 * marks and hard limit, and the write role.
 *
 * <h2>The write role</h2>
 * Exactly one thread at a time may write to the socket, and it is whoever moved {@link #state}
 * to WRITING by compare-and-set: a sender on the fast path, or the write loop. Nobody waits for
 * the role: a sender that does not get it queues its frame and returns, and the holder writes it.
 *
 * <pre>
 *   IDLE ──sender CAS──▶ WRITING ──socket took all──▶ IDLE (then re-check the queue)
 *                          │
 *                          └─socket full──▶ PENDING ──OP_WRITE, write loop CAS──▶ WRITING
 *   IDLE / PENDING ──close──▶ CLOSED   (WRITING: the holder sees the close when it lets go)
 * </pre>
 *
 * Only PENDING involves the write loop, and the transition into it submits the connection to the
 * loop once: one selector wakeup per backlog, never one per message.
 *
 * <h2>Fields and their threads</h2>
 * <ul>
 *   <li>{@code queue}: any sender offers; the role holder polls (and, once CLOSED, anyone).</li>
 *   <li>{@code staged}, {@code current...}: the role holder only; the CAS on {@code state} hands
 *       them over with a happens-before edge.</li>
 *   <li>{@code budget}: the pending-byte count and writability, lock-free ({@link
 *       PendingBytes}), any thread.</li>
 *   <li>{@code open}, {@code spares}: the coalescing buffer of {@code sendLater} and its spare
 *       buffers; any thread, only under {@code coalescing} (held for a copy of one frame, never
 *       across I/O). {@code hasOpen} mirrors {@code open != null} for a lock-free check.</li>
 * </ul>
 *
 * <h2>Coalescing {@code sendLater}</h2>
 * A deferred frame of up to {@link Batch#MAX_FRAME} bytes is copied into the open {@link Batch}
 * instead of a buffer of its own. The batch is sealed, as one queued frame, when it is full, when
 * someone flushes, and before any frame that is not deferred (a {@code send}, a control frame, a
 * CLOSE), so every thread's frames keep their order. Sealing and appending happen under the lock,
 * and sealing re-checks {@code closedCause} there, so a batch is never queued after the half
 * failed its queue.
 */
final class WriteHalf {
  static final int IDLE = 0;
  static final int WRITING = 1;
  static final int PENDING = 2;
  static final int CLOSED = 3;

  /** Flag: shut the output after this frame. */
  static final int LAST = 1;
  /** Flag: an Encoded frame that DROP_OLDEST may drop and that may carry a start deadline. */
  static final int DROPPABLE = 2;
  /** Flag: queue only; the frame goes out with the next flush or write-through. */
  static final int DEFER = 4;
  /**
   * Flag: a control frame (handshake, ping, pong, close), a few bytes, exempt from the hard limit:
   * refusing a PONG or a CLOSE would break liveness or the close itself.
   */
  static final int CONTROL = 8;

  /** Bytes copied into the direct buffer per write system call, at most. */
  static final int DIRECT_BUFFER_SIZE = 256 * 1024;

  private static final ThreadLocal<ByteBuffer> DIRECT =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(DIRECT_BUFFER_SIZE));

  private final NioConnection<?> connection;
  private final SocketChannel channel;
  private final SlowPeerPolicy policy;

  private final AtomicInteger state = new AtomicInteger(IDLE);
  private final ConcurrentLinkedQueue<OutboundFrame> queue = new ConcurrentLinkedQueue<>();
  // Queued frames that carry a start deadline, in queue order; entries of claimed frames are
  // trimmed lazily. Offered by senders, polled by whoever expires or trims (any thread).
  private final ConcurrentLinkedQueue<OutboundFrame> deadlined = new ConcurrentLinkedQueue<>();
  private final PendingBytes budget;

  // The coalescing lock: guards open and spares (see the class comment). Any thread.
  private final Object coalescing = new Object();
  private Batch open;
  private final ArrayDeque<Batch> spares = new ArrayDeque<>(2);
  /**
   * How many written batches {@code spares} keeps: as many as fit in the high-water mark (at
   * least two, at most 16), so a burst that fills the queue to that mark reuses its buffers
   * instead of allocating 64 KiB per batch, while what an idle connection keeps stays within the
   * memory its user already allowed it to queue.
   */
  private final int maxSpares;
  // Written under coalescing; read without it, to skip the lock when there is nothing to seal.
  private volatile boolean hasOpen;

  // Owned by the role holder.
  private final ArrayDeque<OutboundFrame> staged = new ArrayDeque<>();
  private OutboundFrame[] batch = new OutboundFrame[64];
  private int[] batchStart = new int[64];
  private boolean outputShut;

  // Set once by close(); read by role holders when they let go.
  private volatile Throwable closedCause;

  WriteHalf(NioConnection<?> connection, SocketChannel channel, TransportConfig config) {
    this.connection = connection;
    this.channel = channel;
    this.budget = new PendingBytes(config, connection.metrics(), connection::onWritabilityChanged);
    this.maxSpares = (int) Math.max(2, Math.min(16, config.highWaterMark() / Batch.CAPACITY));
    this.policy = config.slowPeerPolicy();
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

  /**
   * Writes or queues one frame. Called by any thread. {@code frame}'s remaining bytes are the
   * whole frame; if {@code owned} is false the buffer is borrowed (a thread-local encode buffer)
   * and is copied if it cannot be written at once.
   */
  void write(ByteBuffer frame, boolean owned, CompletableFuture<Void> promise, long deadlineNanos,
      int flags) {
    write(frame, owned, promise, deadlineNanos, Long.MAX_VALUE, flags);
  }

  /** {@link #write(ByteBuffer, boolean, CompletableFuture, long, int)} with a start deadline. */
  void write(ByteBuffer frame, boolean owned, CompletableFuture<Void> promise, long deadlineNanos,
      long startDeadlineNanos, int flags) {
    int size = frame.remaining();
    boolean last = (flags & LAST) != 0;
    Throwable closed = closedCause;
    if (closed != null) {
      fail(promise, closedException(closed));
      return;
    }
    if ((flags & CONTROL) != 0) {
      budget.add(size);
    } else if (!reserve(size, promise)) {
      return;
    }
    boolean defer = (flags & DEFER) != 0;
    if (defer && size <= Batch.MAX_FRAME && (flags & (LAST | DROPPABLE | CONTROL)) == 0
        && startDeadlineNanos == Long.MAX_VALUE) {
      coalesce(frame, size, promise, deadlineNanos);
      return;
    }
    if (hasOpen) {
      seal(); // the deferred frames before this one go first
    }
    if (defer) {
      enqueue(new OutboundFrame(owned ? frame : copy(frame), size, promise, deadlineNanos,
          startDeadlineNanos, flags));
      if (state.get() == CLOSED) {
        failQueue(closedException(closedCause));
      }
      return;
    }
    if (!last && queue.isEmpty() && state.compareAndSet(IDLE, WRITING)) {
      if (staged.isEmpty() && queue.isEmpty()) {
        writeThrough(frame, owned, size, promise, deadlineNanos, startDeadlineNanos, flags);
      } else {
        enqueue(new OutboundFrame(owned ? frame : copy(frame), size, promise, deadlineNanos,
            startDeadlineNanos, flags));
      }
      flushAsHolder();
      return;
    }
    enqueue(new OutboundFrame(owned ? frame : copy(frame), size, promise, deadlineNanos,
        startDeadlineNanos, flags));
    int s = state.get();
    if (s == IDLE) {
      if (state.compareAndSet(IDLE, WRITING)) {
        flushAsHolder();
      }
    } else if (s == CLOSED) {
      failQueue(closedException(closedCause));
    }
  }

  /** Copies a deferred frame into the open batch, sealing it first if it is full. */
  private void coalesce(ByteBuffer frame, int size, CompletableFuture<Void> promise,
      long deadlineNanos) {
    synchronized (coalescing) {
      Throwable closed = closedCause;
      if (closed != null) {
        release(size);
        fail(promise, closedException(closed));
        return;
      }
      Batch b = open;
      if (b != null && !b.fits(size)) {
        sealLocked();
        b = null;
      }
      if (b == null) {
        b = spares.poll();
        open = b == null ? new Batch() : b;
        b = open;
        hasOpen = true;
      }
      b.add(frame, promise, deadlineNanos);
      connection.metrics().framesQueued.increment();
    }
  }

  /** Queues the open batch, if any. Any thread. */
  private void seal() {
    synchronized (coalescing) {
      if (open != null) {
        sealLocked();
      }
    }
  }

  private void sealLocked() {
    Batch b = open;
    open = null;
    hasOpen = false;
    Throwable closed = closedCause;
    if (closed != null) {
      failBatch(b, closedException(closed));
      return;
    }
    queue.offer(b.seal()); // counted in framesQueued message by message, as they came
  }

  private void failBatch(Batch b, Throwable cause) {
    release(b.size());
    connection.metrics().framesQueued.add(-b.remaining());
    b.fail(cause);
  }

  /** A batch written to the end: kept for reuse, up to {@code maxSpares}. Role holder. */
  private void recycle(Batch b) {
    b.reset();
    synchronized (coalescing) {
      if (spares.size() < maxSpares) {
        spares.offer(b);
      }
    }
  }

  private void enqueue(OutboundFrame frame) {
    connection.metrics().framesQueued.increment();
    queue.offer(frame);
    if (frame.hasStartDeadline()) {
      deadlined.offer(frame);
    }
  }

  /** The next queued frame nobody has claimed, now claimed by the caller. Role holder. */
  private OutboundFrame dequeue() {
    OutboundFrame f;
    while ((f = queue.poll()) != null) {
      if (f.claim()) {
        connection.metrics().framesQueued.add(-f.frames);
        return f;
      }
    }
    return null;
  }

  /** Forgets deadline entries of frames that were claimed (written or dropped) already. */
  private void trimDeadlined() {
    OutboundFrame f;
    while ((f = deadlined.peek()) != null && f.isClaimed()) {
      deadlined.poll();
    }
  }

  /**
   * Drops frames whose start deadline passed while they waited behind others, wherever they are
   * in the queue: they are claimed here and skipped by the writer. Any thread.
   */
  private void expireDeadlined(long now) {
    OutboundFrame f;
    while ((f = deadlined.peek()) != null) {
      if (!f.isClaimed() && !f.expiredBeforeStart(now)) {
        return; // deadlines are nearly in queue order: stop at the first one still to come
      }
      deadlined.poll();
      if (f.claim()) {
        connection.metrics().framesQueued.add(-f.frames);
        timeOut(f, now);
      }
    }
  }

  /** Writes what {@code DEFER} frames queued, unless someone is writing already. Any thread. */
  void flush() {
    if (hasOpen) {
      seal();
    }
    if (!queue.isEmpty() && state.compareAndSet(IDLE, WRITING)) {
      flushAsHolder();
    }
  }

  /** Called by the write loop when the socket is writable again. */
  void onWritable() {
    if (state.compareAndSet(PENDING, WRITING)) {
      flushAsHolder();
    }
  }

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
    OutboundFrame head;
    while (!broken && (head = queue.peek()) != null
        && (head.isClaimed() || head.expiredBeforeStart(now))) {
      queue.poll();
      if (head.claim()) {
        connection.metrics().framesQueued.add(-head.frames);
        timeOut(head, now);
      }
    }
    if (!broken) {
      expireDeadlined(now);
    }
    if (broken) {
      connection.closeWith(new SendTimeoutException("send timed out mid-frame after "
          + connection.config().sendTimeout() + ": the peer stopped reading while a frame was"
          + " half written, so the stream is broken and the connection is closed"));
    }
    letGo(PENDING);
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

  // ---- role holder only ------------------------------------------------------------------

  private void writeThrough(ByteBuffer frame, boolean owned, int size,
      CompletableFuture<Void> promise, long deadlineNanos, long startDeadlineNanos, int flags) {
    try {
      writeDirect(frame);
    } catch (IOException | RuntimeException e) {
      release(size);
      fail(promise, connection.closeWith(e));
      return;
    }
    if (!frame.hasRemaining()) {
      release(size);
      connection.metrics().writeThrough(size); // before completing: a waiter sees the count
      if (promise != null) {
        promise.complete(null);
      }
    } else {
      staged.addFirst(new OutboundFrame(owned ? frame : copy(frame), size, promise, deadlineNanos,
          startDeadlineNanos, flags));
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

  /** Writes what is staged and queued; parks with the write loop if the socket fills. */
  private void flushAsHolder() {
    for (; ; ) {
      boolean drained;
      try {
        drained = drain();
      } catch (IOException | RuntimeException e) {
        connection.closeWith(e);
        drained = true;
      }
      if (!drained) {
        if (letGo(PENDING)) {
          connection.writeLoop().requestWrite(connection);
        }
        return;
      }
      if (!letGo(IDLE)) {
        return;
      }
      if (queue.isEmpty() || !state.compareAndSet(IDLE, WRITING)) {
        return;
      }
    }
  }

  /**
   * Gives up the role, moving WRITING to {@code next}; if the half was closed meanwhile, moves
   * it to CLOSED instead and fails what is left. Returns false in that case.
   */
  private boolean letGo(int next) {
    state.set(next);
    if (closedCause != null && state.compareAndSet(next, CLOSED)) {
      failAll(closedException(closedCause));
      return false;
    }
    return closedCause == null;
  }

  /** Returns true when nothing is left to write, false when the socket is full. */
  private boolean drain() throws IOException {
    ByteBuffer out = DIRECT.get();
    for (; ; ) {
      if (outputShut) {
        failAll(closedException(new ConnectionClosedException("output was shut down")));
        return true;
      }
      out.clear();
      int n = fill(out);
      if (n == 0) {
        return true;
      }
      out.flip();
      int copied = out.remaining();
      int written = channel.write(out);
      settle(n, written);
      if (written < copied) {
        return false;
      }
    }
  }

  /** Copies staged frames, then queued ones, into {@code out}; returns the frames touched. */
  private int fill(ByteBuffer out) {
    int n = 0;
    for (OutboundFrame f : staged) {
      if (!out.hasRemaining()) {
        return n;
      }
      n = copyInto(out, f, n);
      if (f.last) {
        return n;
      }
    }
    long now = 0;
    OutboundFrame f;
    while (out.hasRemaining() && (f = dequeue()) != null) {
      if (now == 0) {
        now = System.nanoTime();
      }
      if (f.expiredBeforeStart(now)) {
        timeOut(f, now);
        continue;
      }
      staged.addLast(f);
      n = copyInto(out, f, n);
      if (f.last) {
        break;
      }
    }
    if (!deadlined.isEmpty()) {
      trimDeadlined();
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
          head.batch.completeUpTo(head.bytes.position(), connection.metrics());
        }
        return;
      }
      staged.pollFirst();
      release(head.size);
      if (head.batch != null) {
        head.batch.completeUpTo(head.size, connection.metrics());
        recycle(head.batch);
        continue;
      }
      connection.metrics().frameWritten(head.size);
      head.succeed();
      if (head.last) {
        shutOutput();
        return;
      }
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

  private void timeOut(OutboundFrame f, long now) {
    release(f.size);
    if (f.missedStartDeadline(now)) {
      f.fail(new FrameDroppedException(FrameDroppedException.Reason.DEADLINE, "frame dropped:"
          + " its deadline passed before it could start to this peer, which is reading slower"
          + " than you send; the connection stays open"));
      connection.metrics().framesDropped.increment();
      return;
    }
    f.fail(new SendTimeoutException("send timed out after " + connection.config().sendTimeout()
        + " before any byte was written: the peer is reading slower than you send; the frame"
        + " was dropped and the connection stays open"));
    connection.metrics().sendsTimedOut(f.frames);
  }

  private void failAll(Throwable cause) {
    OutboundFrame f;
    while ((f = staged.pollFirst()) != null) {
      release(f.size);
      f.fail(cause);
    }
    // Before the queue: a batch sealed from now on sees closedCause and fails, not queued.
    synchronized (coalescing) {
      if (open != null) {
        Batch b = open;
        open = null;
        hasOpen = false;
        failBatch(b, cause);
      }
    }
    failQueue(cause);
    deadlined.clear();
  }

  /** Fails every queued frame; safe from any thread once the half is CLOSED. */
  private void failQueue(Throwable cause) {
    OutboundFrame f;
    while ((f = dequeue()) != null) {
      release(f.size);
      f.fail(cause);
    }
  }

  // ---- pending bytes ---------------------------------------------------------------------

  /** Counts {@code size} more pending bytes, or applies the slow-peer policy and says no. */
  private boolean reserve(int size, CompletableFuture<Void> promise) {
    for (; ; ) {
      long found = budget.tryReserve(size);
      if (found < 0) {
        return true;
      }
      long hardLimit = budget.hardLimit();
      if (policy == SlowPeerPolicy.DROP_OLDEST && dropOldest(found + size - hardLimit)) {
        continue;
      }
      BackpressureException refused = new BackpressureException(found, size, hardLimit);
      connection.metrics().sendRefused();
      if (policy == SlowPeerPolicy.DISCONNECT) {
        fail(promise, connection.closeWith(refused));
      } else {
        fail(promise, refused);
      }
      return false;
    }
  }

  /**
   * Drops queued droppable frames that have not started, oldest first, until {@code needed}
   * bytes are freed. Any sender thread; a frame the role holder polls at the same moment is
   * either removed here or written there, never both. Returns false if nothing could be dropped.
   */
  private boolean dropOldest(long needed) {
    long freed = 0;
    for (Iterator<OutboundFrame> it = queue.iterator(); it.hasNext() && freed < needed; ) {
      OutboundFrame f = it.next();
      if (f.droppable && f.claim()) {
        connection.metrics().framesQueued.decrement();
        connection.metrics().framesDropped.increment();
        release(f.size);
        freed += f.size;
        f.fail(new FrameDroppedException(FrameDroppedException.Reason.SLOW_PEER, "frame dropped"
            + " to make room for newer ones: the peer is over its outbound hard limit "
            + budget.hardLimit() + " (policy DROP_OLDEST); the connection stays open"));
      }
    }
    return freed > 0;
  }

  private void release(int size) {
    budget.release(size);
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
    return cause instanceof ConnectionClosedException
        ? (ConnectionClosedException) cause
        : new ConnectionClosedException("connection closed: " + cause.getMessage(), cause);
  }
}
