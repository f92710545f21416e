package io.duplex.benchmarks;

import io.duplex.benchmarks.ReportTable.Bound;
import io.duplex.benchmarks.ReportTable.Cell;
import io.duplex.benchmarks.ReportTable.Direction;
import io.duplex.benchmarks.ReportTable.Target;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The report's secure-channel section: plaintext duplex, duplex over its secure channel with
 * either suite, Netty with TLS 1.3 and plain Netty side by side, each row with the secure
 * channel's targets beside it, met or missed. Its JMH runs are its own (they write {@code
 * jmh-secure.json}), so the plaintext table's numbers do not depend on them.
 *
 * <p>Two JMH runs, because JMH overrides a parameter for every benchmark that has it: the streams
 * (throughput at 64 B and 4 KiB on one connection, with the GC profiler, and the round trip) over
 * the five {@link #COLUMNS}, then the handshakes ({@code TlsHandshakeBenchmark} over its secure
 * transports and {@code NoiseHandshakeBenchmark} over both suites). Both runs' results go into the
 * one JSON file.
 */
final class ReportSecure {
  /** The table's columns; every JVM has them all. */
  static final List<String> COLUMNS = List.of(Baselines.DUPLEX, Baselines.DUPLEX_SECURE,
      Baselines.DUPLEX_CHACHA, Baselines.NETTY_TLS, Baselines.NETTY);
  /** The columns {@code TlsHandshakeBenchmark} can run: the secure ones. */
  static final List<String> HANDSHAKE_COLUMNS = List.of(Baselines.DUPLEX_SECURE,
      Baselines.DUPLEX_CHACHA, Baselines.NETTY_TLS);
  static final String STREAMS = "io\\.duplex\\.benchmarks\\."
      + "(ThroughputBenchmark|RoundTripBenchmark)\\.";
  static final String HANDSHAKES = "io\\.duplex\\.benchmarks\\."
      + "(TlsHandshakeBenchmark|NoiseHandshakeBenchmark)\\.";

  /** The table's rows, in order: what each measures, and its targets (from the issue). */
  enum Metric {
    MSGS_64("Throughput 64 B x 1 conn (msgs/s)", Direction.HIGHER_IS_BETTER, List.of(
        Target.ratio(Bound.AT_LEAST, 0.40, Baselines.DUPLEX),
        Target.ratio(Bound.AT_LEAST, 2, Baselines.NETTY_TLS))),
    MBS_4K("Throughput 4 KiB x 1 conn (MB/s payload)", Direction.HIGHER_IS_BETTER, List.of(
        Target.ratio(Bound.AT_LEAST, 1, Baselines.NETTY_TLS),
        Target.absolute(Bound.AT_LEAST, 1000, "MB/s").bestOf("faster suite",
            List.of(Baselines.DUPLEX_SECURE, Baselines.DUPLEX_CHACHA)))),
    ROUND_TRIP_P50("Round trip 64 B: p50 (µs)", Direction.LOWER_IS_BETTER, List.of(
        Target.ratio(Bound.AT_MOST, 1.25, Baselines.DUPLEX),
        Target.ratio(Bound.AT_MOST, 1, Baselines.NETTY_TLS))),
    CONNECTIONS("New connections/s (connect + handshake + close)",
        Direction.HIGHER_IS_BETTER, List.of(
            Target.ratio(Bound.AT_LEAST, 1, Baselines.NETTY_TLS))),
    HANDSHAKE_CPU("Handshake CPU per side (µs)", Direction.LOWER_IS_BETTER, List.of(
        Target.absolute(Bound.AT_MOST, 2000, "µs"))),
    ALLOC_64("Allocated per 64 B msg (B)", Direction.LOWER_IS_BETTER, List.of(
        Target.plus(Bound.AT_MOST, Baselines.DUPLEX, 16, "B")));

    final String label;
    final Direction direction;
    final List<Target> targets;

    Metric(String label, Direction direction, List<Target> targets) {
      this.label = label;
      this.direction = direction;
      this.targets = targets;
    }
  }

  private ReportSecure() {}

  // ---- runs ----------------------------------------------------------------------------------

  /**
   * Both JMH runs; writes {@code jmh-secure.json} (their results together), {@code
   * jmh-secure.log} and {@code jmh-secure-handshakes.log}. Returns what both produced; a run
   * that fails costs its own rows.
   */
  static Collection<RunResult> run(boolean quick, Path out) throws RunnerException, IOException {
    List<RunResult> all = new ArrayList<>();
    RunnerException failure = null;
    try {
      all.addAll(new Runner(shorten(new OptionsBuilder().include(STREAMS)
          .param("transport", COLUMNS.toArray(String[]::new))
          .param("connections", "1") // sizes: the throughput benchmark's own, 64 and 4096
          .addProfiler(GCProfiler.class)
          .output(out.resolve("jmh-secure.log").toString()), quick).build()).run());
    } catch (RunnerException e) {
      failure = e;
    }
    try {
      all.addAll(new Runner(shorten(new OptionsBuilder().include(HANDSHAKES)
          .output(out.resolve("jmh-secure-handshakes.log").toString()), quick).build()).run());
    } catch (RunnerException e) {
      if (failure == null) {
        failure = e;
      } else {
        failure.addSuppressed(e);
      }
    }
    ResultFormatFactory.getInstance(ResultFormatType.JSON,
        out.resolve("jmh-secure.json").toString()).writeOut(all);
    if (all.isEmpty() && failure != null) {
      throw failure;
    }
    return all;
  }

  /**
   * Quick: one 1 s warm-up and two 1 s measured iterations, as the plaintext section. Otherwise
   * the benchmarks' own iterations: about 8 minutes for both runs on 2 CPUs.
   */
  private static ChainedOptionsBuilder shorten(ChainedOptionsBuilder options, boolean quick) {
    if (!quick) {
      return options;
    }
    return options.warmupIterations(1).warmupTime(TimeValue.seconds(1))
        .measurementIterations(2).measurementTime(TimeValue.seconds(1));
  }

  // ---- table ---------------------------------------------------------------------------------

  /** Every row's cells from the JMH results (each cell "failed: ..." when the run failed). */
  static Map<Metric, Map<String, Cell>> cells(Outcome<Collection<RunResult>> jmh) {
    String oneWay = "ThroughputBenchmark.oneWay";
    Map<String, String> small = Map.of("size", "64", "connections", "1");
    Map<Metric, Map<String, Cell>> cells = new EnumMap<>(Metric.class);
    cells.put(Metric.MSGS_64, ReportJmh.cells(jmh, COLUMNS, oneWay, small,
        r -> r.getPrimaryResult().getScore()));
    cells.put(Metric.MBS_4K, ReportJmh.cells(jmh, COLUMNS, oneWay,
        Map.of("size", "4096", "connections", "1"),
        r -> r.getPrimaryResult().getScore() * 4096 / 1e6));
    cells.put(Metric.ROUND_TRIP_P50, ReportJmh.cells(jmh, COLUMNS,
        "RoundTripBenchmark.pingPong", Map.of(),
        r -> r.getPrimaryResult().getStatistics().getPercentile(50)));
    cells.put(Metric.CONNECTIONS, ReportJmh.cells(jmh, HANDSHAKE_COLUMNS,
        "TlsHandshakeBenchmark.connectHandshakeClose", Map.of(),
        r -> r.getPrimaryResult().getScore()));
    Map<String, Cell> cpu = new LinkedHashMap<>();
    cpu.put(Baselines.DUPLEX_SECURE, halfHandshake(jmh, "AES_256_GCM"));
    cpu.put(Baselines.DUPLEX_CHACHA, halfHandshake(jmh, "CHACHA20_POLY1305"));
    cells.put(Metric.HANDSHAKE_CPU, cpu);
    cells.put(Metric.ALLOC_64, ReportJmh.cells(jmh, COLUMNS, oneWay, small,
        r -> ReportJmh.secondary(r, "gc.alloc.rate.norm")));
    return cells;
  }

  /** Both sides of the handshake on one thread: half of it is one side's CPU. */
  private static Cell halfHandshake(Outcome<Collection<RunResult>> jmh, String suite) {
    return jmh.cell(results -> ReportJmh.score(ReportJmh.find(results,
        "NoiseHandshakeBenchmark.bothSides", Map.of("suite", suite)),
        r -> r.getPrimaryResult().getScore() / 2));
  }

  /** The section's table from its cells; a row missing from {@code cells} prints n/a. */
  static ReportTable table(Map<Metric, Map<String, Cell>> cells, Set<String> available,
      boolean quick) {
    ReportTable table = ReportTable.withTargets("Secure channel", COLUMNS, available,
        Baselines.DUPLEX_SECURE);
    for (Metric m : Metric.values()) {
      table.row(m.label, m.direction, cells.getOrDefault(m, Map.of()), m.targets);
    }
    table.note("`duplex`: insecure plaintext; `duplex-secure`: Noise XX with AES-256-GCM, the"
        + " default suite; `duplex-chacha`: Noise XX with ChaCha20-Poly1305; `netty-tls`: `netty`"
        + " with an `SslHandler`, TLS 1.3, the JDK provider, mutual authentication. Targets judge"
        + " `duplex-secure` unless they name \"faster suite\" (the better of the two duplex"
        + " suites); a ratio in brackets is duplex-secure's value over the reference's.");
    table.note("Throughput: one-way, 256-frame bursts, one connection, sender and receiver in one"
        + " JVM; allocation is JMH's gc.alloc.rate.norm per frame, both ends together. Round trip:"
        + " 64 B ping-pong, unpinned. New connections/s: `TlsHandshakeBenchmark`, one connection"
        + " at a time, both ends in one JVM (plaintext transports have no handshake: n/a)."
        + " Handshake CPU per side: `NoiseHandshakeBenchmark.bothSides` (both sides of duplex's"
        + " handshake in memory, on one thread) halved; it has no Netty equivalent.");
    table.note(quick ? "Quick run: JMH 1 x 1 s warm-up and 2 x 1 s measurement per benchmark;"
        + " noisy, for a smoke check, not for quoting."
        : "Full run: JMH with each benchmark's own iterations (handshakes: 10 x 2 s warm-up).");
    return table;
  }
}
