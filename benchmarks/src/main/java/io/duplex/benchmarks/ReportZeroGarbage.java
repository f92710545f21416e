package io.duplex.benchmarks;

import io.duplex.benchmarks.ReportTable.Bound;
import io.duplex.benchmarks.ReportTable.Cell;
import io.duplex.benchmarks.ReportTable.Direction;
import io.duplex.benchmarks.ReportTable.Target;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import org.HdrHistogram.Histogram;
import org.openjdk.jmh.results.RunResult;

/**
 * The report's zero-garbage section: the zero-garbage issue's targets, judged from the plaintext
 * section's own runs (no run of its own). Its columns add two duplex variants to the plaintext
 * table's: {@value Baselines#DUPLEX_BYTES}, streaming as duplex did before the lent path, and
 * {@value Baselines#DUPLEX_SPIN}, the low-latency mode's round trip, which the plaintext JMH runs
 * measure for this table.
 */
final class ReportZeroGarbage {
  /** The table's columns; {@value Baselines#VIRTUAL_THREADS} needs JDK 21+. */
  static final List<String> COLUMNS = List.of(Baselines.DUPLEX, Baselines.DUPLEX_BYTES,
      Baselines.DUPLEX_SPIN, Baselines.LOCKED, Baselines.VIRTUAL_THREADS, Baselines.NETTY);
  /** What the throughput runs measure: every column but the round trip's variant. */
  private static final List<String> THROUGHPUT = COLUMNS.stream()
      .filter(c -> !c.equals(Baselines.DUPLEX_SPIN)).toList();
  /** What the round-trip runs measure: every column but the throughput's variant. */
  private static final List<String> ROUND_TRIP = COLUMNS.stream()
      .filter(c -> !c.equals(Baselines.DUPLEX_BYTES)).toList();

  /** The table's rows, in order: what each measures, and its targets (from the issue). */
  enum Metric {
    MSGS_64_1("Throughput 64 B x 1 conn (msgs/s)", Direction.HIGHER_IS_BETTER, 64, 1, List.of(
        Target.ratio(Bound.AT_LEAST, 1, Baselines.DUPLEX_BYTES))),
    ALLOC_64_1("Throughput 64 B x 1 conn (B allocated/msg)", Direction.LOWER_IS_BETTER, 64, 1,
        List.of(Target.absolute(Bound.AT_MOST, 8, "B"))),
    MSGS_64_8("Throughput 64 B x 8 conn (msgs/s)", Direction.HIGHER_IS_BETTER, 64, 8, List.of(
        Target.ratio(Bound.AT_LEAST, 1, Baselines.VIRTUAL_THREADS))),
    ALLOC_64_8("Throughput 64 B x 8 conn (B allocated/msg)", Direction.LOWER_IS_BETTER, 64, 8,
        List.of(Target.absolute(Bound.AT_MOST, 8, "B"))),
    MSGS_4K_1("Throughput 4 KiB x 1 conn (msgs/s)", Direction.HIGHER_IS_BETTER, 4096, 1,
        List.of(Target.ratio(Bound.AT_LEAST, 1, Baselines.LOCKED))),
    ALLOC_4K_1("Throughput 4 KiB x 1 conn (B allocated/msg)", Direction.LOWER_IS_BETTER, 4096, 1,
        List.of(Target.absolute(Bound.AT_MOST, 64, "B"))),
    MSGS_4K_8("Throughput 4 KiB x 8 conn (msgs/s)", Direction.HIGHER_IS_BETTER, 4096, 8,
        List.of(Target.ratio(Bound.AT_LEAST, 1, Baselines.VIRTUAL_THREADS))),
    ALLOC_4K_8("Throughput 4 KiB x 8 conn (B allocated/msg)", Direction.LOWER_IS_BETTER, 4096, 8,
        List.of(Target.absolute(Bound.AT_MOST, 64, "B"))),
    RAW_VOTES_P99("Votes during streaming (duplex: raw frames, lent): p99 (µs)",
        Direction.LOWER_IS_BETTER, 0, 0, List.of(
            Target.absolute(Bound.AT_MOST, 1000, "µs"),
            Target.ratio(Bound.AT_MOST, 0.5, Baselines.NETTY))),
    JSON_VOTES_P99("Votes during streaming (duplex: JSON): p99 (µs)",
        Direction.LOWER_IS_BETTER, 0, 0, List.of()),
    ROUND_TRIP_UNPINNED("Round trip 64 B, unpinned: p50 (µs)", Direction.LOWER_IS_BETTER, 0, 0,
        List.of(Target.ratio(Bound.AT_MOST, 1, Baselines.LOCKED).bestOf("spin",
            List.of(Baselines.DUPLEX_SPIN)))),
    ROUND_TRIP_PINNED("Round trip 64 B, pinned to CPU 0: p50 (µs)", Direction.LOWER_IS_BETTER,
        0, 0, List.of(Target.ratio(Bound.AT_MOST, 1, Baselines.LOCKED).bestOf("spin",
            List.of(Baselines.DUPLEX_SPIN))));

    final String label;
    final Direction direction;
    /** A throughput row's message size and connections; 0 for the other rows. */
    final int size;
    final int connections;
    final List<Target> targets;

    Metric(String label, Direction direction, int size, int connections, List<Target> targets) {
      this.label = label;
      this.direction = direction;
      this.size = size;
      this.connections = connections;
      this.targets = targets;
    }

    boolean throughput() {
      return size > 0;
    }
  }

  private ReportZeroGarbage() {}

  /**
   * Every row's cells from the plaintext section's runs: {@code jmh} (throughput, with the GC
   * profiler, and codecs), {@code roundTrips} and {@code pinned} (round trips), {@code votes} and
   * {@code rawVotes} (workload 1, duplex with JSON and with raw frames received lent).
   */
  static Map<Metric, Map<String, Cell>> cells(Outcome<Collection<RunResult>> jmh,
      Outcome<Collection<RunResult>> roundTrips, Outcome<Collection<RunResult>> pinned,
      Map<String, Outcome<ConcurrencyScenario.Result>> votes,
      Map<String, Outcome<ConcurrencyScenario.Result>> rawVotes) {
    Map<Metric, Map<String, Cell>> cells = new EnumMap<>(Metric.class);
    for (Metric m : Metric.values()) {
      if (!m.throughput()) {
        continue;
      }
      Map<String, String> params = Map.of("size", "" + m.size,
          "connections", "" + m.connections);
      ToDoubleFunction<RunResult> metric = m.label.contains("allocated")
          ? r -> ReportJmh.secondary(r, "gc.alloc.rate.norm")
          : r -> r.getPrimaryResult().getScore();
      cells.put(m, ReportJmh.cells(jmh, THROUGHPUT, "ThroughputBenchmark.oneWay", params,
          metric));
    }
    cells.put(Metric.RAW_VOTES_P99, p99(rawVotes));
    cells.put(Metric.JSON_VOTES_P99, p99(votes));
    ToDoubleFunction<RunResult> p50 = r -> r.getPrimaryResult().getStatistics().getPercentile(50);
    cells.put(Metric.ROUND_TRIP_UNPINNED,
        ReportJmh.cells(roundTrips, ROUND_TRIP, "RoundTripBenchmark.pingPong", Map.of(), p50));
    cells.put(Metric.ROUND_TRIP_PINNED, pinned == null ? Map.of()
        : ReportJmh.cells(pinned, ROUND_TRIP, "RoundTripBenchmark.pingPong", Map.of(), p50));
    return cells;
  }

  private static Map<String, Cell> p99(Map<String, Outcome<ConcurrencyScenario.Result>> runs) {
    Map<String, Cell> cells = new LinkedHashMap<>();
    runs.forEach((t, o) -> cells.put(t, o.cell(r -> {
      Histogram h = r.latency();
      return h.getValueAtPercentile(99) / 1e3;
    })));
    return cells;
  }

  /**
   * The section's table. {@code available}: the baselines this JVM ran (the two duplex variants
   * are added: every JVM has them); a cell missing from {@code cells} prints n/a, and a row's
   * cells a benchmark did not run (the scenarios have no duplex variants) print n/a too.
   */
  static ReportTable table(Map<Metric, Map<String, Cell>> cells, Set<String> available,
      boolean quick) {
    Set<String> columns = new LinkedHashSet<>(available);
    columns.add(Baselines.DUPLEX_BYTES);
    columns.add(Baselines.DUPLEX_SPIN);
    ReportTable table = ReportTable.withTargets("Zero garbage", COLUMNS, columns,
        Baselines.DUPLEX);
    for (Metric m : Metric.values()) {
      table.row(m.label, m.direction, cells.getOrDefault(m, Map.of()), m.targets);
    }
    table.note("The zero-garbage issue's targets, from the runs above (the same JMH runs and"
        + " scenarios; none of its own). `duplex` streams with `post` (no future per message)"
        + " and receives on the lent path (a payload handler on its read loop, no message"
        + " decoded); `duplex-bytes` streams with `sendLater` and decodes a `byte[]` per message,"
        + " as duplex did before, the \"no slower than today\" reference; `duplex-spin` is the"
        + " round trip in the low-latency mode (`busyPoll` of " + Baselines.BUSY_POLL_MICROS
        + " µs on both sides). Bytes allocated per message: JMH's `-prof gc`, sender and"
        + " receiver together. The votes rows are workload 1's: duplex on raw frames received"
        + " lent at both ends, and with JSON.");
    if (!available.contains(Baselines.VIRTUAL_THREADS)) {
      table.note("virtual-threads: n/a, it needs JDK 21+ (this JVM: "
          + Runtime.version().feature() + "); its targets cannot be judged here.");
    }
    if (quick) {
      table.note("Quick run: noisy, for a smoke check, not for quoting.");
    }
    return table;
  }
}
