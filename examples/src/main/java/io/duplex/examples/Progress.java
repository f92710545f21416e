package io.duplex.examples;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The demo's progress: on a terminal, one line rewritten in place about five times a second;
 * otherwise a plain line every five seconds. Used by the demo's main thread only.
 */
final class Progress {
  private final String label;
  private final boolean queues;
  private final PrintStream out;
  private final boolean terminal;
  private final int fastNodes;
  private final long every;
  private long next;

  /**
   * Progress of the run called {@code label}; {@code queues} if its design queues bytes for the
   * slow node (duplex), so that the line shows the most held.
   */
  Progress(String label, boolean queues, PrintStream out, boolean terminal, int fastNodes) {
    this.label = label;
    this.queues = queues;
    this.out = out;
    this.terminal = terminal;
    this.fastNodes = fastNodes;
    this.every = terminal ? TimeUnit.MILLISECONDS.toNanos(200) : TimeUnit.SECONDS.toNanos(5);
    this.next = every;
  }

  void maybePrint(DemoStats stats, long mostPending, long elapsedNanos) {
    if (elapsedNanos >= next) {
      next += every;
      print(stats, mostPending, elapsedNanos, false);
    }
  }

  void finish(DemoStats stats, long mostPending, long elapsedNanos) {
    print(stats, mostPending, elapsedNanos, true);
  }

  private void print(DemoStats stats, long mostPending, long elapsedNanos, boolean last) {
    String line = String.format(Locale.ROOT, "[%-6s] %5.1f s  proposals %4d  fast nodes (%d) saw"
        + " blocks %6d votes %7d  vote latency p50 %s p99 %s  held for slow node %s", label,
        elapsedNanos / 1e9, stats.proposals(), fastNodes, stats.fastBlocksSeen(),
        stats.fastVotesSeen(), DemoSummary.millis(stats.voteLatencyMicros(50) / 1e3),
        DemoSummary.millis(stats.voteLatencyMicros(99) / 1e3),
        queues ? DemoSummary.mib(mostPending) : "-");
    if (terminal) {
      out.print("\r" + line + (last ? System.lineSeparator() : ""));
    } else {
      out.println(line);
    }
    out.flush();
  }
}
