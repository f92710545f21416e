package io.duplex.nio.internal;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Received messages waiting for the application, counted in messages and frame bytes. The read
 * loop offers; {@code receive} callers or the handler drain poll. One short lock guards the list
 * (the read loop holds it for one link, never across I/O).
 *
 * <p>It never refuses a message: the read loop stops reading the socket once {@link #isFull()}
 * and so may overshoot the limits by the messages of one read at most.
 */
final class InboundQueue {
  /** Returned by polls once the queue is closed and empty. */
  static final Object CLOSED = new Object();

  private static final class Node {
    final Object message;
    final int size;
    Node next;

    Node(Object message, int size) {
      this.message = message;
      this.size = size;
    }
  }

  private final int capacity;
  private final long maxBytes;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notEmpty = lock.newCondition();
  // Guarded by lock.
  private Node head;
  private Node tail;
  private int count;
  private long bytes;
  private boolean closed;

  InboundQueue(int capacity, long maxBytes) {
    this.capacity = capacity;
    this.maxBytes = maxBytes;
  }

  /**
   * Adds a message of {@code size} frame bytes. Called by the read loop.
   *
   * @return true if the queue is now full and the read loop should stop reading
   */
  boolean offer(Object message, int size) {
    Node node = new Node(message, size);
    lock.lock();
    try {
      if (tail == null) {
        head = node;
      } else {
        tail.next = node;
      }
      tail = node;
      count++;
      bytes += size;
      notEmpty.signal();
      return count >= capacity || bytes >= maxBytes;
    } finally {
      lock.unlock();
    }
  }

  /** The next message, {@link #CLOSED}, or null if none arrived within {@code timeoutNanos}. */
  Object poll(long timeoutNanos) throws InterruptedException {
    lock.lockInterruptibly();
    try {
      long left = timeoutNanos;
      while (head == null) {
        if (closed) {
          return CLOSED;
        }
        if (left <= 0) {
          return null;
        }
        left = notEmpty.awaitNanos(left);
      }
      return unlink();
    } finally {
      lock.unlock();
    }
  }

  /** The next message, {@link #CLOSED}, or null if there is none now. */
  Object pollNow() {
    lock.lock();
    try {
      if (head == null) {
        return closed ? CLOSED : null;
      }
      return unlink();
    } finally {
      lock.unlock();
    }
  }

  private Object unlink() {
    Node node = head;
    head = node.next;
    if (head == null) {
      tail = null;
    }
    count--;
    bytes -= node.size;
    return node.message;
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

  boolean isEmpty() {
    lock.lock();
    try {
      return head == null;
    } finally {
      lock.unlock();
    }
  }

  /** Messages waiting. */
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
