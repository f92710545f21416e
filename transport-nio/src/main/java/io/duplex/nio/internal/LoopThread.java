package io.duplex.nio.internal;

/**
 * A thread that serves many connections of a transport: a read or write loop, or the timer. A
 * write role holder running on one writes one buffer at most, whichever connection it writes
 * (a handler on read loop 0 may send on a connection of loop 1), and hands the rest to that
 * connection's write loop, so no one connection's backlog stalls every other one.
 */
final class LoopThread extends Thread {
  LoopThread(Runnable task, String name) {
    super(task, name);
    setDaemon(true);
  }

  /** Whether the calling thread is one of any transport's loops or timers. */
  static boolean current() {
    return Thread.currentThread() instanceof LoopThread;
  }
}
