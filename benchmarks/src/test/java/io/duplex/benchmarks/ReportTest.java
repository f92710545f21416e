package io.duplex.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.duplex.benchmarks.ReportCharts.Curve;
import io.duplex.benchmarks.ReportTable.Cell;
import io.duplex.benchmarks.ReportTable.Direction;
import java.awt.GraphicsEnvironment;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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
}
