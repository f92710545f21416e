package io.duplex.examples;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The demo's closing table: one column per run (duplex with lanes, duplex without, the locked
 * design: those that ran), one row per figure.
 */
final class DemoSummary {
  private DemoSummary() {}

  static void print(List<Demo.Outcome> outcomes, int slowCount, PrintStream out) {
    List<String[]> rows = new ArrayList<>();
    List<String> header = new ArrayList<>(List.of(""));
    for (Demo.Outcome o : outcomes) {
      header.add(!o.mode().equals("split") ? "locked (one lock)"
          : o.lanes() ? "split (duplex, lanes)" : "split (duplex, no lanes)");
    }
    rows.add(header.toArray(new String[0]));
    row(rows, outcomes, "lanes (proposals / votes)", o -> !o.mode().equals("split") ? "-"
        : o.lanes() ? "on: blocks / consensus" : "off: one lane");
    row(rows, outcomes, "proposals made", o -> Long.toString(o.stats().proposals()));
    row(rows, outcomes, "fast nodes saw every proposal and vote", o -> o.complete() ? "yes"
        : String.format(Locale.ROOT, "NO: %d of %d blocks, %d of %d votes",
            o.stats().fastBlocksSeen(), o.stats().fastBlocksExpected(),
            o.stats().fastVotesFromFastSeen(), o.stats().fastVotesExpected()));
    row(rows, outcomes, "fast nodes' vote latency p50 / p99", o -> millis(
        o.stats().voteLatencyMicros(50) / 1e3) + " / " + millis(o.stats().voteLatencyMicros(99)
        / 1e3));
    row(rows, outcomes, "proposal propagation p50 / p99", o -> millis(
        o.stats().propagationMillis(50)) + " / " + millis(o.stats().propagationMillis(99)));
    row(rows, outcomes, "proposer's broadcast call p99", o -> millis(
        o.stats().broadcastCallMillis(99)));
    if (slowCount > 0) {
      int slowNode = outcomes.get(0).stats().nodes() - 1;
      row(rows, outcomes, "slow node saw blocks", o -> o.stats().blocksSeen(slowNode) + " of "
          + o.stats().proposalsByOthers(slowNode));
      row(rows, outcomes, "most one node held for the slow node", o -> o.mode().equals("split")
          ? mib(o.mostPending()) + " (limit " + mib(SplitNetwork.HARD_LIMIT)
              + (o.lanes() ? " + " + mib(SplitNetwork.VOTE_HARD_LIMIT) + " votes)" : ")")
          : "nothing: its senders block");
      row(rows, outcomes, "sends refused or failed", o -> o.mode().equals("split")
          ? Long.toString(o.stats().sendsNotDelivered())
          : "none: its senders wait");
    }
    int[] width = new int[header.size()];
    for (String[] r : rows) {
      for (int c = 0; c < r.length; c++) {
        width[c] = Math.max(width[c], r[c].length());
      }
    }
    out.println();
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < r.length; c++) {
        line.append(c == 0 ? "" : "  ").append(pad(r[c], width[c]));
      }
      out.println(line.toString().stripTrailing());
    }
  }

  private static void row(List<String[]> rows, List<Demo.Outcome> outcomes, String name,
      Function<Demo.Outcome, String> cell) {
    String[] r = new String[outcomes.size() + 1];
    r[0] = name;
    for (int i = 0; i < outcomes.size(); i++) {
      r[i + 1] = cell.apply(outcomes.get(i));
    }
    rows.add(r);
  }

  private static String pad(String s, int width) {
    return s + " ".repeat(width - s.length());
  }

  /** Milliseconds with sensible precision, or "-" for no samples. */
  static String millis(double ms) {
    if (ms < 0) {
      return "-";
    }
    return String.format(Locale.ROOT, ms < 10 ? "%.2f ms" : ms < 1000 ? "%.0f ms" : "%.1f s",
        ms < 1000 ? ms : ms / 1000);
  }

  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1 << 20));
  }
}
