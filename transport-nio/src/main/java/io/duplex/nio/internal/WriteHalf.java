package io.duplex.nio.internal;

import io.duplex.BackpressureException;
import io.duplex.ConnectionClosedException;
import io.duplex.FrameDroppedException;
import io.duplex.SendTimeoutException;
import io.duplex.SlowPeerPolicy;
import io.duplex.TransportConfig;
import io.duplex.internal.LaneFrames;
import io.duplex.internal.Wire;
import io.duplex.nio.internal.OutboundFrame.Kind;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The write side of one connection: the write role, and what senders, loops and the closer do
 * with it. Its parts: the {@link OutboundQueue} of message frames, the {@link ControlQueue} that
 * goes ahead of it, the {@link Coalescer} of {@code sendLater} frames, the {@link PendingBytes}
 * with their water marks and hard limit, and the {@link SocketWriter} that the role holder runs.
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
 * gathered buffer ({@link SocketWriter#DIRECT_BUFFER_SIZE}) and hand the rest to the write loop, so another
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
 * {@code state}: atomic, see above; the compare-and-set that takes the role hands the {@link
 * SocketWriter}'s own fields to the new holder with a happens-before edge. {@code dropped}: a
 * concurrent queue (senders offer, anyone polls). {@code closedCause}: written by {@code close}
 * and by the holder that shut the output, read by every writer. The parts guard themselves.
 */
final class WriteHalf {
  static final int IDLE = 0;
  static final int WRITING = 1;
  static final int PENDING = 2;
  static final int CLOSED = 3;

  /*
   * Turns: how much a role holder writes before it hands the rest to the write loop. A turn is
   * a number of gathered buffers, or FLUSH_TURN, which the holder resolves with the socket
   * writer (flushGathers) once it holds the role.
   */
  /** A read loop's or the timer's turn: one gathered buffer. */
  static final int LOOP_GATHERS = 1;
  /** A sender's {@code flush()} of deferred frames: {@link SocketWriter#flushGathers()}. */
  private static final int FLUSH_TURN = -1;
  /**
   * The write loop's turn, and a sender's that sends a message now: until everything is written
   * or the socket is full.
   */
  private static final int ALL = Integer.MAX_VALUE;


  private final NioConnection<?> connection;
  private final SocketChannel channel;
  private final SlowPeerPolicy policy;
  private final ConnectionMetrics metrics;
  private final AtomicInteger state = new AtomicInteger(IDLE);
  private final PendingBytes budget;
  private final OutboundQueue queue;
  private final ControlQueue control;
  private final Coalescer coalescer;
  /** The lanes (queues, budgets, credit, scheduler); null on a connection without lanes. */
  private final LaneScheduler lanes;
  /** Frames {@code DROP_OLDEST} took out while a sender reserved; failed after it consumed. */
  private final ConcurrentLinkedQueue<OutboundFrame> dropped = new ConcurrentLinkedQueue<>();
  private final SocketWriter writer;
  private final Consumer<OutboundFrame> timeOutNow;
  private volatile Throwable closedCause;
  /** Set once by the read loop when the peer's CLOSE or FIN arrives; read by holders. */
  private volatile boolean creditEnded;

  WriteHalf(NioConnection<?> connection, SocketChannel channel, TransportConfig config) {
    this.connection = connection;
    this.channel = channel;
    this.policy = config.slowPeerPolicy();
    this.metrics = connection.metrics();
    this.budget = new PendingBytes(config, metrics, connection::onWritabilityChanged);
    this.queue = new OutboundQueue(metrics);
    this.control = new ControlQueue(metrics, budget);
    this.coalescer = new Coalescer(queue, metrics, config.highWaterMark());
    this.lanes = config.lanes().isEmpty() ? null : new LaneScheduler(config, metrics);
    this.writer = new SocketWriter(connection, channel, budget, queue, control, coalescer, lanes);
    this.timeOutNow = f -> writer.timeOut(f, System.nanoTime());
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
   * thread-local encode buffer: written through or copied before this returns. Any thread. The
   * promise may be null (a send without a future).
   *
   * @return false if the frame was refused at once (the connection closing, or the slow-peer
   *     policy), with the promise failed; true if it was written or queued
   */
  boolean send(ByteBuffer frame, CompletableFuture<Void> promise, long deadlineNanos) {
    return write(frame, Kind.MESSAGE, promise, deadlineNanos, Long.MAX_VALUE);
  }

  /** Writes or queues a frame shared with other connections (an {@code Encoded}). Any thread. */
  void sendShared(ByteBuffer frame, CompletableFuture<Void> promise, long deadlineNanos,
      long startDeadlineNanos) {
    write(frame, Kind.SHARED, promise, deadlineNanos, startDeadlineNanos);
  }

  /**
   * Queues a borrowed message frame without writing it: it goes out with the next flush or the
   * next frame that is not deferred. Small frames are copied into the open batch. Any thread.
   * The promise may be null. {@code timeoutNanos} is the send timeout from now: the clock is
   * read once per batch ({@link Batch#add}), not per message.
   *
   * @return false if refused at once (as {@link #send}); true if queued
   */
  boolean sendLater(ByteBuffer frame, CompletableFuture<Void> promise, long timeoutNanos) {
    int size = frame.remaining();
    if (!admit(size, promise)) {
      afterConsumed();
      return false;
    }
    boolean queued = true;
    if (Coalescer.fits(size)) {
      if (!coalescer.append(frame, promise, timeoutNanos)) {
        budget.release(size);
        fail(promise, closedException(closedCause));
        queued = false;
      }
    } else {
      coalescer.seal();
      queue.offer(OutboundFrame.message(copy(frame), promise, System.nanoTime() + timeoutNanos));
      if (state.get() == CLOSED) {
        failQueue();
      }
    }
    afterConsumed();
    return queued;
  }

  private boolean write(ByteBuffer frame, Kind kind, CompletableFuture<Void> promise,
      long deadlineNanos, long startDeadlineNanos) {
    if (startDeadlineNanos != Long.MAX_VALUE // no clock read for a frame without one
        && OutboundFrame.passed(System.nanoTime(), startDeadlineNanos)) {
      dropStale(frame.remaining(), promise); // stale before it was sent: never written through
      return false;
    }
    if (!admit(frame.remaining(), promise)) {
      afterConsumed();
      return false;
    }
    coalescer.seal(); // the deferred frames before this one go first
    if (queue.isEmpty() && control.isEmpty() && state.compareAndSet(IDLE, WRITING)) {
      int gathers = gathers();
      try {
        if (!writer.hasStaged() && queue.isEmpty() && control.isEmpty()
            && !writer.endRequested()) {
          writer.writeThrough(frame, kind, promise, deadlineNanos, startDeadlineNanos,
              gathers == LOOP_GATHERS, null);
          if (gathers == LOOP_GATHERS && writer.hasStaged()) {
            gathers = 0; // a loop wrote a buffer of its own frame: the write loop does the rest
          }
        } else {
          queue.offer(own(frame, kind, promise, deadlineNanos, startDeadlineNanos));
        }
        afterConsumed();
      } catch (Throwable t) { // an Error copying or telling: the role is let go all the same
        fail(promise, connection.closeQuietly(t));
      }
      flushAsHolder(gathers);
      return true;
    }
    queue.offer(own(frame, kind, promise, deadlineNanos, startDeadlineNanos));
    afterConsumed();
    flushIfIdle();
    return true;
  }

  /** The frame as a queued one: a message is copied out of the borrowed buffer. */
  private static OutboundFrame own(ByteBuffer frame, Kind kind, CompletableFuture<Void> promise,
      long deadlineNanos, long startDeadlineNanos) {
    return kind == Kind.MESSAGE
        ? OutboundFrame.message(copy(frame), promise, deadlineNanos)
        : OutboundFrame.shared(frame, promise, deadlineNanos, startDeadlineNanos);
  }

  /** Fails a frame whose start deadline passed before it was sent; it is never queued. */
  private void dropStale(int size, CompletableFuture<Void> promise) {
    metrics.framesDropped.increment();
    Jfr.frameDropped(connection, size, "DEADLINE");
    fail(promise, new FrameDroppedException(FrameDroppedException.Reason.DEADLINE, "frame"
        + " dropped: its deadline had passed when it was sent to this peer; the connection stays"
        + " open"));
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
        List<OutboundFrame> taken = queue.dropOldest(found + size - hardLimit);
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

  // ---- lanes -------------------------------------------------------------------------------

  /** The lanes, or null without them. */
  LaneScheduler lanes() {
    return lanes;
  }

  /**
   * Queues a message on {@code lane}: {@code body} is its codec payload, borrowed (laid out into
   * a buffer of its own, or packed into the lane's open batch, before this returns), or, for a
   * SHARED frame, {@code wire} is its whole wire form, shared read-only, laid out with this
   * connection's chunk size. Writes it now unless {@code later}. Any thread. The promise may be
   * null. {@code timeoutNanos} is the send timeout from now (the clock is read once per batch
   * for a message packed into one).
   *
   * @return false if refused at once (as {@link #send}); true if written or queued
   */
  boolean sendLane(int lane, ByteBuffer body, ByteBuffer wire, CompletableFuture<Void> promise,
      long timeoutNanos, long startDeadlineNanos, boolean later) {
    if (startDeadlineNanos != Long.MAX_VALUE
        && OutboundFrame.passed(System.nanoTime(), startDeadlineNanos)) {
      dropStale(wire != null ? wire.remaining() : body.remaining(), promise);
      return false;
    }
    LaneScheduler.Out o = lanes.lane(lane);
    int chunk = lanes.chunk();
    Kind kind = wire != null ? Kind.SHARED : Kind.MESSAGE;
    int data = wire != null ? LaneFrames.dataSize(wire) : body.remaining();
    int size = wire != null ? wire.remaining() : LaneFrames.wireSize(data, chunk);
    if (later && wire == null && data <= chunk && Coalescer.fits(size)) {
      // Packed into the lane's open batch, as sendLater packs without lanes: no buffer, queue
      // node or frame of its own, and no count of the lane's own (the batch's bytes join it when
      // it is sealed). The batch checks the lane's hard limit under its lock.
      Throwable closed = closedCause;
      if (closed != null) {
        fail(promise, closedException(closed));
        afterConsumed();
        return false;
      }
      budget.add(size); // the connection's count, for the water marks
      long found = o.coalescer.appendLane(body, promise, timeoutNanos);
      if (found == Coalescer.APPENDED) {
        afterConsumed();
        return true;
      }
      budget.release(size);
      if (found == Coalescer.CLOSED) {
        fail(promise, closedException(closedCause));
        afterConsumed();
        return false;
      }
      // Over the lane's hard limit: its policy applies, and, admitted, the message goes as a
      // frame of its own after the open batch.
    }
    if (!admitLane(o, size, promise)) {
      afterConsumed();
      return false;
    }
    o.coalescer.seal(); // the lane's deferred messages before this one go first
    long deadlineNanos = System.nanoTime() + timeoutNanos;
    int cost = data + Wire.MESSAGE_CREDIT;
    if (!later && wire == null && data <= chunk && control.isEmpty() && queue.isEmpty()
        && o.credit.get() >= cost && !lanes.hasWork() && state.compareAndSet(IDLE, WRITING)) {
      writeLaneThrough(o, body, cost, size, promise, deadlineNanos);
      return true;
    }
    OutboundFrame f;
    try {
      ByteBuffer bytes = wire != null ? wire.slice() : LaneLayout.layout(o, body, chunk);
      f = OutboundFrame.lane(kind, lane, bytes, data, chunk, promise, deadlineNanos,
          startDeadlineNanos);
    } catch (Throwable t) { // out of memory laying it out: give the bytes back
      budget.release(size);
      o.pending.addAndGet(-size);
      afterConsumed();
      fail(promise, t);
      return false;
    }
    lanes.offer(o, f);
    afterConsumed();
    if (state.get() == CLOSED) {
      failQueue();
    } else if (!later) {
      flush(gathers());
    }
    return true;
  }

  /**
   * The write-through fast path of a lane: a whole message on a connection whose lanes are all
   * idle is written from the sender's buffer, with no copy and no queue, as without lanes.
   * The caller holds the role and has counted the frame in. {@code body} is the payload, with
   * its MESSAGE header in front of it in the caller's encode buffer.
   */
  private void writeLaneThrough(LaneScheduler.Out o, ByteBuffer body, int cost, int size,
      CompletableFuture<Void> promise, long deadlineNanos) {
    int gathers = gathers();
    try {
      if (!writer.hasStaged() && control.isEmpty() && !lanes.hasWork()
          && !writer.endRequested() && o.credit.get() >= cost) {
        o.credit.addAndGet(-cost); // the role holder's to take
        ByteBuffer frame = body.duplicate();
        frame.position(body.position() - Wire.HEADER_SIZE);
        frame.put(frame.position() + Wire.LENGTH_SIZE, Wire.messageType(o.id));
        writer.writeThrough(frame, Kind.MESSAGE, promise, deadlineNanos, Long.MAX_VALUE,
            gathers == LOOP_GATHERS, o);
        if (gathers == LOOP_GATHERS && writer.hasStaged()) {
          gathers = 0; // a loop wrote a buffer of its own frame: the write loop does the rest
        }
      } else {
        lanes.offer(o, OutboundFrame.lane(Kind.MESSAGE, o.id,
            LaneFrames.layout(o.id, body, lanes.chunk()), body.remaining(), lanes.chunk(),
            promise, deadlineNanos, Long.MAX_VALUE));
      }
      afterConsumed();
    } catch (Throwable t) { // an Error copying or telling: the role is let go all the same
      fail(promise, connection.closeQuietly(t));
    }
    flushAsHolder(gathers);
  }

  /** As {@link #admit}, against {@code o}'s hard limit and policy. */
  private boolean admitLane(LaneScheduler.Out o, int size, CompletableFuture<Void> promise) {
    Throwable closed = closedCause;
    if (closed != null) {
      fail(promise, closedException(closed));
      return false;
    }
    for (; ; ) {
      long found = o.reserve(size);
      if (found == PendingBytes.RESERVED) {
        budget.add(size); // the connection's count, for the water marks
        return true;
      }
      if (o.policy == SlowPeerPolicy.DROP_OLDEST) {
        List<OutboundFrame> taken = lanes.dropOldest(o, found + size - o.hardLimit);
        if (taken != null) {
          for (OutboundFrame f : taken) {
            o.dropped.increment();
            writer.release(f);
            dropped.offer(f);
          }
          continue;
        }
      }
      BackpressureException refused = new BackpressureException(found, size, o.hardLimit);
      metrics.sendRefused();
      o.refused.increment();
      Jfr.sendRefused(connection, o.policy, found, size);
      fail(promise, o.policy == SlowPeerPolicy.DISCONNECT ? connection.closeWith(refused)
          : refused);
      return false;
    }
  }

  /**
   * The peer granted {@code bytes} more on {@code lane}; writes what that lets go. Returns false
   * if the lane does not exist or the credit passes the window. Read loop.
   */
  boolean credit(int lane, long bytes) {
    if (!lanes.credit(lane, bytes)) {
      return false;
    }
    if (lanes.lane(lane).hasWork()) {
      flush(LOOP_GATHERS);
    }
    return true;
  }

  /**
   * The peer's CLOSE or FIN was read: it grants no more credit. Lane messages the credit left
   * does not cover fail, and the close goes on. Read loop.
   */
  void endCredit() {
    if (lanes != null) {
      creditEnded = true;
      flush(LOOP_GATHERS);
    }
  }

  /** Whether the peer can grant no more credit. Any thread. */
  boolean creditEnded() {
    return creditEnded;
  }

  /** Queues a CREDIT of {@code bytes} for the peer on {@code lane} and writes it. Any thread. */
  void grant(int lane, long bytes) {
    if (closedCause != null) {
      return;
    }
    control.offerCredit(lane, bytes);
    flush(gathers());
  }

  // ---- control frames and the end of the output --------------------------------------------

  /**
   * Queues handshake bytes (the plaintext HANDSHAKE frame, or the secure handshake's) and writes
   * them; if {@code sealer} is not null, everything queued after them is sealed with it. Read
   * loop.
   */
  void handshake(ByteBuffer bytes, Sealer sealer) {
    control.offerHandshake(bytes, sealer);
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
  void endOutput(ByteBuffer closeFrame) {
    coalescer.seal();
    if (lanes != null) {
      lanes.sealAll();
    }
    writer.requestEnd(closeFrame != null ? OutboundFrame.close(closeFrame) : null);
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
    if (lanes != null) {
      for (int i = 0; i < lanes.size(); i++) {
        LaneScheduler.Out o = lanes.lane(i);
        Batch b = o.coalescer.close();
        if (b != null) {
          budget.release(b.size()); // (an open batch is not in the lane's count)
          b.fail(closed);
        }
      }
    }
    failQueued(closed);
  }

  /** Takes every queued frame out and fails it with {@code cause}. Any thread. */
  private void failQueued(ConnectionClosedException cause) {
    queue.clear(f -> {
      budget.release(f.size);
      f.fail(cause);
    });
    if (lanes != null) {
      lanes.clearQueued(f -> {
        writer.release(f);
        f.fail(cause);
      });
    }
  }

  // ---- flushing ----------------------------------------------------------------------------

  /** Writes what {@code sendLater} queued, unless someone is writing already. Any thread. */
  void flush() {
    coalescer.seal();
    if (lanes != null) {
      lanes.sealAll();
    }
    flush(connection.onTransportThread() ? LOOP_GATHERS : FLUSH_TURN);
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
    if (!queue.isEmpty() || !control.isEmpty()) {
      return true;
    }
    if (lanes != null) {
      if (lanes.ready()) {
        return true;
      }
      if (lanes.hasWork()) {
        return creditEnded; // waiting for credit (or, if none can come, failing what waits)
      }
    }
    return writer.endRequested();
  }

  /** The calling thread's turn: a loop of the transport's, or a sender's (see ALL). */
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
   * Writes what is staged and queued, up to {@code turn} buffers (or a sender's flush turn);
   * parks with the write loop if the socket fills or the turn is up. The role is let go on every
   * path, an Error included.
   */
  private void flushAsHolder(int turn) {
    int gathers = turn == FLUSH_TURN ? writer.flushGathers() : turn;
    for (; ; ) {
      int result;
      try {
        result = writer.drain(gathers);
      } catch (Throwable t) { // an I/O error, or an Error such as no direct memory left
        connection.closeQuietly(t);
        result = SocketWriter.DONE;
      }
      if (result != SocketWriter.DONE) {
        handOff();
        return;
      }
      if (!letGo(IDLE) || !hasWork() || !state.compareAndSet(IDLE, WRITING)) {
        return;
      }
      if (gathers != ALL) {
        handOff(); // more came meanwhile: the write loop writes it, not this thread
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
    try {
      if (writer.expireStaged(now)) {
        connection.closeQuietly(new SendTimeoutException("send timed out mid-frame after "
            + connection.config().sendTimeout() + ": the peer stopped reading while a frame was"
            + " half written, so the stream is broken and the connection is closed"));
      } else {
        queue.expire(now, timeOutNow);
        if (lanes != null) {
          lanes.expire(now, timeOutNow);
        }
      }
    } finally {
      letGo(PENDING);
    }
  }

  /**
   * Times out lane messages queued past their deadline while the half is idle, waiting for
   * credit (a backlogged half's are checked by the write loop). The timer.
   */
  void expireLanes(long now) {
    if (lanes != null && lanes.hasWork()) {
      lanes.expire(now, timeOutNow);
    }
  }

  /** The FIN went out: the half takes no frame from now on. Role holder. */
  void outputShut() {
    // A send that raced the close fails here, at entry or when the role is let go, instead of
    // writing after the FIN.
    closedCause = new ConnectionClosedException("the connection's output was shut down (a"
        + " graceful close or shutdownOutput); no more sends are accepted");
  }

  /**
   * Ends the write half: frames queued or staged fail with a {@link ConnectionClosedException}
   * carrying {@code cause}. Called once, by the connection's close; any thread.
   */
  /** How long reuse buffers wait unused before the timer lets them go. */
  static final long QUIET_NANOS = ReadHalf.QUIET_NANOS;

  /**
   * The timer's tick: buffers kept for reuse (written batches beyond two, lanes' spare arrays)
   * go once unused for {@link #QUIET_NANOS}. Timer.
   */
  void tick(long now) {
    coalescer.trimSpares(now, QUIET_NANOS);
    if (lanes != null) {
      for (int i = 0; i < lanes.size(); i++) {
        LaneScheduler.Out o = lanes.lane(i);
        if (o.coalescer != null) {
          o.coalescer.trimSpares(now, QUIET_NANOS);
        }
        LaneLayout.trimSpare(o, now, QUIET_NANOS);
      }
    }
  }

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
    writer.failStaged(cause);
    if (lanes != null) {
      lanes.clearCurrent(f -> {
        writer.release(f);
        f.fail(cause);
      });
    }
    control.clear(c -> budget.release(c.size));
    dropQueued(cause); // closes the coalescer first: a batch sealed after this is refused
    failDropped();
  }

  /** Fails every queued frame; safe from any thread once the half is CLOSED. */
  private void failQueue() {
    failQueued(closedException(closedCause));
  }

  static ByteBuffer copy(ByteBuffer frame) {
    ByteBuffer copy = ByteBuffer.allocate(frame.remaining());
    copy.put(frame.duplicate());
    copy.flip();
    return copy;
  }

  static void fail(CompletableFuture<Void> promise, Throwable cause) {
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
