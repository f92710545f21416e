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
 *   <li>at most {@value #MAX_PONGS} PONGs wait at once. A PING that finds them all waiting is
 *       answered by the newest of them instead, whose id becomes this PING's (the protocol lets a
 *       receiver answer only the latest of the PINGs it has not answered yet). Once that many
 *       wait, the read half stops reading the peer until they drain ({@link #offerPong} says
 *       when), so a peer that sends PINGs and never reads the PONGs is paused by TCP, not
 *       buffered;</li>
 *   <li>at most {@value #MAX_PINGS} PINGs wait at once; a {@code ping()} past that fails.</li>
 * </ul>
 *
 * <p>Threads: the read loop offers PONGs and the handshake, the timer and applications offer
 * PINGs, the write role holder takes frames, the closer clears. Every field is guarded by this
 * object's monitor, held for a few field updates, never across I/O or user code.
 */
final class ControlQueue {
  /** PONGs that may wait at once; reading pauses while this many wait. */
  static final int MAX_PONGS = 8;
  /** PINGs that may wait at once. */
  static final int MAX_PINGS = 64;

  private static final int ID_SIZE = 8;
  private static final int ID_OFFSET = Wire.HEADER_SIZE;

  private final ConnectionMetrics metrics;
  private final PendingBytes budget;
  // Guarded by this.
  private final ArrayDeque<OutboundFrame> frames = new ArrayDeque<>();
  private int pongs;
  private int pings;
  private OutboundFrame newestPong;
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

  /** Queues the handshake frame. Read loop, once, before any other frame. */
  synchronized void offerHandshake(ByteBuffer frame) {
    add(OutboundFrame.control(frame));
  }

  /**
   * Queues a PONG for PING {@code id}, or makes the newest waiting PONG answer it if {@value
   * #MAX_PONGS} wait already. Returns true if that many PONGs wait now: the caller (the read
   * loop) stops reading the peer until {@link #pongsBelowLimit()}. Read loop.
   */
  synchronized boolean offerPong(long id) {
    if (pongs < MAX_PONGS) {
      newestPong = OutboundFrame.control(idFrame(Wire.PONG, id));
      pongs++;
      add(newestPong);
    } else {
      newestPong.bytes.putLong(ID_OFFSET, id); // not taken yet: nobody else reads it
    }
    return pongs >= MAX_PONGS;
  }

  /** Whether fewer than {@value #MAX_PONGS} PONGs wait. Any thread. */
  synchronized boolean pongsBelowLimit() {
    return pongs < MAX_PONGS;
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
   * The oldest waiting control frame, or null. Role holder. Returns whether taking it let the
   * PONGs fall below their limit through {@code pongsDrained} (called after the lock is let go).
   */
  OutboundFrame poll(Runnable pongsDrained) {
    OutboundFrame f;
    boolean drained = false;
    synchronized (this) {
      f = frames.poll();
      if (f == null) {
        return null;
      }
      waiting = !frames.isEmpty();
      metrics.framesQueued.decrement();
      byte type = f.bytes.get(f.bytes.position() + Wire.LENGTH_SIZE);
      if (type == Wire.PONG) {
        drained = pongs-- == MAX_PONGS;
        if (f == newestPong) {
          newestPong = null;
        }
      } else if (type == Wire.PING) {
        pings--;
      }
    }
    if (drained) {
      pongsDrained.run();
    }
    return f;
  }

  /** Takes every waiting frame out, handing each to {@code dropped}. The closer. */
  void clear(Consumer<OutboundFrame> dropped) {
    OutboundFrame f;
    while ((f = poll(() -> { })) != null) {
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
