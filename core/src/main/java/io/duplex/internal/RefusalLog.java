package io.duplex.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * WARN lines for refusals that may come by the thousand (a connection flood): the first is
 * logged at once; later ones within a second are only counted, and the next refusal after that
 * second, or the owner's next {@link #flush}, logs one summary line with the count and the
 * latest refusal; the owner's {@link #flushAll} when it closes logs the rest. So a flood writes
 * about a line a second, and the lines account for every refusal.
 *
 * <p>Thread-safe and lock-free: any thread may report or flush. A compare-and-set on the time of
 * the next line decides which thread writes it.
 */
public final class RefusalLog {
  private static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final Logger log;
  private final String summary;
  private final AtomicLong nextLineNanos = new AtomicLong(System.nanoTime());
  private final AtomicInteger unlogged = new AtomicInteger();
  private volatile String latest;

  /**
   * Logs to {@code log}; a summary line reads "N {@code summary} since the previous line;
   * latest: ...", so {@code summary} names what was refused, such as "inbound connections
   * refused by the connection limits".
   */
  public RefusalLog(Logger log, String summary) {
    this.log = log;
    this.summary = summary;
  }

  /** One refusal, described by {@code line}: the whole line if it is logged alone. */
  public void refused(String line) {
    latest = line;
    unlogged.incrementAndGet();
    flush(System.nanoTime());
  }

  /** Logs what is not logged yet, unless a line went out less than a second before {@code now}. */
  public void flush(long now) {
    if (unlogged.get() == 0) {
      return;
    }
    long next = nextLineNanos.get();
    if (now - next < 0 || !nextLineNanos.compareAndSet(next, now + INTERVAL_NANOS)) {
      return;
    }
    write();
  }

  /** Logs what is not logged yet, now, whatever the interval: for the owner's close. */
  public void flushAll() {
    nextLineNanos.set(System.nanoTime() + INTERVAL_NANOS);
    write();
  }

  private void write() {
    int count = unlogged.getAndSet(0);
    if (count == 1) {
      log.warn("{}", latest);
    } else if (count > 1) {
      log.warn("{} {} since the previous line; latest: {}", count, summary, latest);
    }
  }
}
