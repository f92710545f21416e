package io.duplex.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.duplex.benchmarks.ReportCharts.Curve;
import io.duplex.benchmarks.ReportSecure.Metric;
import io.duplex.benchmarks.ReportTable.Bound;
import io.duplex.benchmarks.ReportTable.Cell;
import io.duplex.benchmarks.ReportTable.Direction;
import io.duplex.benchmarks.ReportTable.Target;
import java.awt.GraphicsEnvironment;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report's table, ratios and charts, on small synthetic inputs (no workload runs). */
class ReportTest {
  @BeforeAll
  static void headless() {
    System.setProperty("java.awt.headless", "true");
  }

  private static ReportTable table(Set<String> available) {
    return new ReportTable("Metric", Report.COLUMNS, available, Baselines.DUPLEX);
  }

  private static List<String> cellsOf(String line) {
    String trimmed = line.substring(line.indexOf('|') + 1, line.lastIndexOf('|'));
    return Arrays.stream(trimmed.split("(?<!\\\\)\\|")).map(String::trim).toList();
  }

  private static List<String> lines(String markdown) {
    return markdown.lines().filter(l -> l.startsWith("|")).toList();
  }

  @Test
  void shouldHaveOneColumnPerBaselinePlusTheRatio() {
    Set<String> available = new LinkedHashSet<>(Baselines.available());
    String md = table(available).row("p50 (µs)", Direction.LOWER_IS_BETTER,
        Map.of("locked", Cell.of(10), "netty", Cell.of(20), "duplex", Cell.of(5),
            "virtual-threads", Cell.of(30))).markdown();
    List<String> header = cellsOf(lines(md).get(0));
    assertEquals(List.of("Metric", "locked", "virtual-threads", "netty", "duplex",
        "duplex vs best other"), header);
    for (String line : lines(md)) {
      assertEquals(header.size(), cellsOf(line).size(), line);
    }
    List<String> row = cellsOf(lines(md).get(2));
    for (String baseline : Report.COLUMNS) {
      String cell = row.get(header.indexOf(baseline));
      assertEquals(available.contains(baseline), !cell.equals("n/a"), baseline + ": " + cell);
    }
  }

  @Test
  void shouldSayWorseWhenDuplexHasTheHigherLatency() {
    String md = table(Set.of("locked", "netty", "duplex")).row("p99 (µs)",
        Direction.LOWER_IS_BETTER,
        Map.of("locked", Cell.of(1335), "netty", Cell.of(1525), "duplex", Cell.of(2079)))
        .markdown();
    List<String> row = cellsOf(lines(md).get(2));
    assertEquals("1.56x worse than locked", row.get(row.size() - 1));
    assertEquals("n/a", row.get(2), "virtual-threads not available");
    assertEquals("1,335", row.get(1));
  }

  @Test
  void shouldSayBetterInTheMetricsDirection() {
    assertEquals("1.85x better than netty", ReportTable.compare(
        Direction.HIGHER_IS_BETTER, 6.03e6, 3.26e6, "netty"));
    assertEquals("1.30x worse than netty", ReportTable.compare(
        Direction.HIGHER_IS_BETTER, 1.0, 1.3, "netty"));
    assertEquals("2.00x better than locked", ReportTable.compare(
        Direction.LOWER_IS_BETTER, 50, 100, "locked"));
    assertEquals("worse than locked (1,048,551 vs 0)", ReportTable.compare(
        Direction.LOWER_IS_BETTER, 1_048_551, 0, "locked"));
    assertEquals("same as netty", ReportTable.compare(
        Direction.LOWER_IS_BETTER, 7, 7, "netty"));
  }

  @Test
  void shouldSkipFailedBaselinesAndSayWhy() {
    Map<String, Cell> cells = new LinkedHashMap<>();
    cells.put("locked", Cell.failed("IOException: refused | reset"));
    cells.put("netty", Cell.of(200));
    cells.put("duplex", Cell.of(100));
    String md = table(Set.of("locked", "netty", "duplex"))
        .row("p50 (µs)", Direction.LOWER_IS_BETTER, cells).markdown();
    List<String> row = cellsOf(lines(md).get(2));
    assertEquals("failed: IOException: refused \\| reset", row.get(1));
    assertEquals("2.00x better than netty", row.get(row.size() - 1));

    Map<String, Cell> duplexFailed = new LinkedHashMap<>(cells);
    duplexFailed.put("duplex", Cell.failed("timed out"));
    String md2 = table(Set.of("locked", "netty", "duplex"))
        .row("p50 (µs)", Direction.LOWER_IS_BETTER, duplexFailed).markdown();
    List<String> row2 = cellsOf(lines(md2).get(2));
    assertEquals("n/a", row2.get(row2.size() - 1));
    assertEquals("failed: timed out", row2.get(4));
  }

  @Test
  void shouldShowAnExplainedCellButLeaveItOutOfTheComparison() {
    Map<String, Cell> cells = new LinkedHashMap<>();
    cells.put("locked", Cell.explained("0 (its sender blocks)"));
    cells.put("netty", Cell.of(11_012_676));
    cells.put("duplex", Cell.of(1_048_215));
    String md = table(Set.of("locked", "netty", "duplex"))
        .row("queued (B)", Direction.LOWER_IS_BETTER, cells).markdown();
    List<String> row = cellsOf(lines(md).get(2));
    assertEquals("0 (its sender blocks)", row.get(1));
    assertEquals("10.51x better than netty", row.get(row.size() - 1));
  }

  @Test
  void shouldDrawAVariantDashedInItsBaselinesColour() {
    assertEquals(ReportCharts.colour("duplex"), ReportCharts.colour("duplex (raw frames)"));
    assertNull(ReportCharts.stroke("duplex").getDashArray());
    assertNotNull(ReportCharts.stroke("duplex (raw frames)").getDashArray());
  }

  @Test
  void shouldCompareBinaryWithJsonInTheCodecTable() {
    List<String> codecs = List.of("json", "binary");
    String md = new ReportTable("Codec (ns/op)", codecs, Set.copyOf(codecs), "binary")
        .row("vote encode", Direction.LOWER_IS_BETTER,
            Map.of("json", Cell.of(215), "binary", Cell.of(23)))
        .markdown();
    assertEquals(List.of("Codec (ns/op)", "json", "binary", "binary vs json"),
        cellsOf(lines(md).get(0)));
    assertEquals(List.of("vote encode", "215", "23.0", "9.35x better than json"),
        cellsOf(lines(md).get(2)));
  }

  @Test
  void shouldWriteLatencyAndThroughputChartsThatDecode(@TempDir Path dir) throws Exception {
    assumeTrue(fontsInstalled(), "no fonts here (fontconfig and a font package such as"
        + " fonts-dejavu-core are needed to draw text): the charts cannot be drawn");
    Histogram fast = new Histogram(3_600_000_000L, 3);
    Histogram slow = new Histogram(3_600_000_000L, 3);
    for (int i = 1; i <= 10_000; i++) {
      fast.recordValue(100_000 + i * 10L); // 100-200 µs
      slow.recordValue(1_000_000L * (1 + i % 50)); // 1-50 ms
    }
    Path latency = dir.resolve("latency.png");
    ReportCharts.latency(latency, "synthetic", List.of(Curve.ofNanos("duplex", fast),
        Curve.ofNanos("locked", slow), new Curve("netty (pinned)", p -> 42)));
    Path bars = dir.resolve("bars.png");
    Map<String, Map<String, Double>> values = new LinkedHashMap<>();
    values.put("locked", Map.of("1 connection", 2.9, "8 connections", 4.9));
    values.put("duplex", Map.of("1 connection", 6.0));
    ReportCharts.bars(bars, "synthetic", "million messages per second", values);

    for (Path png : List.of(latency, bars)) {
      assertTrue(Files.size(png) > 1000, png + " is " + Files.size(png) + " bytes");
      BufferedImage image = ImageIO.read(png.toFile());
      assertNotNull(image, png + " does not decode");
      assertEquals(ReportCharts.WIDTH, image.getWidth());
      assertEquals(ReportCharts.HEIGHT, image.getHeight());
    }
  }

  /** Whether AWT can find a font; without one every chart fails, and this test skips. */
  private static boolean fontsInstalled() {
    try {
      return GraphicsEnvironment.getLocalGraphicsEnvironment()
          .getAvailableFontFamilyNames().length > 0;
    } catch (RuntimeException | Error e) { // e.g. fontconfig missing: an Error from sun.awt
      return false;
    }
  }

  @Test
  void shouldLabelTheLogPercentileAxisInPercent() {
    ReportCharts.PercentileFormat f = new ReportCharts.PercentileFormat();
    assertEquals("0%", f.format(1.0));
    assertEquals("90%", f.format(10.0));
    assertEquals("99.9%", f.format(1000.0));
    assertEquals("99.99%", f.format(10_000.0));
  }

  @Test
  void shouldGiveEveryBaselineItsOwnColourAndKeepItForVariants() {
    assertEquals(Report.COLUMNS.size(),
        Report.COLUMNS.stream().map(ReportCharts::colour).distinct().count());
    assertEquals(ReportCharts.colour("duplex"), ReportCharts.colour("duplex (pinned)"));
  }

  // ---- the secure-channel table --------------------------------------------------------------

  private static Map<String, Cell> secureCells(double duplex, double secure, double chacha,
      double nettyTls, double netty) {
    Map<String, Cell> cells = new LinkedHashMap<>();
    cells.put(Baselines.DUPLEX, Cell.of(duplex));
    cells.put(Baselines.DUPLEX_SECURE, Cell.of(secure));
    cells.put(Baselines.DUPLEX_CHACHA, Cell.of(chacha));
    cells.put(Baselines.NETTY_TLS, Cell.of(nettyTls));
    cells.put(Baselines.NETTY, Cell.of(netty));
    return cells;
  }

  /** Figures of the right magnitude, some meeting their targets and some not. */
  private static String secureMarkdown() {
    Map<Metric, Map<String, Cell>> cells = new EnumMap<>(Metric.class);
    cells.put(Metric.MSGS_64, secureCells(6.0e6, 2.6e6, 1.0e6, 1.5e6, 3.3e6));
    cells.put(Metric.MBS_4K, secureCells(2500, 1200, 200, 900, 2500));
    cells.put(Metric.ROUND_TRIP_P50, secureCells(40, 52, 60, 50, 45));
    cells.put(Metric.CONNECTIONS, Map.of(Baselines.DUPLEX_SECURE, Cell.of(400),
        Baselines.DUPLEX_CHACHA, Cell.of(390), Baselines.NETTY_TLS, Cell.of(116)));
    cells.put(Metric.HANDSHAKE_CPU, Map.of(Baselines.DUPLEX_SECURE, Cell.of(650),
        Baselines.DUPLEX_CHACHA, Cell.of(655)));
    cells.put(Metric.ALLOC_64, secureCells(24, 48, 40, 900, 200));
    return ReportSecure.table(cells, new LinkedHashSet<>(Baselines.available()), false)
        .markdown();
  }

  @Test
  void shouldPutTheSecureTransportsSideBySideWithTheirTargets() {
    List<String> lines = lines(secureMarkdown());
    List<String> header = cellsOf(lines.get(0));
    assertEquals(List.of("Secure channel", "duplex", "duplex-secure", "duplex-chacha",
        "netty-tls", "netty", "duplex-secure vs targets"), header);
    for (String line : lines) {
      assertEquals(header.size(), cellsOf(line).size(), line);
    }
    assertEquals(2 + Metric.values().length, lines.size());
    List<String> metrics = lines.stream().skip(2).map(l -> cellsOf(l).get(0)).toList();
    assertEquals(List.of("Throughput 64 B x 1 conn (msgs/s)",
        "Throughput 4 KiB x 1 conn (MB/s payload)", "Round trip 64 B: p50 (µs)",
        "New connections/s (connect + handshake + close)", "Handshake CPU per side (µs)",
        "Allocated per 64 B msg (B)"), metrics);
  }

  @Test
  void shouldSayPerTargetMetOrMissedWithTheRatio() {
    List<String> lines = lines(secureMarkdown());
    List<String> verdicts = lines.stream().skip(2)
        .map(l -> cellsOf(l).get(cellsOf(l).size() - 1)).toList();
    assertEquals(List.of(
        "≥ 40% of duplex: met (43%); ≥ 2x netty-tls: missed (1.73x)",
        "≥ netty-tls: met (1.33x); faster suite ≥ 1,000 MB/s: met (duplex-secure, 1,200 MB/s)",
        "≤ 1.25x duplex: missed (1.30x); ≤ netty-tls: missed (1.04x)",
        "≥ netty-tls: met (3.45x)",
        "≤ 2,000 µs: met (650 µs)",
        "≤ duplex + 16 B: missed (+24.0 B)"), verdicts);
    List<String> msgs = cellsOf(lines.get(2));
    assertEquals(List.of("6,000,000", "2,600,000", "1,000,000", "1,500,000", "3,300,000"),
        msgs.subList(1, 6));
    List<String> handshake = cellsOf(lines.get(5));
    assertEquals("n/a", handshake.get(1), "plaintext duplex has no handshake");
    assertEquals("n/a", handshake.get(5), "plaintext netty has no handshake");
    assertEquals("116", handshake.get(4));
  }

  @Test
  void shouldJudgeTheFasterSuiteByTheBetterOfTheTwo() {
    Map<Metric, Map<String, Cell>> cells = new EnumMap<>(Metric.class);
    cells.put(Metric.MBS_4K, secureCells(2500, 800, 1100, 900, 2500));
    List<String> row = cellsOf(lines(ReportSecure.table(cells,
        new LinkedHashSet<>(Baselines.available()), true).markdown()).get(3));
    assertEquals("≥ netty-tls: missed (0.89x); faster suite ≥ 1,000 MB/s: met"
        + " (duplex-chacha, 1,100 MB/s)", row.get(row.size() - 1));
  }

  @Test
  void shouldFailEverySecureCellAndJudgeNothingWhenTheSecureRunFailed() {
    String md = ReportSecure.table(ReportSecure.cells(Outcome.failed("JMH died")),
        new LinkedHashSet<>(Baselines.available()), true).markdown();
    for (String line : lines(md).subList(2, lines(md).size())) {
      List<String> row = cellsOf(line);
      assertEquals("failed: JMH died", row.get(2), line);
      assertTrue(row.get(row.size() - 1).contains(": n/a (no "), line);
      assertTrue(!row.get(row.size() - 1).contains("met"), line);
    }
    assertTrue(md.contains("Quick run"), md);
  }

  private static Outcome<LaneScenario.Result> lane(String variant, long p99Micros,
      double megabytesPerSecond) {
    Histogram h = new Histogram(120_000_000_000L, 3);
    h.recordValueWithCount(100_000, 980);
    h.recordValueWithCount(p99Micros * 1_000, 20);
    return Outcome.ok(new LaneScenario.Result(variant, h, 1_000, 1_000,
        (long) (megabytesPerSecond * 1e6 * 9), 9.0, new long[0], null));
  }

  @Test
  void shouldJudgeTheLanesAgainstTheirTargets() {
    Map<String, Outcome<LaneScenario.Result>> results = new LinkedHashMap<>();
    results.put(LaneScenario.LOCKED, lane(LaneScenario.LOCKED, 7_000, 2000));
    results.put(LaneScenario.NETTY, Outcome.failed("netty died"));
    results.put(LaneScenario.DUPLEX_ONE_LANE, lane(LaneScenario.DUPLEX_ONE_LANE, 9_000, 1000));
    results.put(LaneScenario.DUPLEX_LANES, lane(LaneScenario.DUPLEX_LANES, 800, 950));
    results.put(LaneScenario.DUPLEX_LANES_STALLED,
        lane(LaneScenario.DUPLEX_LANES_STALLED, 2_000, 300));
    results.put(LaneScenario.DUPLEX_LANES_LENT, lane(LaneScenario.DUPLEX_LANES_LENT, 1_200, 990));
    List<String> lines = lines(ReportLanes.table(results, 10, false).markdown());

    assertEquals(List.of("Votes behind blocks, same direction", "locked", "netty",
        "duplex-one-lane", "duplex-lanes", "duplex-lanes-stalled", "duplex-lanes-lent",
        "duplex-lanes vs targets"), cellsOf(lines.get(0)));
    List<String> p99 = cellsOf(lines.stream().filter(l -> l.contains("p99 (ms)")).findFirst()
        .orElseThrow());
    assertTrue(p99.get(2).startsWith("failed: netty died"), p99.toString());
    assertEquals("0.800", p99.get(4));
    assertEquals("≤ 1 ms: met (0.800 ms); lent ≤ 1 ms: missed (duplex-lanes-lent, 1.20 ms);"
        + " stalled ≤ 2x duplex-lanes: missed (duplex-lanes-stalled, 2.50x)", p99.get(7));
    List<String> mbs = cellsOf(lines.stream().filter(l -> l.contains("MB/s")).findFirst()
        .orElseThrow());
    assertEquals("≥ 90% of duplex-one-lane: met (95%)", mbs.get(7));
    List<String> votes = cellsOf(lines.stream().filter(l -> l.contains("Votes received"))
        .findFirst().orElseThrow());
    assertEquals("1,000 of 1,000", votes.get(1));
  }

  @Test
  void shouldWriteEachKindOfTarget() {
    assertEquals("≥ 40% of duplex", Target.ratio(Bound.AT_LEAST, 0.4, "duplex").text());
    assertEquals("≤ 1.25x duplex", Target.ratio(Bound.AT_MOST, 1.25, "duplex").text());
    assertEquals("≥ netty-tls", Target.ratio(Bound.AT_LEAST, 1, "netty-tls").text());
    assertEquals("≤ duplex + 16 B", Target.plus(Bound.AT_MOST, "duplex", 16, "B").text());
    assertEquals("fast ≥ 1,000 MB/s", Target.absolute(Bound.AT_LEAST, 1000, "MB/s")
        .bestOf("fast", List.of("a", "b")).text());
  }

  @Test
  void shouldKeepTargetsOutOfTheComparisonTable() {
    assertThrows(IllegalStateException.class, () -> table(Set.of("duplex")).row("x",
        Direction.LOWER_IS_BETTER, Map.of(), List.of(Target.ratio(Bound.AT_MOST, 1, "netty"))));
  }
  private static Map<String, Cell> zeroGarbageCells(double duplex, double bytes, double locked,
      double virtualThreads, double netty) {
    Map<String, Cell> cells = new LinkedHashMap<>();
    cells.put(Baselines.DUPLEX, Cell.of(duplex));
    cells.put(Baselines.DUPLEX_BYTES, Cell.of(bytes));
    cells.put(Baselines.LOCKED, Cell.of(locked));
    cells.put(Baselines.VIRTUAL_THREADS, Cell.of(virtualThreads));
    cells.put(Baselines.NETTY, Cell.of(netty));
    return cells;
  }

  @Test
  void shouldJudgeTheZeroGarbageTargetsEachAgainstItsOwnReference() {
    Map<ReportZeroGarbage.Metric, Map<String, Cell>> cells =
        new EnumMap<>(ReportZeroGarbage.Metric.class);
    cells.put(ReportZeroGarbage.Metric.MSGS_64_1,
        zeroGarbageCells(9_000_000, 8_000_000, 3_000_000, 3_500_000, 2_000_000));
    cells.put(ReportZeroGarbage.Metric.ALLOC_4K_8, zeroGarbageCells(70, 4_100, 4_100, 4_100, 216));
    cells.put(ReportZeroGarbage.Metric.MSGS_4K_8,
        zeroGarbageCells(850_000, 600_000, 650_000, 900_000, 560_000));
    Map<String, Cell> votes = new LinkedHashMap<>();
    votes.put(Baselines.DUPLEX, Cell.of(900));
    votes.put(Baselines.NETTY, Cell.of(3_000));
    cells.put(ReportZeroGarbage.Metric.RAW_VOTES_P99, votes);
    Map<String, Cell> pinned = new LinkedHashMap<>();
    pinned.put(Baselines.DUPLEX, Cell.of(16));
    pinned.put(Baselines.DUPLEX_SPIN, Cell.of(12));
    pinned.put(Baselines.LOCKED, Cell.of(9));
    cells.put(ReportZeroGarbage.Metric.ROUND_TRIP_PINNED, pinned);
    Set<String> all = Set.of(Baselines.DUPLEX, Baselines.LOCKED, Baselines.VIRTUAL_THREADS,
        Baselines.NETTY);
    List<String> lines = lines(ReportZeroGarbage.table(cells, all, false).markdown());

    assertEquals(List.of("Zero garbage", "duplex", "duplex-bytes", "duplex-spin", "locked",
        "virtual-threads", "netty", "duplex vs targets"), cellsOf(lines.get(0)));
    assertEquals(2 + ReportZeroGarbage.Metric.values().length, lines.size());
    assertEquals("≥ duplex-bytes: met (1.13x)", verdictOf(lines, "64 B x 1 conn (msgs/s)"));
    assertEquals("≤ 64 B: missed (70.0 B)", verdictOf(lines, "4 KiB x 8 conn (B allocated"));
    assertEquals("≥ virtual-threads: missed (0.94x)", verdictOf(lines, "4 KiB x 8 conn (msgs"));
    assertEquals("≤ 1,000 µs: met (900 µs); ≤ 50% of netty: met (30%)",
        verdictOf(lines, "raw frames"));
    assertEquals("spin ≤ locked: missed (duplex-spin, 1.33x)", verdictOf(lines, "pinned to CPU"));
    assertTrue(verdictOf(lines, "64 B x 8 conn (msgs/s)").contains("n/a"),
        "a row without results judges nothing");

    List<String> withoutVirtualThreads = lines(ReportZeroGarbage.table(cells,
        Set.of(Baselines.DUPLEX, Baselines.LOCKED, Baselines.NETTY), false).markdown());
    assertEquals("≥ virtual-threads: n/a (no virtual-threads result)",
        verdictOf(withoutVirtualThreads, "4 KiB x 8 conn (msgs"));
  }

  private static String verdictOf(List<String> lines, String metric) {
    List<String> row = cellsOf(lines.stream().filter(l -> cellsOf(l).get(0).contains(metric))
        .findFirst().orElseThrow(() -> new AssertionError("no row " + metric)));
    return row.get(row.size() - 1);
  }
}
