package io.duplex.internal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * Log lines for failures that may repeat many times, a peer's at a time: one line per key (a
 * peer and a cause, say) at once, then nothing more for that key for the interval, after which
 * the next line says how many were left out. So a peer that fails the same way on every redial
 * is visible at the default log level without writing a line per attempt.
 *
 * <p>Thread-safe and lock-free: a compare-and-set on the key's next line time picks the thread
 * that writes it. At most {@value #MAX_KEYS} keys are tracked; past that, keys whose interval
 * has run out are forgotten, and lines for new keys are written without a limit of their own
 * until there is room again (a flood of distinct peers is bounded by the connection limits).
 */
public final class RateLimitedLog {
  static final int MAX_KEYS = 4096;

  private static final class Entry {
    final AtomicLong nextNanos;
    final AtomicInteger suppressed = new AtomicInteger();

    Entry(long nextNanos) {
      this.nextNanos = new AtomicLong(nextNanos);
    }
  }

  private final Logger log;
  private final long intervalNanos;
  private final ConcurrentHashMap<Object, Entry> entries = new ConcurrentHashMap<>();

  /** Writes to {@code log}, at most one line per key every {@code intervalMillis}. */
  public RateLimitedLog(Logger log, long intervalMillis) {
    this.log = log;
    this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMillis);
  }

  /**
   * Logs {@code message} (and {@code error}'s stack trace, if given) at {@code level}, unless a
   * line for {@code key} went out less than the interval ago; then it is only counted. Returns
   * whether the line was written.
   */
  public boolean log(Level level, Object key, String message, Throwable error) {
    if (!log.isEnabledForLevel(level)) {
      return false;
    }
    long now = System.nanoTime();
    Entry e = entries.get(key);
    if (e == null) {
      if (entries.size() >= MAX_KEYS) {
        forgetExpired(now);
      }
      if (entries.size() >= MAX_KEYS) {
        write(level, message, 0, error);
        return true;
      }
      Entry fresh = new Entry(now + intervalNanos);
      e = entries.putIfAbsent(key, fresh);
      if (e == null) {
        write(level, message, 0, error);
        return true;
      }
    }
    long next = e.nextNanos.get();
    if (now - next < 0 || !e.nextNanos.compareAndSet(next, now + intervalNanos)) {
      e.suppressed.incrementAndGet();
      return false;
    }
    write(level, message, e.suppressed.getAndSet(0), error);
    return true;
  }

  private void write(Level level, String message, int suppressed, Throwable error) {
    String line = suppressed == 0 ? message : message + " (" + suppressed + " more like it"
        + " since the previous line, not logged)";
    if (error != null) {
      log.atLevel(level).setCause(error).log(line);
    } else {
      log.atLevel(level).log(line);
    }
  }

  private void forgetExpired(long now) {
    entries.entrySet().removeIf(en -> now - en.getValue().nextNanos.get() >= 0
        && en.getValue().suppressed.get() == 0);
  }
}
