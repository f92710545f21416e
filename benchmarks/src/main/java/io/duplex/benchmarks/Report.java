package io.duplex.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.duplex.benchmarks.ReportCharts.Curve;
import io.duplex.benchmarks.ReportTable.Cell;
import io.duplex.benchmarks.ReportTable.Direction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.HdrHistogram.Histogram;
import org.openjdk.jmh.results.RunResult;

/**
 * Runs every workload against every plaintext baseline this JVM has ({@link
 * Baselines#available()} less {@value Baselines#NETTY_TLS}, which has no scenario and belongs
 * beside a secure duplex, not in this table) and prints one markdown table, duplex against the
 * best other baseline per metric, plus a codec table, and the zero-garbage targets judged from
 * the same runs ({@link ReportZeroGarbage}). Writes into the output directory: {@code
 * report.md}, {@code jmh.json}, {@code jmh-roundtrip.json} and {@code jmh-pinned.json}, {@code
 * scenarios.json}, the JMH and scenario logs and the PNG charts.
 *
 * <p>Then workload 6 ({@link ReportLanes}): votes behind blocks in the same direction, one
 * scenario JVM per {@link LaneScenario} variant, against the lanes' targets. {@code --lanes-only}
 * runs that section alone (about a minute; 25 s with {@code --quick}).
 *
 * <p>Then the secure channel ({@link ReportSecure}): plaintext and secure
 * duplex, Netty with and without TLS, against the secure channel's targets; its JMH runs are
 * separate ({@code jmh-secure.json}), so they leave the first table's numbers alone. {@code
 * --secure-only} runs that section alone (about 8 minutes; 1.5 with {@code --quick}).
 *
 * <pre>
 *   java -cp benchmarks/target/benchmarks.jar io.duplex.benchmarks.Report [--quick]
 *       [--secure-only | --lanes-only] [--out DIR]
 * </pre>
 *
 * <p>Every scenario runs in a JVM of its own ({@link ScenarioProcess}), one after the other, and
 * the JMH benchmarks in JMH's forks; all of them with a fixed, pre-touched 1 GiB heap. Both
 * matter here: run in one JVM, each scenario inherited the threads and heap of the ones before
 * (a locked slow-peer broadcast leaves blocked threads behind) and every baseline's p99 grew
 * several-fold; and on a virtual machine whose memory is mapped in on first touch, a heap that
 * grows into fresh pages charges page faults to whatever allocates (a 256 KiB array took 1 ms
 * instead of 17 us here).
 *
 * <p>{@code DIR} defaults to {@code benchmarks/target/report} under the working directory.
 * {@code --quick} (about 3 minutes on 2 CPUs, and 1.5 more for the secure section) keeps every
 * metric but shortens each: scenarios of 3 s instead of 10 s, JMH one 1 s warm-up and two 1 s
 * measured iterations.
 */
public final class Report {
  static final String DEFAULT_OUT = "benchmarks/target/report";
  /** The table's columns, whether or not this JVM has them all (those it lacks print n/a). */
  static final List<String> COLUMNS = List.of(Baselines.LOCKED, Baselines.VIRTUAL_THREADS,
      Baselines.NETTY, Baselines.DUPLEX);

  private final boolean quick;
  private final boolean secureOnly;
  private final boolean lanesOnly;
  private final Path out;
  private final int seconds;
  private final List<String> transports =
      Baselines.available().stream().filter(COLUMNS::contains).toList();
  private final ObjectMapper json = new ObjectMapper();
  private final ObjectNode scenariosJson = json.createObjectNode();

  Report(boolean quick, boolean secureOnly, boolean lanesOnly, Path out) {
    this.quick = quick;
    this.secureOnly = secureOnly;
    this.lanesOnly = lanesOnly;
    this.out = out;
    this.seconds = quick ? 3 : 10;
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("java.awt.headless", "true"); // before any AWT class loads
    boolean quick = false;
    boolean secureOnly = false;
    boolean lanesOnly = false;
    Path out = Path.of(DEFAULT_OUT);
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> quick = true;
        case "--secure-only" -> secureOnly = true;
        case "--lanes-only" -> lanesOnly = true;
        case "--out" -> {
          if (i + 1 == args.length) {
            usage("--out needs a directory");
          }
          out = Path.of(args[++i]);
        }
        default -> usage("unknown argument: " + args[i]);
      }
    }
    if (secureOnly && lanesOnly) {
      usage("--secure-only and --lanes-only exclude each other");
    }
    new Report(quick, secureOnly, lanesOnly, out).run();
    System.exit(0); // a baseline's stray non-daemon thread must not keep the JVM alive
  }

  private static void usage(String problem) {
    System.err.println(problem);
    System.err.println("usage: java -cp benchmarks.jar io.duplex.benchmarks.Report"
        + " [--quick] [--secure-only | --lanes-only] [--out DIR]");
    System.exit(2);
  }

  void run() throws IOException {
    Files.createDirectories(out);
    long started = System.nanoTime();
    String markdown = "# duplex benchmark report\n\n";
    if (lanesOnly) {
      markdown += lanes();
      Files.writeString(out.resolve("report.md"), markdown);
      System.out.println();
      System.out.println(markdown);
      log(String.format(Locale.ROOT, "done in %.0f s; files in %s",
          (System.nanoTime() - started) / 1e9, out.toAbsolutePath()));
      return;
    }
    if (!secureOnly) {
      log("baselines: " + transports + (quick ? " (quick)" : "") + "; output: "
          + out.toAbsolutePath());
      markdown += plaintext();
      Files.writeString(out.resolve("report.md"), markdown); // kept if the section below dies
      markdown += "\n" + lanes();
      Files.writeString(out.resolve("report.md"), markdown);
      markdown += "\n";
    }
    log("secure channel: " + ReportSecure.COLUMNS + (quick ? " (quick)" : "") + "; output: "
        + out.toAbsolutePath() + " (logs: jmh-secure.log, jmh-secure-handshakes.log)");
    Outcome<Collection<RunResult>> secure = jmh(() -> ReportSecure.run(quick, out));
    markdown += "## Secure channel\n\n" + ReportSecure.table(ReportSecure.cells(secure),
        new LinkedHashSet<>(Baselines.available()), quick).markdown();
    Files.writeString(out.resolve("report.md"), markdown);
    System.out.println();
    System.out.println(markdown);
    log(String.format(Locale.ROOT, "done in %.0f s; files in %s",
        (System.nanoTime() - started) / 1e9, out.toAbsolutePath()));
  }

  /** The plaintext section: scenarios, JMH, its table, the codec table and the charts. */
  private String plaintext() throws IOException {

    Map<String, Outcome<ConcurrencyScenario.Result>> votes = new LinkedHashMap<>();
    Map<String, Outcome<BroadcastScenario.Result>> slow = new LinkedHashMap<>();
    Map<String, Outcome<BroadcastScenario.Result>> none = new LinkedHashMap<>();
    for (String t : transports) {
      votes.put(t, scenario(ScenarioProcess.CONCURRENCY, t, ConcurrencyScenario.Result.class));
    }
    // The same with duplex on raw frames, as the baselines move them: duplex's JSON rows above
    // include the codec's cost (encoding and decoding 1 MiB as base64 on 2 CPUs), these do not.
    Map<String, Outcome<ConcurrencyScenario.Result>> rawVotes = new LinkedHashMap<>(votes);
    rawVotes.put(Baselines.DUPLEX, scenario(ScenarioProcess.CONCURRENCY,
        ConcurrencyScenario.DUPLEX_RAW, ConcurrencyScenario.Result.class));
    for (String t : transports) {
      slow.put(t, scenario(ScenarioProcess.BROADCAST_SLOW, t, BroadcastScenario.Result.class));
      none.put(t, scenario(ScenarioProcess.BROADCAST_NONE, t, BroadcastScenario.Result.class));
    }
    writeScenarios(votes, rawVotes.get(Baselines.DUPLEX), slow, none);

    log("JMH: throughput, codecs (log: " + out.resolve("jmh.log") + ")");
    Outcome<Collection<RunResult>> jmh = jmh(() -> ReportJmh.runAll(transports, quick, out));
    log("JMH: round trip (log: " + out.resolve("jmh-roundtrip.log") + ")");
    Outcome<Collection<RunResult>> roundTrips =
        jmh(() -> ReportJmh.runRoundTrips(transports, quick, out));
    Outcome<Collection<RunResult>> pinned;
    String pinnedNote = null;
    if (onPath("taskset")) {
      log("JMH: round trip pinned to CPU 0 (log: " + out.resolve("jmh-pinned.log") + ")");
      pinned = jmh(() -> ReportJmh.runPinned(transports, quick, out));
    } else {
      pinnedNote = "Pinned round trip: not run, `taskset` is not on the PATH.";
      pinned = Outcome.failed("no taskset");
    }

    ReportTable table = new ReportTable("Metric", COLUMNS,
        new LinkedHashSet<>(transports), Baselines.DUPLEX);
    latencyRows(table, "Votes during streaming (duplex: JSON)", votes, r -> r.latency());
    latencyRows(table, "Votes during streaming (duplex: raw frames)", rawVotes,
        r -> r.latency());
    table.row("1 MiB blocks streamed meanwhile (duplex: JSON)", Direction.HIGHER_IS_BETTER,
        cells(votes, r -> r.blocks()));
    table.row("1 MiB blocks streamed meanwhile (duplex: raw frames)",
        Direction.HIGHER_IS_BETTER, cells(rawVotes, r -> r.blocks()));
    latencyRows(table, "Broadcast, slow peer: fast peers", slow, r -> r.latency());
    Map<String, Cell> queued = cells(slow, r -> r.maxQueued());
    if (queued.containsKey(Baselines.LOCKED) && queued.get(Baselines.LOCKED).measured()) {
      // Nothing queued because its sender blocks: not a result to beat, so not compared.
      queued.put(Baselines.LOCKED, Cell.explained(
          ReportTable.number(queued.get(Baselines.LOCKED).value()) + " (its sender blocks)"));
    }
    table.row("Broadcast, slow peer: most bytes queued for it (B)", Direction.LOWER_IS_BETTER,
        queued);
    latencyRows(table, "Broadcast, no slow peer", none, r -> r.latency());
    ReportJmh.throughputRows(table, jmh, transports);
    ReportJmh.roundTripRows(table, roundTrips, transports, "unpinned");
    if (pinnedNote == null) {
      ReportJmh.roundTripRows(table, pinned, transports, "pinned to CPU 0");
    } else {
      ReportJmh.roundTripRows(table, null, transports, "pinned to CPU 0");
      table.note(pinnedNote);
    }
    notes(table);

    Map<String, Outcome<ConcurrencyScenario.Result>> voteCurves = new LinkedHashMap<>(votes);
    voteCurves.put(Baselines.DUPLEX + " (raw frames)", rawVotes.get(Baselines.DUPLEX));
    charts(voteCurves, slow, none, jmh, roundTrips, pinned);
    String zeroGarbage = ReportZeroGarbage.table(ReportZeroGarbage.cells(jmh, roundTrips,
        pinnedNote == null ? pinned : null, votes, rawVotes), new LinkedHashSet<>(transports),
        quick).markdown();
    return table.markdown() + "\n" + ReportJmh.codecTable(jmh).markdown()
        + "\n## Zero garbage: against the targets\n\n" + zeroGarbage;
  }

  /**
   * Workload 6, one scenario JVM per {@link LaneScenario} variant: its section of the report,
   * its results added to {@code scenarios.json}.
   */
  private String lanes() throws IOException {
    log("workload 6, votes behind blocks: " + ReportLanes.COLUMNS);
    Map<String, Outcome<LaneScenario.Result>> results = new LinkedHashMap<>();
    for (String variant : ReportLanes.COLUMNS) {
      results.put(variant, scenario(ScenarioProcess.LANES, variant, LaneScenario.Result.class));
    }
    scenariosJson.put("quick", quick).put("seconds", seconds);
    ReportLanes.json(json, scenariosJson, results);
    json.writerWithDefaultPrettyPrinter().writeValue(out.resolve("scenarios.json").toFile(),
        scenariosJson);
    return "## Workload 6: votes behind blocks, same direction\n\n"
        + ReportLanes.table(results, seconds, quick).markdown();
  }

  /** Runs one scenario in a JVM of its own (see {@link ScenarioProcess}). */
  private <T> Outcome<T> scenario(String kind, String transport, Class<T> type) {
    log(kind + " " + transport + " (" + seconds + " s, own JVM)");
    try {
      // A locked broadcast with a slow peer may run twice its length before it gives up.
      return Outcome.ok(type.cast(
          ScenarioProcess.fork(kind, transport, seconds, out, 3L * seconds + 60)));
    } catch (IOException | RuntimeException e) {
      log(kind + " " + transport + " failed: " + Outcome.reason(e));
      return Outcome.failed(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Outcome.failed(e);
    }
  }

  private interface JmhRun {
    Collection<RunResult> run() throws Exception;
  }

  private static Outcome<Collection<RunResult>> jmh(JmhRun run) {
    try {
      Collection<RunResult> results = run.run();
      return results.isEmpty() ? Outcome.failed("JMH produced no results") : Outcome.ok(results);
    } catch (Exception e) {
      log("JMH failed: " + Outcome.reason(e));
      return Outcome.failed(e);
    }
  }

  private <T> void latencyRows(ReportTable table, String name,
      Map<String, Outcome<T>> results, Function<T, Histogram> latency) {
    table.row(name + ": p50 (µs)", Direction.LOWER_IS_BETTER,
        cells(results, r -> latency.apply(r).getValueAtPercentile(50) / 1e3));
    table.row(name + ": p99 (µs)", Direction.LOWER_IS_BETTER,
        cells(results, r -> latency.apply(r).getValueAtPercentile(99) / 1e3));
    table.row(name + ": max (µs)", Direction.LOWER_IS_BETTER,
        cells(results, r -> latency.apply(r).getMaxValue() / 1e3));
  }

  private static <T> Map<String, Cell> cells(Map<String, Outcome<T>> results,
      ToDoubleFunction<T> metric) {
    Map<String, Cell> cells = new LinkedHashMap<>();
    results.forEach((t, outcome) -> cells.put(t, outcome.cell(metric)));
    return cells;
  }

  private void charts(Map<String, Outcome<ConcurrencyScenario.Result>> votes,
      Map<String, Outcome<BroadcastScenario.Result>> slow,
      Map<String, Outcome<BroadcastScenario.Result>> none,
      Outcome<Collection<RunResult>> jmh, Outcome<Collection<RunResult>> roundTrips,
      Outcome<Collection<RunResult>> pinned) {
    chart("concurrency.png", () -> ReportCharts.latency(out.resolve("concurrency.png"),
        "Vote latency while 1 MiB blocks stream the other way (lower is better; duplex: JSON)",
        curves(votes, ConcurrencyScenario.Result::latency)));
    chart("broadcast-slow.png", () -> ReportCharts.latency(out.resolve("broadcast-slow.png"),
        "Broadcast to 15 fast peers and 1 slow peer: fast-peer latency (lower is better)",
        curves(slow, BroadcastScenario.Result::latency)));
    chart("broadcast-none.png", () -> ReportCharts.latency(out.resolve("broadcast-none.png"),
        "Broadcast to 16 fast peers: latency (lower is better)",
        curves(none, BroadcastScenario.Result::latency)));
    if (jmh.succeeded()) {
      chart("throughput-*.png", () -> ReportJmh.throughputCharts(out, jmh.value(), transports));
    }
    if (roundTrips.succeeded()) {
      chart("roundtrip.png", () -> ReportJmh.roundTripChart(out.resolve("roundtrip.png"),
          roundTrips.value(), transports, "unpinned"));
    }
    if (pinned.succeeded()) {
      chart("roundtrip-pinned.png", () -> ReportJmh.roundTripChart(
          out.resolve("roundtrip-pinned.png"), pinned.value(), transports, "pinned to CPU 0"));
    }
  }

  private interface ChartWrite {
    void write() throws Exception;
  }

  private static void chart(String name, ChartWrite write) {
    try {
      write.write();
    } catch (Exception e) {
      log("chart " + name + " failed: " + Outcome.reason(e));
    }
  }

  private static <T> List<Curve> curves(Map<String, Outcome<T>> results,
      Function<T, Histogram> latency) {
    List<Curve> curves = new ArrayList<>();
    results.forEach((t, o) -> {
      if (o.succeeded()) {
        curves.add(Curve.ofNanos(t, latency.apply(o.value())));
      }
    });
    return curves;
  }

  private void writeScenarios(Map<String, Outcome<ConcurrencyScenario.Result>> votes,
      Outcome<ConcurrencyScenario.Result> duplexRaw,
      Map<String, Outcome<BroadcastScenario.Result>> slow,
      Map<String, Outcome<BroadcastScenario.Result>> none) throws IOException {
    scenariosJson.put("quick", quick).put("seconds", seconds);
    ObjectNode v = scenariosJson.putObject("concurrency");
    Map<String, Outcome<ConcurrencyScenario.Result>> all = new LinkedHashMap<>(votes);
    all.put(ConcurrencyScenario.DUPLEX_RAW, duplexRaw);
    all.forEach((t, o) -> ScenarioJson.put(v, t, o, r -> ScenarioJson.latency(json, r.latency())
        .put("votes", r.votes()).put("blocks", r.blocks())));
    broadcastJson("broadcast-slow", slow);
    broadcastJson("broadcast-none", none);
    json.writerWithDefaultPrettyPrinter().writeValue(out.resolve("scenarios.json").toFile(),
        scenariosJson);
  }

  private void broadcastJson(String name, Map<String, Outcome<BroadcastScenario.Result>> runs) {
    ObjectNode b = scenariosJson.putObject(name);
    runs.forEach((t, o) -> ScenarioJson.put(b, t, o, r -> ScenarioJson.latency(json, r.latency())
        .put("sent", r.sent()).put("maxQueuedBytes", r.maxQueued())));
  }

  private void notes(ReportTable table) {
    if (!transports.contains(Baselines.VIRTUAL_THREADS)) {
      table.note("virtual-threads: n/a, it needs JDK 21+ and a build with the jdk21 profile"
          + " (this JVM: " + Runtime.version().feature() + ").");
    }
    table.note("Latency rows: lower is better; throughput rows: higher is better. Scenario"
        + " latency is measured from each message's intended send time (first second warm-up);"
        + " each scenario ran in its own JVM (" + String.join(" ", ScenarioProcess.JVM_FLAGS)
        + ")."
        + " `locked` queues nothing for a slow peer: its broadcast blocks in the slow peer's"
        + " write instead, which the fast-peer rows show.");
    table.note(quick ? "Quick run: scenarios of " + seconds + " s, JMH 1 x 1 s warm-up and"
        + " 2 x 1 s measurement per benchmark; noisy, for a smoke check, not for quoting."
        : "Full run: scenarios of " + seconds + " s, JMH with each benchmark's own iterations.");
  }

  static boolean onPath(String command) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }

  private static void log(String line) {
    System.out.println("[report] " + line);
  }
}
