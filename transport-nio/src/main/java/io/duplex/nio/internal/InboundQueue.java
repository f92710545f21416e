package io.duplex.nio.internal;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Received messages waiting for the application, one list per lane (one list without lanes),
 * counted in messages and frame bytes. The read loop offers; {@code receive} callers or the
 * handler drains poll. One short lock guards every list (the read loop holds it for one link,
 * never across I/O).
 *
 * <p>It never refuses a message. Without lanes, the read loop stops reading the socket once
 * {@link #isFull()} and so may overshoot the limits by the messages of one read at most; with
 * lanes, each lane's credit bounds what its list holds.
 */
final class InboundQueue {
  /** A message and what it cost; {@link #CLOSED} once the queue is closed and empty. */
  static final class Node {
    final Object message;
    final int size;
    final int lane;
    final long seq;
    Node next;

    Node(Object message, int size, int lane, long seq) {
      this.message = message;
      this.size = size;
      this.lane = lane;
      this.seq = seq;
    }
  }

  /** Returned by polls once the queue is closed and empty. */
  static final Node CLOSED = new Node(null, 0, 0, 0);

  private final int capacity;
  private final long maxBytes;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notEmpty = lock.newCondition();
  // Guarded by lock.
  private final Node[] heads;
  private final Node[] tails;
  private long nextSeq;
  private int count;
  private long bytes;
  private boolean closed;

  InboundQueue(int lanes, int capacity, long maxBytes) {
    this.capacity = capacity;
    this.maxBytes = maxBytes;
    this.heads = new Node[lanes];
    this.tails = new Node[lanes];
  }

  /**
   * Adds a message of {@code size} bytes on {@code lane}. Called by the read loop.
   *
   * @return true if the queue is now full (without lanes: the read loop should stop reading)
   */
  boolean offer(int lane, Object message, int size) {
    lock.lock();
    try {
      Node node = new Node(message, size, lane, nextSeq++);
      if (tails[lane] == null) {
        heads[lane] = node;
      } else {
        tails[lane].next = node;
      }
      tails[lane] = node;
      count++;
      bytes += size;
      notEmpty.signal();
      return count >= capacity || bytes >= maxBytes;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The oldest message of any lane, {@link #CLOSED}, or null if none arrived within {@code
   * timeoutNanos}.
   */
  Node poll(long timeoutNanos) throws InterruptedException {
    lock.lockInterruptibly();
    try {
      long left = timeoutNanos;
      for (; ; ) {
        int lane = oldestLane();
        if (lane >= 0) {
          return unlink(lane);
        }
        if (closed) {
          return CLOSED;
        }
        if (left <= 0) {
          return null;
        }
        left = notEmpty.awaitNanos(left);
      }
    } finally {
      lock.unlock();
    }
  }

  /** The oldest message of any lane, or null if there is none now (closed or not). */
  Node pollOldest() {
    lock.lock();
    try {
      int lane = oldestLane();
      return lane < 0 ? null : unlink(lane);
    } finally {
      lock.unlock();
    }
  }

  /** The next message of {@code lane}, {@link #CLOSED}, or null if there is none now. */
  Node pollNow(int lane) {
    lock.lock();
    try {
      if (heads[lane] == null) {
        return closed ? CLOSED : null;
      }
      return unlink(lane);
    } finally {
      lock.unlock();
    }
  }

  private int oldestLane() {
    int best = -1;
    for (int i = 0; i < heads.length; i++) {
      if (heads[i] != null && (best < 0 || heads[i].seq < heads[best].seq)) {
        best = i;
      }
    }
    return best;
  }

  private Node unlink(int lane) {
    Node node = heads[lane];
    heads[lane] = node.next;
    if (heads[lane] == null) {
      tails[lane] = null;
    }
    node.next = null;
    count--;
    bytes -= node.size;
    return node;
  }

  /** True when the read loop should stop reading: too many messages or bytes waiting. */
  boolean isFull() {
    lock.lock();
    try {
      return count >= capacity || bytes >= maxBytes;
    } finally {
      lock.unlock();
    }
  }

  /** True when {@code lane} has no message waiting. */
  boolean isEmpty(int lane) {
    lock.lock();
    try {
      return heads[lane] == null;
    } finally {
      lock.unlock();
    }
  }

  /** Messages waiting, on every lane. */
  int size() {
    lock.lock();
    try {
      return count;
    } finally {
      lock.unlock();
    }
  }

  /** No more messages will come: waiting and later polls get {@link #CLOSED} once it is empty. */
  void close() {
    lock.lock();
    try {
      closed = true;
      notEmpty.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
