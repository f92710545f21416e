package io.duplex.nio.internal;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread and its own {@link Selector}. Each pass: run the commands other threads submitted,
 * select (handling ready keys with a consumer allocated once, so a pass makes no garbage), then
 * the subclass's timed work.
 *
 * <p>Other threads reach the loop only through {@link #execute} (the command queue) and {@link
 * #wakeup}. A wakeup costs a system call, so it is made at most once per pass however many
 * commands arrive: {@link #wakeupPending} is set by the first submitter to wake the selector
 * (compare-and-set) and cleared by the loop as each select returns. A submitter that finds it
 * set makes no call: the wakeup already made ends the select that is running or the next one,
 * and the commands run after it.
 *
 * <p><b>Busy-polling ({@code spinNanos > 0}, the low-latency mode).</b> After a pass that did work
 * (a key was ready or a command ran), the loop does not block: it polls the selector with {@code
 * selectNow} and its command queue, over and over, until {@code spinNanos} pass with nothing to
 * do, and only then blocks in {@code select}. While it polls, {@link #spinning} is set and
 * submitters skip the wakeup system call: the poll finds their command. Before blocking, the loop
 * clears {@code spinning}, then looks at the queue once more; a submitter offers its command,
 * then reads {@code spinning}. Both are volatile accesses, so either the submitter sees the flag
 * cleared and wakes the selector, or the loop sees the command and polls on.
 */
abstract class SelectorLoop implements Executor {
  private static final Logger log = LoggerFactory.getLogger(SelectorLoop.class);
  /** Consecutive early empty selects after which the loop treats the selector as spinning. */
  private static final int SPIN_THRESHOLD = 512;

  final String name;
  final Selector selector;
  final ErrorSink errors;
  private final Thread thread;
  private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
  // Any thread sets it (CAS) before waking the selector; the loop clears it after each select.
  private final AtomicBoolean wakeupPending = new AtomicBoolean();
  private final Consumer<SelectionKey> onReady = this::ready;
  private final LongAdder wakeups = new LongAdder();
  // Written by shutdown() on any thread, read by the loop.
  private volatile boolean running = true;
  /** How long the loop busy-polls after its last work before blocking; 0: never polls. */
  private final long spinNanos;
  /** The loop is polling, not blocked: no wakeup needed. Loop writes; submitters read. */
  private volatile boolean spinning;
  // Loop thread only.
  private int earlyEmptySelects;
  // Loop thread writes; volatile for spinLogged() (tests, diagnostics).
  private volatile boolean spinLogged;

  SelectorLoop(String name, ErrorSink errors) throws IOException {
    this(name, errors, 0);
  }

  SelectorLoop(String name, ErrorSink errors, long spinNanos) throws IOException {
    this.spinNanos = spinNanos;
    this.name = name;
    this.errors = errors;
    this.selector = Selector.open();
    this.thread = new LoopThread(this::run, name);
  }

  final void start() {
    thread.start();
  }

  final boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  /** Runs {@code command} on the loop thread at the start of its next pass. Any thread. */
  @Override
  public final void execute(Runnable command) {
    commands.offer(command);
    wakeup();
  }

  /** Wakes the selector if the loop may be blocked in it; at most once per pass. Any thread. */
  final void wakeup() {
    if (!inLoop() && !spinning && wakeupPending.compareAndSet(false, true)) {
      wakeups.increment();
      selector.wakeup();
    }
  }

  /** Times another thread woke this loop's selector. */
  final long wakeups() {
    return wakeups.sum();
  }

  /** How long the next select may block, in milliseconds (0: until woken). Loop thread. */
  abstract long selectTimeoutMillis();

  /** Handles one ready key. Loop thread; must not throw for one connection's trouble. */
  abstract void handle(SelectionKey key);

  /** Timed work after each select. Loop thread. */
  void afterSelect() {}

  private void ready(SelectionKey key) {
    try {
      handle(key);
    } catch (Throwable t) {
      errors.report(null, t);
    }
  }

  private void run() {
    try {
      long lastWork = System.nanoTime();
      while (running) {
        boolean worked = runCommands();
        if (spinNanos > 0) {
          if (!spinning) {
            spinning = true;
          }
          if (selector.selectNow(onReady) > 0 || worked) {
            lastWork = System.nanoTime();
            afterSelect();
            continue;
          }
          if (System.nanoTime() - lastWork < spinNanos) {
            Thread.yield(); // polls, but gives way: a peer thread on this CPU runs first
            afterSelect();
            continue;
          }
          spinning = false; // then look once more: a submitter may have skipped its wakeup
          // A wakeup made before the polling began was spent by a selectNow, and its flag
          // would stop the next submitter from waking the select below: clear it first.
          wakeupPending.set(false);
          if (!commands.isEmpty()) {
            continue;
          }
        }
        long timeout = selectTimeoutMillis();
        long start = System.nanoTime();
        int selected = timeout == 0 ? selector.select(onReady) : selector.select(onReady, timeout);
        // Cleared here, right after the select, not at the top of the pass: a wakeup made while
        // the loop was out of the select ends the next select at once, and must be known as one.
        boolean woken = wakeupPending.getAndSet(false);
        if (selected == 0 && !woken) {
          guardAgainstSpin(timeout, start);
        } else {
          earlyEmptySelects = 0;
        }
        afterSelect();
        lastWork = System.nanoTime(); // (polling mode: poll again after a blocking select)
      }
    } catch (Throwable t) {
      errors.report(null, t);
    } finally {
      spinning = false;
      closeAll();
    }
  }

  /** Runs the submitted commands; true if there was one. */
  private boolean runCommands() {
    Runnable command = commands.poll();
    if (command == null) {
      return false;
    }
    do {
      try {
        command.run();
      } catch (Throwable t) {
        errors.report(null, t);
      }
    } while ((command = commands.poll()) != null);
    return true;
  }

  /**
   * A select that returns at once with nothing selected, not woken and with no commands, again
   * and again, is the JDK/epoll spin: log it once and back off for a millisecond each time.
   */
  private void guardAgainstSpin(long timeoutMillis, long startNanos) {
    long elapsed = System.nanoTime() - startNanos;
    boolean early =
        timeoutMillis == 0 || elapsed < TimeUnit.MILLISECONDS.toNanos(timeoutMillis) / 2;
    if (!early || !commands.isEmpty() || !running) {
      earlyEmptySelects = 0;
      return;
    }
    if (++earlyEmptySelects >= SPIN_THRESHOLD) {
      if (!spinLogged) {
        spinLogged = true;
        log.warn("{}: selector returned empty {} times in a row without being woken; backing"
            + " off 1 ms per pass", name, earlyEmptySelects);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
  }

  /** Stops the loop and waits up to {@code timeoutMillis} for its thread to end. Any thread. */
  final void shutdown(long timeoutMillis) {
    running = false;
    selector.wakeup();
    if (!inLoop()) {
      try {
        thread.join(timeoutMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Whether the loop took its selector for a spinning one (and backs off). Any thread. */
  final boolean spinLogged() {
    return spinLogged;
  }

  final boolean isAlive() {
    return thread.isAlive();
  }

  private void closeAll() {
    runCommands();
    for (SelectionKey key : selector.keys()) {
      try {
        key.channel().close();
      } catch (IOException e) {
        errors.report(null, e);
      }
    }
    try {
      selector.selectNow();
      selector.close();
    } catch (IOException e) {
      errors.report(null, e);
    }
  }
}
