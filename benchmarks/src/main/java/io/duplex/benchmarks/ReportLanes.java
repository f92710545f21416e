package io.duplex.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.duplex.benchmarks.ReportTable.Bound;
import io.duplex.benchmarks.ReportTable.Cell;
import io.duplex.benchmarks.ReportTable.Direction;
import io.duplex.benchmarks.ReportTable.Target;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * The report's workload 6 ({@link LaneScenario}): votes behind 1 MiB blocks in the same
 * direction, one column per variant, each row with the lanes' targets beside it, met or missed.
 * The table judges {@value LaneScenario#DUPLEX_LANES} unless a target names the stalled or the
 * lent variant.
 */
final class ReportLanes {
  /** The table's columns: every variant, every JVM has them all. */
  static final List<String> COLUMNS = LaneScenario.VARIANTS;

  private ReportLanes() {}

  /** The section's table from one run of each variant ({@code results} keyed by variant). */
  static ReportTable table(Map<String, Outcome<LaneScenario.Result>> results, int seconds,
      boolean quick) {
    ReportTable table = ReportTable.withTargets("Votes behind blocks, same direction", COLUMNS,
        Set.copyOf(COLUMNS), LaneScenario.DUPLEX_LANES);
    table.row("Vote latency: p50 (ms)", Direction.LOWER_IS_BETTER,
        cells(results, r -> r.latency().getValueAtPercentile(50) / 1e6));
    table.row("Vote latency: p99 (ms)", Direction.LOWER_IS_BETTER,
        cells(results, r -> r.latency().getValueAtPercentile(99) / 1e6), List.of(
            Target.absolute(Bound.AT_MOST, 1, "ms"),
            Target.absolute(Bound.AT_MOST, 1, "ms").bestOf("lent",
                List.of(LaneScenario.DUPLEX_LANES_LENT)),
            Target.ratio(Bound.AT_MOST, 2, LaneScenario.DUPLEX_LANES).bestOf("stalled",
                List.of(LaneScenario.DUPLEX_LANES_STALLED))));
    table.row("Vote latency: p99.9 (ms)", Direction.LOWER_IS_BETTER,
        cells(results, r -> r.latency().getValueAtPercentile(99.9) / 1e6));
    table.row("Vote latency: max (ms)", Direction.LOWER_IS_BETTER,
        cells(results, r -> r.latency().getMaxValue() / 1e6));
    Map<String, Cell> votes = new LinkedHashMap<>();
    results.forEach((v, o) -> votes.put(v, o.succeeded() ? Cell.explained(String.format(
        Locale.ROOT, "%,d of %,d", o.value().votesReceived(), o.value().votesSent()))
        : Cell.failed(o.failure())));
    table.row("Votes received", Direction.HIGHER_IS_BETTER, votes);
    table.row("Block throughput (MB/s)", Direction.HIGHER_IS_BETTER,
        cells(results, LaneScenario.Result::blockMegabytesPerSecond), List.of(
            Target.ratio(Bound.AT_LEAST, 0.9, LaneScenario.DUPLEX_ONE_LANE)));
    table.note("One connection; A streams 1 MiB blocks to B as its backpressure allows"
        + " (`isWritable()` with the default water marks in duplex and Netty) and sends 100-byte"
        + " votes to B on the same connection at 1,000/s; B records each vote's latency from its"
        + " intended send time (first second warm-up; a vote never sent is charged as late as the"
        + " run's end). All variants raw bytes, plaintext. `duplex-lanes`: votes on a `consensus`"
        + " lane (weight 100), blocks on a `blocks` lane (weight 10), 32 KiB chunks;"
        + " `duplex-lanes-stalled`: the same, with B's block handler blocked for "
        + LaneScenario.STALL_SECONDS + " s once, 2 s in (its block MB/s counts the stall);"
        + " `duplex-lanes-lent`: the same lanes, B on the lent receive path (a payload handler on"
        + " its read loop; no decoded `byte[]`, no copy of a block). Other duplex handlers run off"
        + " the read loop (the default). Targets judge `duplex-lanes` unless they name \"stalled\""
        + " or \"lent\".");
    results.forEach((v, o) -> {
      if (o.succeeded() && o.value().problem() != null) {
        table.note("`" + v + "` reported: " + o.value().problem());
      }
    });
    table.note(quick ? "Quick run: " + seconds + " s per variant; noisy, for a smoke check, not"
        + " for quoting." : "Each variant ran " + seconds + " s in its own JVM ("
        + String.join(" ", ScenarioProcess.JVM_FLAGS) + "), one after the other.");
    return table;
  }

  /** {@code lanes: {variant: {...}}} for {@code scenarios.json}. */
  static void json(ObjectMapper json, ObjectNode parent,
      Map<String, Outcome<LaneScenario.Result>> results) {
    ObjectNode lanes = parent.putObject("lanes");
    results.forEach((v, o) -> ScenarioJson.put(lanes, v, o, r -> {
      ObjectNode node = ScenarioJson.latency(json, r.latency())
          .put("p999_us", r.latency().getValueAtPercentile(99.9) / 1e3)
          .put("votesSent", r.votesSent()).put("votesReceived", r.votesReceived())
          .put("blockMBps", r.blockMegabytesPerSecond());
      if (r.problem() != null) {
        node.put("problem", r.problem());
      }
      return node;
    }));
  }

  private static Map<String, Cell> cells(Map<String, Outcome<LaneScenario.Result>> results,
      ToDoubleFunction<LaneScenario.Result> metric) {
    Map<String, Cell> cells = new LinkedHashMap<>();
    results.forEach((v, o) -> cells.put(v, o.cell(metric)));
    return cells;
  }
}
