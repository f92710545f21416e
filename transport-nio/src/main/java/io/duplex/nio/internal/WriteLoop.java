package io.duplex.nio.internal;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A write loop: flushes the connections whose socket was full when a sender tried (their write
 * half is PENDING), when the write selector says the socket can take more; and drops queued
 * frames whose send deadline passed. A connection that keeps up with its senders never reaches
 * this loop: senders write through.
 */
final class WriteLoop extends SelectorLoop {
  private final long tickNanos;
  // Loop thread only: connections registered for OP_WRITE.
  private final Set<NioConnection<?>> backlogged = new HashSet<>();
  private final List<NioConnection<?>> scratch = new ArrayList<>();
  private long nextExpiry;

  WriteLoop(String name, ErrorSink errors, long tickNanos, long spinNanos) throws IOException {
    super(name, errors, spinNanos);
    this.tickNanos = tickNanos;
  }

  /**
   * Asks the loop to flush {@code connection} when its socket is writable. Called by the thread
   * that moved the write half to PENDING, once per backlog.
   */
  void requestWrite(NioConnection<?> connection) {
    execute(() -> register(connection));
  }

  private void register(NioConnection<?> connection) {
    SelectionKey key = connection.channel().keyFor(selector);
    try {
      if (key == null) {
        connection.channel().register(selector, SelectionKey.OP_WRITE, connection);
      } else if (key.isValid()) {
        key.interestOps(SelectionKey.OP_WRITE);
      } else {
        return;
      }
    } catch (ClosedChannelException | java.nio.channels.CancelledKeyException e) {
      return; // the connection closed meanwhile; its close failed the frames
    }
    if (backlogged.isEmpty()) {
      nextExpiry = System.nanoTime() + tickNanos;
    }
    backlogged.add(connection);
  }

  @Override
  long selectTimeoutMillis() {
    if (backlogged.isEmpty()) {
      return 0;
    }
    return Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextExpiry - System.nanoTime()));
  }

  @Override
  void handle(SelectionKey key) {
    NioConnection<?> connection = (NioConnection<?>) key.attachment();
    if (!key.isValid()) {
      backlogged.remove(connection);
      return;
    }
    WriteHalf half = connection.writeHalf();
    half.onWritable();
    if (half.state() != WriteHalf.PENDING) {
      idle(key, connection);
    }
  }

  private void idle(SelectionKey key, NioConnection<?> connection) {
    backlogged.remove(connection);
    if (key.isValid()) {
      key.interestOps(0);
    }
  }

  @Override
  void afterSelect() {
    if (backlogged.isEmpty()) {
      return;
    }
    long now = System.nanoTime();
    if (now - nextExpiry < 0) {
      return;
    }
    nextExpiry = now + tickNanos;
    scratch.addAll(backlogged);
    for (NioConnection<?> connection : scratch) {
      WriteHalf half = connection.writeHalf();
      try {
        half.expire(now);
      } catch (Throwable t) {
        connection.closeWith(t); // one connection's trouble must not end the loop
      }
      int state = half.state();
      if (state == WriteHalf.CLOSED) {
        SelectionKey key = connection.channel().keyFor(selector);
        backlogged.remove(connection);
        if (key != null) {
          key.cancel();
        }
      }
    }
    scratch.clear();
  }
}
