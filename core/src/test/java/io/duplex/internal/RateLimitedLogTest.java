package io.duplex.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;

class RateLimitedLogTest {
  /** A logger that keeps what it is given, at every level. */
  static final class Lines extends LegacyAbstractLogger {
    private static final long serialVersionUID = 1L;
    final List<String> lines = new CopyOnWriteArrayList<>();
    final List<Throwable> causes = new CopyOnWriteArrayList<>();
    Level threshold = Level.TRACE;

    @Override
    protected String getFullyQualifiedCallerName() {
      return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String message,
        Object[] arguments, Throwable throwable) {
      lines.add(level + " " + message);
      if (throwable != null) {
        causes.add(throwable);
      }
    }

    @Override
    public boolean isTraceEnabled() {
      return threshold.toInt() <= Level.TRACE.toInt();
    }

    @Override
    public boolean isDebugEnabled() {
      return threshold.toInt() <= Level.DEBUG.toInt();
    }

    @Override
    public boolean isInfoEnabled() {
      return threshold.toInt() <= Level.INFO.toInt();
    }

    @Override
    public boolean isWarnEnabled() {
      return threshold.toInt() <= Level.WARN.toInt();
    }

    @Override
    public boolean isErrorEnabled() {
      return true;
    }
  }

  @Test
  void shouldWriteOneLinePerKeyWithinTheIntervalAndCountTheRest() {
    Lines log = new Lines();
    RateLimitedLog limited = new RateLimitedLog(log, 60_000);
    for (int i = 0; i < 100; i++) {
      limited.log(Level.WARN, "peer-a/handshake", "peer a: codec differs " + i, null);
    }
    limited.log(Level.WARN, "peer-b/handshake", "peer b: codec differs", null);
    assertEquals(List.of("WARN peer a: codec differs 0", "WARN peer b: codec differs"),
        log.lines);
  }

  @Test
  void shouldSayHowManyWereLeftOutWhenTheIntervalHasPassed() {
    Lines log = new Lines();
    RateLimitedLog limited = new RateLimitedLog(log, 0);
    assertTrue(limited.log(Level.WARN, "k", "first", null));
    assertTrue(limited.log(Level.WARN, "k", "second", null), "an interval of 0 has passed");
    assertEquals(List.of("WARN first", "WARN second"), log.lines);

    Lines slow = new Lines();
    RateLimitedLog hourly = new RateLimitedLog(slow, 3_600_000);
    hourly.log(Level.INFO, "k", "first", null);
    assertFalse(hourly.log(Level.INFO, "k", "second", null));
    assertFalse(hourly.log(Level.INFO, "k", "third", null));
    assertEquals(1, slow.lines.size());
  }

  @Test
  void shouldCountNothingAndWriteNothingBelowTheLoggersLevel() {
    Lines log = new Lines();
    log.threshold = Level.INFO;
    RateLimitedLog limited = new RateLimitedLog(log, 60_000);
    assertFalse(limited.log(Level.DEBUG, "k", "hidden", null));
    assertTrue(limited.log(Level.WARN, "k", "shown", new IllegalStateException("boom")));
    assertEquals(List.of("WARN shown"), log.lines);
    assertEquals("boom", log.causes.get(0).getMessage());
  }

  @Test
  void shouldKeepWritingWhenMoreKeysThanItTracksArrive() {
    Lines log = new Lines();
    RateLimitedLog limited = new RateLimitedLog(log, 3_600_000);
    int keys = RateLimitedLog.MAX_KEYS + 10;
    for (int i = 0; i < keys; i++) {
      assertTrue(limited.log(Level.WARN, "peer-" + i, "line " + i, null), "key " + i);
    }
    assertEquals(keys, log.lines.size());
  }
}
