package io.duplex.nio.internal;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs tasks one at a time, in submission order, on an underlying executor: one per connection,
 * so a connection's events and messages never overlap while different connections run in
 * parallel. Tasks may be submitted from any thread.
 */
final class SerialExecutor implements Executor {
  /** Tasks run per turn before the executor yields its thread to other connections. */
  private static final int BATCH = 256;

  private final Executor executor;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  // True while a drain is scheduled or running on the executor; set by submitters (CAS), cleared
  // by the drain.
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final Runnable drain = this::drain;
  private final ErrorSink errors;

  /** Runs on {@code executor}, reporting task failures to {@code errors}. */
  SerialExecutor(Executor executor, ErrorSink errors) {
    this.executor = executor;
    this.errors = errors;
  }

  @Override
  public void execute(Runnable task) {
    tasks.offer(task);
    schedule();
  }

  private void schedule() {
    if (scheduled.compareAndSet(false, true)) {
      try {
        executor.execute(drain);
      } catch (RejectedExecutionException e) {
        // The user's executor was shut down first: run here rather than leave a future hanging.
        drain();
      }
    }
  }

  private void drain() {
    try {
      for (int i = 0; i < BATCH; i++) {
        Runnable task = tasks.poll();
        if (task == null) {
          break;
        }
        try {
          task.run();
        } catch (Throwable t) {
          errors.report(null, t);
        }
      }
    } finally {
      scheduled.set(false);
      if (!tasks.isEmpty()) {
        schedule();
      }
    }
  }
}
