package io.duplex.benchmarks;

import io.duplex.benchmarks.ReportCharts.Curve;
import io.duplex.benchmarks.ReportTable.Cell;
import io.duplex.benchmarks.ReportTable.Direction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The JMH half of the report: throughput and codecs in one JMH run ({@code jmh.json}, with the GC
 * profiler for bytes per message), the round trip in another ({@code jmh-roundtrip.json}) and
 * again pinned to CPU 0 ({@code jmh-pinned.json}), and the rows and charts made from the results.
 * Two runs, not one, because JMH gives every benchmark with a parameter the same values: the
 * throughput run adds {@value Baselines#DUPLEX_BYTES} to the baselines, the round trips {@value
 * Baselines#DUPLEX_SPIN} (each runs in one benchmark only), for the zero-garbage section.
 * Throughput's {@code gc.alloc.rate.norm} is per frame: the benchmark declares
 * {@code @OperationsPerInvocation(BATCH)}, and JMH multiplies the operation count the profiler
 * divides by with it.
 */
final class ReportJmh {
  static final String ALL = "io\\.duplex\\.benchmarks\\."
      + "(ThroughputBenchmark|CodecBenchmark)\\.";
  static final String ROUND_TRIP = "io\\.duplex\\.benchmarks\\.RoundTripBenchmark\\.";
  static final int[] SIZES = {64, 4096};
  static final int[] CONNECTIONS = {1, 8};
  static final double[] ROUND_TRIP_PERCENTILES = {50, 99, 99.9};

  private ReportJmh() {}

  /** Throughput and codecs, with the GC profiler; throughput with {@code duplex-bytes} too. */
  static Collection<RunResult> runAll(List<String> transports, boolean quick, Path out)
      throws RunnerException {
    return runWithGc(ALL, with(transports, Baselines.DUPLEX_BYTES), "jmh", quick, out);
  }

  /** The round trip, with the GC profiler, with {@code duplex-spin} too. */
  static Collection<RunResult> runRoundTrips(List<String> transports, boolean quick, Path out)
      throws RunnerException {
    return runWithGc(ROUND_TRIP, with(transports, Baselines.DUPLEX_SPIN), "jmh-roundtrip",
        quick, out);
  }

  /** Runs {@code include} over {@code transports}, GC profiler on: {@code name}.json and .log. */
  private static Collection<RunResult> runWithGc(String include, String[] transports,
      String name, boolean quick, Path out) throws RunnerException {
    ChainedOptionsBuilder options = new OptionsBuilder().include(include)
        .param("transport", transports)
        .addProfiler(GCProfiler.class)
        .resultFormat(ResultFormatType.JSON).result(out.resolve(name + ".json").toString())
        .output(out.resolve(name + ".log").toString());
    return new Runner(shorten(options, quick).build()).run();
  }

  private static String[] with(List<String> transports, String variant) {
    List<String> all = new ArrayList<>(transports);
    all.add(variant);
    return all.toArray(String[]::new);
  }

  /** The round trip, with {@code duplex-spin} too, every forked JVM under {@code taskset -c 0}. */
  static Collection<RunResult> runPinned(List<String> transports, boolean quick, Path out)
      throws RunnerException, IOException {
    Path script = Files.createTempFile("duplex-pinned-java", ".sh",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    script.toFile().deleteOnExit();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Files.writeString(script, "#!/bin/sh\nexec taskset -c 0 '" + java + "' \"$@\"\n");
    ChainedOptionsBuilder options = new OptionsBuilder().include(ROUND_TRIP)
        .param("transport", with(transports, Baselines.DUPLEX_SPIN))
        .jvm(script.toString())
        .resultFormat(ResultFormatType.JSON).result(out.resolve("jmh-pinned.json").toString())
        .output(out.resolve("jmh-pinned.log").toString());
    return new Runner(shorten(options, quick).build()).run();
  }

  /** Quick: one warm-up and two measured iterations of 1 s each, every benchmark kept. */
  private static ChainedOptionsBuilder shorten(ChainedOptionsBuilder options, boolean quick) {
    if (!quick) {
      return options; // the benchmarks' own @Warmup and @Measurement
    }
    return options.warmupIterations(1).warmupTime(TimeValue.seconds(1))
        .measurementIterations(2).measurementTime(TimeValue.seconds(1));
  }

  // ---- rows ----------------------------------------------------------------------------------

  static void throughputRows(ReportTable table, Outcome<Collection<RunResult>> jmh,
      List<String> transports) {
    for (int size : SIZES) {
      for (int connections : CONNECTIONS) {
        String workload = "Throughput " + sizeName(size) + " x " + connections + " conn";
        Map<String, String> params = Map.of("size", "" + size, "connections", "" + connections);
        table.row(workload + " (msgs/s)", Direction.HIGHER_IS_BETTER,
            cells(jmh, transports, "ThroughputBenchmark.oneWay", params,
                r -> r.getPrimaryResult().getScore()));
        table.row(workload + " (MB/s payload)", Direction.HIGHER_IS_BETTER,
            cells(jmh, transports, "ThroughputBenchmark.oneWay", params,
                r -> r.getPrimaryResult().getScore() * size / 1e6));
        table.row(workload + " (B allocated/msg)", Direction.LOWER_IS_BETTER,
            cells(jmh, transports, "ThroughputBenchmark.oneWay", params,
                r -> secondary(r, "gc.alloc.rate.norm")));
      }
    }
  }

  /** Rows p50, p99, p99.9; {@code jmh} null when the run was skipped (its cells say n/a). */
  static void roundTripRows(ReportTable table, Outcome<Collection<RunResult>> jmh,
      List<String> transports, String placement) {
    for (double p : ROUND_TRIP_PERCENTILES) {
      table.row("Round trip 64 B, " + placement + ": " + percentileName(p) + " (µs)",
          Direction.LOWER_IS_BETTER, jmh == null ? Map.of() // not run: n/a
              : cells(jmh, transports, "RoundTripBenchmark.pingPong", Map.of(),
                  r -> r.getPrimaryResult().getStatistics().getPercentile(p)));
    }
  }

  /** Codec table: rows message x operation, columns json and binary, ns/op. */
  static ReportTable codecTable(Outcome<Collection<RunResult>> jmh) {
    List<String> codecs = List.of("json", "binary");
    ReportTable table = new ReportTable("Codec (ns/op)", codecs, Set.copyOf(codecs), "binary");
    for (String message : List.of("vote", "proposal")) {
      for (String op : List.of("encode", "decode")) {
        Map<String, Cell> cells = new LinkedHashMap<>();
        for (String codec : codecs) {
          cells.put(codec, jmh.cell(results -> score(find(results, "CodecBenchmark." + op,
              Map.of("codec", codec, "message", message)), r -> r.getPrimaryResult().getScore())));
        }
        table.row(message + " " + op, Direction.LOWER_IS_BETTER, cells);
      }
    }
    return table;
  }

  static Map<String, Cell> cells(Outcome<Collection<RunResult>> jmh,
      List<String> transports, String benchmark, Map<String, String> params,
      ToDoubleFunction<RunResult> metric) {
    Map<String, Cell> cells = new LinkedHashMap<>();
    for (String t : transports) {
      Map<String, String> all = new LinkedHashMap<>(params);
      all.put("transport", t);
      cells.put(t, jmh.cell(results -> score(find(results, benchmark, all), metric)));
    }
    return cells;
  }

  static double score(RunResult r, ToDoubleFunction<RunResult> metric) {
    if (r == null) {
      throw new IllegalStateException("no JMH result (see the JMH log)");
    }
    return metric.applyAsDouble(r);
  }

  /** The run of {@code benchmark} ("Class.method") with these parameter values, or null. */
  static RunResult find(Collection<RunResult> results, String benchmark,
      Map<String, String> params) {
    for (RunResult r : results) {
      if (!r.getParams().getBenchmark().endsWith("." + benchmark)) {
        continue;
      }
      boolean match = params.entrySet().stream()
          .allMatch(e -> e.getValue().equals(r.getParams().getParam(e.getKey())));
      if (match) {
        return r;
      }
    }
    return null;
  }

  static double secondary(RunResult r, String suffix) {
    for (Map.Entry<String, Result> e : r.getSecondaryResults().entrySet()) {
      if (e.getKey().endsWith(suffix)) {
        return e.getValue().getScore();
      }
    }
    throw new IllegalStateException("no " + suffix + " in the result");
  }

  /** "p50", "p99", "p99.9". */
  static String percentileName(double p) {
    return "p" + new DecimalFormat("0.###").format(p);
  }

  private static String sizeName(int size) {
    return size >= 1024 ? size / 1024 + " KiB" : size + " B";
  }

  // ---- charts --------------------------------------------------------------------------------

  static void throughputCharts(Path out, Collection<RunResult> results, List<String> transports)
      throws IOException {
    for (int size : SIZES) {
      Map<String, Map<String, Double>> values = new LinkedHashMap<>();
      for (String t : transports) {
        Map<String, Double> perWorkload = new LinkedHashMap<>();
        for (int connections : CONNECTIONS) {
          RunResult r = find(results, "ThroughputBenchmark.oneWay", Map.of("transport", t,
              "size", "" + size, "connections", "" + connections));
          if (r != null) {
            // 4 KiB frames in MB/s, so the bars do not read 0.0x million messages.
            double score = r.getPrimaryResult().getScore();
            perWorkload.put(connections + (connections == 1 ? " connection" : " connections"),
                size >= 1024 ? score * size / 1e6 : score / 1e6);
          }
        }
        values.put(t, perWorkload);
      }
      String name = size >= 1024 ? size / 1024 + "k" : "" + size;
      ReportCharts.bars(out.resolve("throughput-" + name + ".png"),
          "Throughput, " + sizeName(size) + " frames, one way (higher is better)",
          size >= 1024 ? "MB of payload per second" : "million messages per second", values);
    }
  }

  static void roundTripChart(Path file, Collection<RunResult> results, List<String> transports,
      String placement) throws IOException {
    List<Curve> curves = new ArrayList<>();
    for (String t : transports) {
      RunResult r = find(results, "RoundTripBenchmark.pingPong", Map.of("transport", t));
      if (r != null) {
        curves.add(new Curve(t, p -> r.getPrimaryResult().getStatistics().getPercentile(p)));
      }
    }
    ReportCharts.latency(file, "Round trip, 64 B ping-pong, " + placement + " (lower is better)",
        curves);
  }
}
