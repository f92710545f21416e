package io.duplex.nio.internal;

import io.duplex.ConnectionClosedException;
import io.duplex.FrameDroppedException;
import io.duplex.SendTimeoutException;
import io.duplex.nio.internal.OutboundFrame.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The part of a {@link WriteHalf} that only its write role holder runs: it gathers frames into
 * the thread's direct buffer, writes them with one system call per buffer, puts each frame's
 * position where the socket left it and completes the frames that are done. It owns the frames
 * taken out of the queues and not yet fully written ({@code staged}, in stream order), and the
 * end of the output: the CLOSE frame, then the FIN.
 *
 * <p>On a secure connection, once the handshake frame that carries the {@link Sealer} is written,
 * everything after it is gathered as plaintext, sealed into one record per write and written.
 * A sealed byte is never gathered again, but a frame counts as written (and its future
 * completes) only once the record that holds its last byte has gone to the socket whole: a
 * record the socket took part of waits in the sealer, and dies with the connection if it closes
 * first.
 *
 * <p>Threads: {@code staged}, {@code batch}, {@code batchStart}, {@code ending}, {@code
 * outputShut} and {@code sealer} belong to the role holder; the compare-and-set on the half's
 * state hands them over with a happens-before edge. {@code closeFrame} and {@code endRequested} are written once by the
 * thread that ends the output ({@link #requestEnd}) and read by holders.
 */
final class SocketWriter {
  /** Bytes copied into the direct buffer per write system call, at most. */
  static final int DIRECT_BUFFER_SIZE = 256 * 1024;

  private static final ThreadLocal<ByteBuffer> DIRECT =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(DIRECT_BUFFER_SIZE));

  /** {@link #drain} results: everything written, the socket full, the turn up. */
  static final int DONE = 0;
  static final int FULL = 1;
  static final int TURN_UP = 2;

  private final NioConnection<?> connection;
  private final SocketChannel channel;
  private final ConnectionMetrics metrics;
  private final PendingBytes budget;
  private final OutboundQueue queue;
  private final ControlQueue control;
  private final Coalescer coalescer;
  /** The lanes' queues and scheduler; null on a connection without lanes. */
  private final LaneScheduler lanes;
  private final Consumer<OutboundFrame> expiredNow;
  private final Runnable pongsDrained;

  private volatile OutboundFrame closeFrame;
  private volatile boolean endRequested;

  // The role holder's.
  private final ArrayDeque<OutboundFrame> staged = new ArrayDeque<>();
  private OutboundFrame[] batch = new OutboundFrame[64];
  private int[] batchStart = new int[64];
  private boolean ending;
  private boolean outputShut;
  /** Seals what is written, once the handshake installed it; null on a plaintext connection. */
  private Sealer sealer;
  /**
   * The bytes one turn at the socket (a {@link #drain} call) may gather while lanes have work:
   * no limit while the socket takes what it is given; after a turn that filled the socket, what
   * that turn wrote in all (at least one chunk); twice as much once a turn writes that much
   * whole. So the lane bytes committed to a gather and not written, which every lane's next
   * message waits behind, stay near one chunk on a slow link instead of a whole buffer. It is a
   * budget for the turn, not for each write: a socket that took a turn's first gather whole
   * has room for about the rest of the budget, not for twice the budget (that doubling, per
   * write, staged up to 215 KB ahead of the votes over a 100 Mbit/s link).
   */
  private int laneBudget = Integer.MAX_VALUE;
  /**
   * How far into this gather lane chunks may be scheduled: what is left of the turn's {@link
   * #laneBudget}; a gather schedules at least one chunk's worth of lane bytes all the same.
   */
  private int laneGather = Integer.MAX_VALUE;

  SocketWriter(NioConnection<?> connection, SocketChannel channel, PendingBytes budget,
      OutboundQueue queue, ControlQueue control, Coalescer coalescer, LaneScheduler lanes) {
    this.lanes = lanes;
    this.expiredNow = f -> timeOut(f, System.nanoTime());
    this.connection = connection;
    this.channel = channel;
    this.metrics = connection.metrics();
    this.budget = budget;
    this.queue = queue;
    this.control = control;
    this.coalescer = coalescer;
    this.pongsDrained = connection::onPongsDrained;
  }

  /** Ends the output after what is queued: {@code close} (or none), then the FIN. Once. */
  void requestEnd(OutboundFrame close) {
    closeFrame = close; // not counted in the pending bytes (so a close racing finish leaks none)
    endRequested = true;
  }

  boolean endRequested() {
    return endRequested;
  }

  /**
   * Whether frames are staged (taken out of the queues, not fully written), or sealed bytes wait.
   * Role holder.
   */
  boolean hasStaged() {
    return !staged.isEmpty() || (sealer != null && sealer.hasPending());
  }

  /**
   * Writes {@code frame} (a sender's own, nothing else being queued or staged) straight to the
   * socket, at most one buffer of it if {@code oneBuffer}, and stages what is left, as the
   * frame's own copy where it was borrowed. An error closes the connection and fails the frame.
   * Role holder.
   */
  void writeThrough(ByteBuffer frame, Kind kind, CompletableFuture<Void> promise,
      long deadlineNanos, long startDeadlineNanos, boolean oneBuffer, LaneScheduler.Out lane) {
    int size = frame.remaining();
    if (lane != null) {
      // Out of the lane's count now: written, or staged as a frame of its own (bounded by one)
      lane.pending.addAndGet(-size);
    }
    try {
      if (sealer == null) {
        writeDirect(frame, oneBuffer);
      } else {
        writeSealed(frame, oneBuffer);
      }
    } catch (Throwable t) { // an I/O error, or an Error such as no direct memory left
      budget.release(size);
      WriteHalf.fail(promise, connection.closeQuietly(t));
      return;
    }
    if (lane != null) {
      lane.sent.increment(); // written, or handed to the socket's staged bytes: it will be
    }
    if (!frame.hasRemaining() && (sealer == null || !sealer.hasPending())) {
      budget.release(size);
      metrics.writeThrough(size); // before completing: a waiter sees the count
      if (promise != null) {
        promise.complete(null);
      }
    } else {
      staged.addFirst(OutboundFrame.rest(kind,
          kind == Kind.MESSAGE ? WriteHalf.copy(frame) : frame, size, promise, deadlineNanos,
          startDeadlineNanos));
    }
  }

  /**
   * Copies {@code src} through the thread's direct buffer to the socket until done, full, or
   * (if {@code oneBuffer}) one buffer is written.
   */
  private void writeDirect(ByteBuffer src, boolean oneBuffer) throws IOException {
    ByteBuffer out = DIRECT.get();
    for (boolean first = true; src.hasRemaining() && (first || !oneBuffer); first = false) {
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

  /**
   * Seals {@code src} a record at a time and writes the records until done, the socket full, or
   * (if {@code oneBuffer}) one record written. Sealed bytes waiting go first.
   */
  private void writeSealed(ByteBuffer src, boolean oneBuffer) throws IOException {
    if (sealer.hasPending() && !sealer.writePending()) {
      return;
    }
    ByteBuffer plain = Sealer.plainBuffer();
    for (boolean first = true; src.hasRemaining() && (first || !oneBuffer); first = false) {
      plain.clear().limit(Sealer.GATHER);
      copySome(src, plain);
      if (!sealer.sealAndWrite(plain.flip())) {
        return;
      }
    }
  }

  /**
   * Writes until nothing is left ({@link #DONE}), the socket is full ({@link #FULL}) or {@code
   * gathers} buffers are written and more waits ({@link #TURN_UP}). Role holder.
   */
  int drain(int gathers) throws IOException {
    if (sealer != null) {
      return drainSealed(gathers);
    }
    ByteBuffer out = DIRECT.get();
    long taken = 0; // written in this turn
    for (int g = 0; ; g++) {
      if (outputShut) {
        return DONE;
      }
      if (sealer != null) {
        return drainSealed(gathers - g); // the handshake just went out: the rest is sealed
      }
      if (g == gathers) {
        return more() ? TURN_UP : DONE;
      }
      if (lanes != null) {
        laneGather = laneLimit(laneBudget, taken);
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
      taken += written;
      if (lanes != null) {
        laneBudget = nextLaneBudget(laneBudget, taken, written < copied, lanes.chunk());
      }
      if (written < copied) {
        return FULL;
      }
    }
  }

  /**
   * How far into a gather lane chunks may go when {@code taken} bytes of the turn's {@code
   * budget} are written: what is left of it ({@link Integer#MAX_VALUE}: no limit).
   */
  static int laneLimit(int budget, long taken) {
    return budget == Integer.MAX_VALUE ? budget : (int) Math.max(0, budget - taken);
  }

  /**
   * The turn's lane budget after a write, {@code taken} bytes written in the turn so far: if the
   * write filled the socket, what the turn took (at least a chunk); if the turn took the whole
   * budget without filling it, twice the budget (so a socket that keeps up is soon given whole
   * buffers again); otherwise unchanged.
   */
  static int nextLaneBudget(int budget, long taken, boolean full, int chunk) {
    if (full) {
      return (int) Math.max(chunk, Math.min(taken, Integer.MAX_VALUE - 1));
    }
    if (budget != Integer.MAX_VALUE && taken >= budget) {
      return budget >= DIRECT_BUFFER_SIZE ? Integer.MAX_VALUE : 2 * budget;
    }
    return budget;
  }

  /**
   * How many gathered buffers a sender's {@code flush()} of deferred frames writes: one on a
   * plaintext connection, then the write loop writes the rest. A sender that keeps queueing
   * ({@code sendLater} or {@code post} bursts) then goes back to encoding while the write loop
   * copies and writes on another core; writing its whole backlog itself, a saturated sender was
   * the bottleneck of many connections (docs/BENCHMARKS.md, "Scaling across cores"). On a sealed
   * connection it seals and writes everything: sealing is CPU work that, handed over, would pile
   * the sealing of every connection onto the one write loop. (A {@code send} writes until the
   * socket is full, as the write loop does: a sender that waits on its writability would only
   * wait for the write loop.) Role holder.
   */
  int flushGathers() {
    return sealer == null ? 1 : Integer.MAX_VALUE;
  }

  /** Whether anything waits that the holder could write now. */
  private boolean more() {
    return !staged.isEmpty() || !queue.isEmpty() || !control.isEmpty() || endRequested
        || (lanes != null && lanes.ready());
  }

  /**
   * {@link #drain} on a secure connection: each gather is sealed as one record. The frames of a
   * record complete once all of it is written.
   */
  private int drainSealed(int gathers) throws IOException {
    ByteBuffer plain = Sealer.plainBuffer();
    for (int g = 0; ; g++) {
      if (outputShut) {
        return DONE;
      }
      if (sealer.hasPending()) {
        if (!sealer.writePending()) {
          return FULL;
        }
        completeWritten(); // the record that waited is out: its frames are done
      }
      if (g == gathers) {
        return more() ? TURN_UP : DONE;
      }
      plain.clear().limit(Sealer.GATHER);
      int n = fill(plain);
      if (n == 0) {
        if (ending) {
          shutOutput(); // everything, the CLOSE included, is sealed and written
        }
        return DONE;
      }
      plain.flip();
      int copied = plain.remaining();
      advance(n, copied); // sealed bytes are committed: never gathered again
      if (copied > 0 && !sealer.sealAndWrite(plain)) {
        if (lanes != null) {
          laneGather = lanes.chunk(); // the socket is full: the next record holds one chunk
        }
        return FULL; // its frames complete when the rest of the record is written
      }
      if (lanes != null) {
        laneGather = laneGather >= DIRECT_BUFFER_SIZE ? Integer.MAX_VALUE : 2 * laneGather;
      }
      completeWritten();
    }
  }

  /**
   * Copies into {@code out} the staged frames, then waiting control frames, then queued
   * messages; at the end of the output, the CLOSE. Returns the frames touched. Stops after a
   * frame that installs a {@link Sealer}: what follows it is sealed.
   */
  private int fill(ByteBuffer out) {
    int n = 0;
    for (OutboundFrame f : staged) {
      if (!out.hasRemaining()) {
        return n;
      }
      n = copyInto(out, f, n);
      if (f.sealer != null) {
        return n;
      }
    }
    int fresh = out.position(); // what follows the staged rest
    long now = 0;
    while (out.hasRemaining() && !ending) {
      OutboundFrame f = control.isEmpty() ? null : control.poll(); // no lock per message
      if (f == null && (f = queue.poll()) != null) {
        if (now == 0) {
          now = System.nanoTime();
        }
        if (f.expiredBeforeStart(now)) {
          timeOut(f, now);
          continue;
        }
      }
      if (f == null && lanes != null) {
        if (out.position() >= laneGather && out.position() - fresh >= lanes.chunk()) {
          break; // the socket is slow: the lanes' next chunks wait for the next gather
        }
        f = lanes.next(staged.peekLast(), now == 0 ? (now = System.nanoTime()) : now,
            expiredNow);
        if (f != null) {
          if (f.staged) { // the lane's next chunk follows its last one: copy on
            copySome(f.bytes, out);
          } else {
            f.staged = true;
            staged.addLast(f);
            n = copyInto(out, f, n);
          }
          continue;
        }
        if (lanes.hasWork() && connection.writeHalf().creditEnded()) {
          lanes.failStalled(f2 -> {
            release(f2);
            f2.fail(new io.duplex.ConnectionClosedException("not sent: the peer closed its side"
                + " and can grant no more credit on lane " + f2.lane + " for this message"));
          });
        }
        if (lanes.hasWork()) {
          break; // lanes wait for credit; the end of the output waits behind them
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
      if (f.sealer != null) {
        return n;
      }
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
    advance(n, written);
    completeWritten();
  }

  /** Puts each of the {@code n} frames touched where {@code written} of their bytes left it. */
  private void advance(int n, int written) {
    int left = written;
    for (int i = 0; i < n; i++) {
      OutboundFrame f = batch[i];
      batch[i] = null;
      int copied = f.bytes.position() - batchStart[i];
      int done = Math.min(copied, left);
      left -= done;
      f.bytes.position(batchStart[i] + done);
    }
  }

  /** Completes the staged frames whose bytes are all written (and a batch's written messages). */
  private void completeWritten() {
    OutboundFrame head;
    while ((head = staged.peekFirst()) != null) {
      if (head.bytes.hasRemaining()) {
        if (head.batch != null) {
          head.batch.completeUpTo(head.bytes.position(), metrics);
        }
        return;
      }
      staged.pollFirst();
      if (head.lane >= 0) {
        head.staged = false;
        if (head.bytes.limit() < head.size) {
          continue; // a chunk is out; the lane's scheduler holds the rest of the message
        }
      }
      written(head);
    }
  }

  private void written(OutboundFrame f) {
    release(f);
    if (f.sealer != null) {
      sealer = f.sealer; // the handshake is written: from here on, every byte is sealed
    }
    switch (f.kind) {
      case BATCH:
        f.batch.completeUpTo(f.size, metrics);
        if (f.lane >= 0) {
          LaneScheduler.Out o = lanes.lane(f.lane);
          o.sent.add(f.frames);
          o.coalescer.recycle(f.batch);
        } else {
          coalescer.recycle(f.batch);
        }
        break;
      case MESSAGE:
      case SHARED:
        metrics.frameWritten(f.size); // before completing: a waiter sees the count
        if (f.lane >= 0) {
          LaneScheduler.Out o = lanes.lane(f.lane);
          o.sent.increment();
          LaneLayout.recycle(o, f); // before completing: nothing of it is read after this
        }
        f.succeed();
        break;
      case PONG:
        metrics.bytesOut.add(f.size);
        if (control.pongWritten()) {
          pongsDrained.run(); // the peer reads its PONGs again: so may we read it
        }
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
    connection.writeHalf().outputShut();
    try {
      channel.shutdownOutput();
    } catch (IOException e) {
      connection.closeWith(e);
      return;
    }
    connection.onOutputShut();
  }

  /**
   * Drops staged frames that have not started and whose deadline passed; returns true if a
   * started one passed its send deadline, which breaks the stream. Role holder (the write loop).
   */
  boolean expireStaged(long now) {
    for (Iterator<OutboundFrame> it = staged.iterator(); it.hasNext(); ) {
      OutboundFrame f = it.next();
      if (f.lane >= 0 && f.started()) {
        continue; // a lane message, once started, waits for credit as long as it takes
      }
      if (f.started()) {
        if (f.expired(now)) {
          return true;
        }
      } else if (f.expiredBeforeStart(now)) {
        it.remove();
        timeOut(f, now);
      }
    }
    return false;
  }

  /**
   * Fails a frame that waited past its deadline; its bytes no longer count, and a water mark
   * they cross is told, as for a written frame. Any claimer (none holds a sender's unconsumed
   * frame: see WriteHalf).
   */
  void timeOut(OutboundFrame f, long now) {
    release(f);
    if (f.lane >= 0) {
      lanes.lane(f.lane).dropped.increment();
    }
    if (f.missedStartDeadline(now)) {
      metrics.framesDropped.increment();
      Jfr.frameDropped(connection, f.size, "DEADLINE");
      f.fail(new FrameDroppedException(FrameDroppedException.Reason.DEADLINE, "frame dropped:"
          + " its deadline passed before it could start to this peer, which is reading slower"
          + " than you send; the connection stays open"));
    } else {
      metrics.sendsTimedOut(f.frames);
      f.fail(new SendTimeoutException("send timed out after "
          + connection.config().sendTimeout() + " before any byte was written: the peer is"
          + " reading slower than you send; the frame was dropped and the connection stays"
          + " open"));
    }
    if (budget.writabilityStale()) {
      budget.updateWritability();
    }
  }

  /** Fails the staged frames. Role holder. */
  void failStaged(ConnectionClosedException cause) {
    OutboundFrame f;
    while ((f = staged.pollFirst()) != null) {
      release(f);
      f.fail(cause);
    }
  }

  /** Counts a frame's bytes out of the pending bytes (and its lane's). Whoever claimed it. */
  void release(OutboundFrame f) {
    if (f.counted()) {
      budget.release(f.size);
    }
    if (f.lane >= 0) {
      lanes.release(f);
    }
  }
}
