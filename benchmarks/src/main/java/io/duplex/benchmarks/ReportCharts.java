package io.duplex.benchmarks;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import org.HdrHistogram.Histogram;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The report's PNG charts, drawn with JFreeChart: latency percentile curves in the style of
 * HdrHistogram's plots (x: percentile on a {@code 1/(1-p)} log scale, so 90%, 99%, 99.9% and
 * 99.99% are equally spaced; y: microseconds, log scale), and grouped throughput bars. One series
 * per baseline, each baseline in the same colour in every chart. The caller runs headless
 * ({@code java.awt.headless=true} set before any AWT class loads).
 */
public final class ReportCharts {
  static final int WIDTH = 960;
  static final int HEIGHT = 600;
  /** The curve runs from p0 to p99.99: x = 1/(1-p) from 1 to 10^4. */
  private static final double MAX_X = 1e4;
  private static final int POINTS = 200;

  private static final Map<String, Color> COLOURS = Map.of(
      Baselines.LOCKED, new Color(0x70, 0x70, 0x70),
      Baselines.VIRTUAL_THREADS, new Color(0x8e, 0x44, 0xad),
      Baselines.NETTY, new Color(0x1f, 0x77, 0xb4),
      Baselines.DUPLEX, new Color(0xe6, 0x55, 0x0d));

  private ReportCharts() {}

  /** One latency distribution: microseconds at a percentile (0..100). */
  public record Curve(String name, DoubleUnaryOperator microsAtPercentile) {
    /** A histogram of nanoseconds, as the scenarios record them. */
    public static Curve ofNanos(String name, Histogram nanos) {
      return new Curve(name, p -> nanos.getValueAtPercentile(p) / 1e3);
    }
  }

  /** Writes a percentile curve per series to {@code file}. */
  public static void latency(Path file, String title, List<Curve> curves) throws IOException {
    XYSeriesCollection data = new XYSeriesCollection();
    double lowest = Double.MAX_VALUE;
    double highest = 0;
    for (Curve c : curves) {
      XYSeries s = new XYSeries(c.name(), false);
      for (int i = 0; i <= POINTS; i++) {
        double x = Math.pow(MAX_X, (double) i / POINTS);
        double p = 100 * (1 - 1 / x);
        double us = Math.max(0.01, c.microsAtPercentile().applyAsDouble(Math.min(p, 100)));
        s.add(x, us);
        lowest = Math.min(lowest, us);
        highest = Math.max(highest, us);
      }
      data.addSeries(s);
    }
    JFreeChart chart = ChartFactory.createXYLineChart(title, "percentile", "latency (µs)", data,
        PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);

    LogAxis x = new LogAxis("percentile (log scale of 1/(1-p))");
    x.setBase(10);
    x.setTickUnit(new NumberTickUnit(1));
    x.setNumberFormatOverride(new PercentileFormat());
    x.setRange(1, MAX_X);
    plot.setDomainAxis(x);

    LogAxis y = new LogAxis("latency (µs, log scale)");
    y.setBase(10);
    y.setTickUnit(new NumberTickUnit(1));
    y.setNumberFormatOverride(new DecimalFormat("#,##0.##"));
    y.setMinorTickMarksVisible(true);
    if (!curves.isEmpty()) {
      // Whole decades, so at least two labelled ticks.
      double lo = Math.pow(10, Math.floor(Math.log10(lowest)));
      double hi = Math.pow(10, Math.ceil(Math.log10(highest * 1.01)));
      y.setRange(lo, hi);
    }
    plot.setRangeAxis(y);

    XYLineAndShapeRenderer lines = new XYLineAndShapeRenderer(true, false);
    for (int i = 0; i < curves.size(); i++) {
      lines.setSeriesPaint(i, colour(curves.get(i).name()));
      lines.setSeriesStroke(i, stroke(curves.get(i).name()));
    }
    plot.setRenderer(lines);
    save(file, chart);
  }

  /**
   * Writes grouped bars to {@code file}: {@code values} maps a baseline to a value per category
   * (e.g. "1 connection"); missing values leave a gap.
   */
  public static void bars(Path file, String title, String valueLabel,
      Map<String, Map<String, Double>> values) throws IOException {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    for (Map.Entry<String, Map<String, Double>> series : values.entrySet()) {
      for (Map.Entry<String, Double> v : series.getValue().entrySet()) {
        data.addValue(v.getValue(), series.getKey(), v.getKey());
      }
    }
    JFreeChart chart = ChartFactory.createBarChart(title, "workload", valueLabel, data,
        PlotOrientation.VERTICAL, true, false, false);
    CategoryPlot plot = chart.getCategoryPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    BarRenderer bars = (BarRenderer) plot.getRenderer();
    bars.setBarPainter(new StandardBarPainter());
    bars.setShadowVisible(false);
    bars.setItemMargin(0.05);
    for (int i = 0; i < data.getRowCount(); i++) {
      bars.setSeriesPaint(i, colour((String) data.getRowKey(i)));
    }
    bars.setDefaultItemLabelGenerator(
        new StandardCategoryItemLabelGenerator("{2}", new DecimalFormat("#,##0.###")));
    bars.setDefaultItemLabelsVisible(true);
    plot.getRangeAxis().setUpperMargin(0.1); // room for the labels
    save(file, chart);
  }

  private static void save(Path file, JFreeChart chart) throws IOException {
    chart.setPadding(new RectangleInsets(6, 6, 6, 30)); // the last x label must not be cut
    chart.getLegend().setItemFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
    chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
    ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
  }

  /** The baseline's colour; a name like "duplex (pinned)" takes its baseline's. */
  /** Solid for a baseline; dashed, in the baseline's colour, for a variant ("duplex (raw)"). */
  static BasicStroke stroke(String name) {
    return COLOURS.containsKey(name) ? new BasicStroke(2.5f)
        : new BasicStroke(2.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
            new float[] {8f, 5f}, 0f);
  }

  static Color colour(String name) {
    for (Map.Entry<String, Color> e : COLOURS.entrySet()) {
      if (name.equals(e.getKey()) || name.startsWith(e.getKey() + " ")) {
        return e.getValue();
      }
    }
    return Color.BLACK;
  }

  /** Labels x = 1/(1-p) with the percentile p: 1 → "0%", 10 → "90%", 1000 → "99.9%". */
  static final class PercentileFormat extends NumberFormat {
    private static final long serialVersionUID = 1L;

    @Override
    public StringBuffer format(double x, StringBuffer to, FieldPosition pos) {
      double p = 100 * (1 - 1 / x);
      return to.append(new DecimalFormat("0.####").format(p)).append('%');
    }

    @Override
    public StringBuffer format(long x, StringBuffer to, FieldPosition pos) {
      return format((double) x, to, pos);
    }

    @Override
    public Number parse(String source, ParsePosition pos) {
      throw new UnsupportedOperationException("format only");
    }
  }
}
