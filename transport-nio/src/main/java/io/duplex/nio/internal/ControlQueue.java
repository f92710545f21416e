package io.duplex.nio.internal;

import io.duplex.internal.Wire;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * The control frames of one write half (HANDSHAKE, PING, PONG) that wait for the socket. They go
 * ahead of queued messages at the next frame boundary, and they are bounded by count, not by the
 * hard limit, so that neither a full message queue nor a hostile peer can make them grow:
 *
 * <ul>
 *   <li>at most {@value #MAX_PONGS} PONGs are <em>owed</em> at once: queued here, or taken by
 *       the write role holder and not yet written to the socket. A PING read while that many are
 *       owed is answered by the newest PONG still queued, whose id becomes this PING's (the
 *       protocol lets a receiver answer only the latest of the PINGs it has not answered yet);
 *       if none is still queued, by a PONG queued as soon as an owed one is written. While that
 *       many are owed the read half stops reading the peer ({@link #offerPong} says when), and
 *       it reads again once the socket takes one ({@link #pongWritten}): a peer that sends PINGs
 *       and never reads the PONGs is held back by TCP, not buffered;</li>
 *   <li>at most {@value #MAX_PINGS} PINGs wait at once; a {@code ping()} past that fails.</li>
 * </ul>
 *
 * <p>Threads: the read loop offers PONGs and the handshake, the timer and applications offer
 * PINGs, the write role holder takes frames and reports PONGs written, the closer clears. Every
 * field is guarded by this object's monitor, held for a few field updates, never across I/O or
 * user code.
 */
final class ControlQueue {
  /** PONGs that may be owed at once; reading pauses while this many are. */
  static final int MAX_PONGS = 8;
  /** PINGs that may wait at once. */
  static final int MAX_PINGS = 64;

  private static final int ID_SIZE = 8;
  private static final int ID_OFFSET = Wire.HEADER_SIZE;

  private final ConnectionMetrics metrics;
  private final PendingBytes budget;
  // Guarded by this.
  private final ArrayDeque<OutboundFrame> frames = new ArrayDeque<>();
  private int owedPongs;
  private int pings;
  /** The newest PONG still queued (not taken by a holder), or null. */
  private OutboundFrame newestPong;
  /** The id of a PING to answer once an owed PONG is written, or 0. */
  private long deferredPong;
  /** Per lane, the CREDIT frame queued and not taken yet, which a new grant adds to; lazily. */
  private OutboundFrame[] credits;
  // Mirrors !frames.isEmpty() for a check without the lock; written under it.
  private volatile boolean waiting;

  ControlQueue(ConnectionMetrics metrics, PendingBytes budget) {
    this.metrics = metrics;
    this.budget = budget;
  }

  /** Whether a control frame waits. Any thread, without the lock. */
  boolean isEmpty() {
    return !waiting;
  }

  /**
   * Queues handshake bytes, and the sealer for what follows them (or null). Read loop, before
   * any frame but other handshake bytes.
   */
  synchronized void offerHandshake(ByteBuffer bytes, Sealer sealer) {
    add(OutboundFrame.handshake(bytes, sealer));
  }

  /**
   * Answers PING {@code id}: queues a PONG, or lets the newest queued PONG (or the next one)
   * answer it if {@value #MAX_PONGS} are owed already. Returns true if that many are owed now:
   * the caller (the read loop) stops reading the peer. Read loop.
   */
  synchronized boolean offerPong(long id) {
    if (owedPongs < MAX_PONGS) {
      queuePong(id);
    } else if (newestPong != null) {
      newestPong.bytes.putLong(ID_OFFSET, id); // not taken yet: nobody else reads it
    } else {
      deferredPong = id;
    }
    return owedPongs >= MAX_PONGS;
  }

  private void queuePong(long id) {
    owedPongs++;
    newestPong = OutboundFrame.pong(idFrame(Wire.PONG, id));
    add(newestPong);
  }

  /** Whether fewer than {@value #MAX_PONGS} PONGs are owed. Any thread. */
  synchronized boolean pongsBelowLimit() {
    return owedPongs < MAX_PONGS;
  }

  /**
   * The socket took a PONG. Returns true if that brought the PONGs owed below their bound: the
   * caller lets the read half read again. Role holder.
   */
  synchronized boolean pongWritten() {
    owedPongs--;
    if (deferredPong != 0) {
      queuePong(deferredPong);
      deferredPong = 0;
    }
    return owedPongs == MAX_PONGS - 1;
  }

  /**
   * Queues a PING for {@code id}; returns false, queuing nothing, if {@value #MAX_PINGS} wait
   * already. Any thread.
   */
  synchronized boolean offerPing(long id) {
    if (pings >= MAX_PINGS) {
      return false;
    }
    pings++;
    add(OutboundFrame.control(idFrame(Wire.PING, id)));
    return true;
  }

  /**
   * Grants the peer {@code bytes} more on {@code lane}: adds them to the CREDIT frame of the lane
   * still queued, or queues one. So at most one CREDIT per lane waits. Any thread.
   */
  synchronized void offerCredit(int lane, long bytes) {
    if (credits == null) {
      credits = new OutboundFrame[io.duplex.Lane.MAX_LANES];
    }
    OutboundFrame queued = credits[lane];
    if (queued != null) {
      int at = Wire.HEADER_SIZE + 1;
      queued.bytes.putInt(at, (int) (queued.bytes.getInt(at) + bytes));
      return;
    }
    ByteBuffer frame = ByteBuffer.allocate(Wire.HEADER_SIZE + 5);
    frame.putInt(Wire.TYPE_SIZE + 5).put(Wire.CREDIT).put((byte) lane).putInt((int) bytes).flip();
    credits[lane] = OutboundFrame.control(frame);
    add(credits[lane]);
  }

  /** The oldest waiting control frame, now the caller's, or null. Role holder. */
  synchronized OutboundFrame poll() {
    OutboundFrame f = frames.poll();
    if (f == null) {
      return null;
    }
    waiting = !frames.isEmpty();
    metrics.framesQueued.decrement();
    if (f == newestPong) {
      newestPong = null;
    } else if (f.kind == OutboundFrame.Kind.CONTROL) {
      byte type = f.bytes.get(f.bytes.position() + Wire.LENGTH_SIZE);
      if (type == Wire.PING) {
        pings--;
      } else if (type == Wire.CREDIT) {
        credits[f.bytes.get(f.bytes.position() + Wire.HEADER_SIZE)] = null;
      }
    }
    return f;
  }

  /** Takes every waiting frame out, handing each to {@code dropped}. The closer. */
  void clear(Consumer<OutboundFrame> dropped) {
    OutboundFrame f;
    while ((f = poll()) != null) {
      dropped.accept(f);
    }
  }

  private void add(OutboundFrame f) {
    budget.add(f.size);
    metrics.framesQueued.increment();
    frames.offer(f);
    waiting = true;
  }

  private static ByteBuffer idFrame(byte type, long id) {
    ByteBuffer frame = ByteBuffer.allocate(Wire.HEADER_SIZE + ID_SIZE);
    frame.putInt(Wire.TYPE_SIZE + ID_SIZE).put(type).putLong(id).flip();
    return frame;
  }
}
