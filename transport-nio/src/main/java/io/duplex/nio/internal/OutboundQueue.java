package io.duplex.nio.internal;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * The message frames of one write half that wait for the socket, in the order they were queued,
 * with their deadlines. Lock-free: senders offer, the write role holder takes, and any thread may
 * take frames out to drop them (a deadline, {@code DROP_OLDEST}) or to fail them (the close).
 *
 * <p><b>Ownership.</b> A frame belongs to the one thread that claims it ({@link
 * OutboundFrame#claim()}): the holder that polls it, or the thread that drops or fails it. A
 * frame taken out of the middle of the queue is claimed first, then unlinked, so it is neither
 * written nor kept reachable once it is gone: what {@code pendingBytes} no longer counts, the heap
 * no longer holds. A claimed frame still linked (for the moment between the two steps) is
 * skipped by {@link #poll}.
 *
 * <p>Threads: {@code queue} and {@code deadlined} are concurrent queues; a frame's fields after
 * it is queued are touched only by the thread that claimed it. Nothing here runs user code:
 * whoever takes frames out completes their futures, at a time of its choosing.
 */
final class OutboundQueue {
  private final ConnectionMetrics metrics;
  private final ConcurrentLinkedQueue<OutboundFrame> queue = new ConcurrentLinkedQueue<>();
  /**
   * The queued frames that carry a start deadline (SHARED frames with {@code withDeadline}), in
   * queue order: deadlines that differ per frame, which a scan of the queue's head would miss.
   * Entries of frames claimed elsewhere are unlinked when claimed.
   */
  private final ConcurrentLinkedQueue<OutboundFrame> deadlined = new ConcurrentLinkedQueue<>();

  OutboundQueue(ConnectionMetrics metrics) {
    this.metrics = metrics;
  }

  /** Queues {@code frame} behind every frame queued before. Any thread. */
  void offer(OutboundFrame frame) {
    metrics.framesQueued.add(frame.frames);
    queue.offer(frame);
    if (frame.hasStartDeadline()) {
      deadlined.offer(frame);
    }
  }

  /** True when no frame waits (a claimed frame not yet unlinked may make it say false). */
  boolean isEmpty() {
    return queue.isEmpty();
  }

  /** The oldest frame nobody has claimed, now claimed by the caller; or null. Role holder. */
  OutboundFrame poll() {
    OutboundFrame f;
    while ((f = queue.poll()) != null) {
      if (f.claim()) {
        taken(f);
        if (f.hasStartDeadline()) {
          deadlined.remove(f);
        }
        return f;
      }
    }
    return null;
  }

  /**
   * Claims and unlinks droppable frames, oldest first, until at least {@code needed} bytes are
   * freed, and returns them; or returns null, dropping nothing, if the droppable frames queued
   * cannot free that much (dropping some would lose them and refuse the send all the same).
   * Their bytes are still counted: the caller releases them and fails them. Any thread.
   */
  List<OutboundFrame> dropOldest(long needed) {
    long droppable = 0;
    for (Iterator<OutboundFrame> it = queue.iterator(); it.hasNext() && droppable < needed; ) {
      OutboundFrame f = it.next();
      if (f.droppable() && !f.isClaimed()) {
        droppable += f.size;
      }
    }
    if (droppable < needed) {
      return null;
    }
    List<OutboundFrame> dropped = null;
    long freed = 0;
    for (Iterator<OutboundFrame> it = queue.iterator(); it.hasNext() && freed < needed; ) {
      OutboundFrame f = it.next();
      if (f.droppable() && f.claim()) {
        unlink(f);
        freed += f.size;
        if (dropped == null) {
          dropped = new ArrayList<>();
        }
        dropped.add(f);
      }
    }
    return dropped;
  }

  /**
   * Claims and unlinks, and hands to {@code expired}, the frames whose deadline passed before
   * they started: from the head of the queue up to the first that has not expired (send
   * deadlines are all "call time + send timeout", so they come nearly in queue order), and every
   * frame on the start-deadline list up to the first that has not (those are only nearly in
   * order too). Any thread; {@code expired} runs on it.
   */
  void expire(long now, Consumer<OutboundFrame> expired) {
    OutboundFrame head;
    while ((head = queue.peek()) != null && (head.isClaimed() || head.expiredBeforeStart(now))) {
      if (queue.remove(head) && head.claim()) {
        taken(head);
        if (head.hasStartDeadline()) {
          deadlined.remove(head);
        }
        expired.accept(head);
      }
    }
    OutboundFrame f;
    while ((f = deadlined.peek()) != null) {
      if (!f.isClaimed() && !f.expiredBeforeStart(now)) {
        return;
      }
      deadlined.remove(f);
      if (f.claim()) {
        queue.remove(f);
        taken(f);
        expired.accept(f);
      }
    }
  }

  /** Claims and unlinks every frame left, handing each to {@code failed}. Any thread. */
  void clear(Consumer<OutboundFrame> failed) {
    OutboundFrame f;
    while ((f = poll()) != null) {
      failed.accept(f);
    }
    deadlined.clear();
  }

  private void unlink(OutboundFrame f) {
    queue.remove(f);
    if (f.hasStartDeadline()) {
      deadlined.remove(f);
    }
    taken(f);
  }

  private void taken(OutboundFrame f) {
    metrics.framesQueued.add(-f.frames);
  }
}
