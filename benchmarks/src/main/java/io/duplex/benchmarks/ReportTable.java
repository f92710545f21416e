package io.duplex.benchmarks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A markdown table of the report: one row per metric, one column per baseline (in a fixed order;
 * a baseline this JVM cannot run prints "n/a" in every row), and a last column comparing the
 * subject ({@code duplex}, or {@code binary} in the codec table) with the best of the other
 * columns for that metric, in the metric's direction ("1.85x better than netty", "1.30x worse
 * than locked"). A cell holds a value or the reason it has none ("failed: ..."), so a baseline
 * that failed costs its cells, not the run.
 */
public final class ReportTable {
  /** Whether a smaller or a larger value wins. */
  public enum Direction {
    LOWER_IS_BETTER, HIGHER_IS_BETTER
  }

  /** One cell: a measured value, or (when {@code note} is not null) why there is none. */
  public record Cell(double value, String note) {
    public static Cell of(double value) {
      return new Cell(value, null);
    }

    public static Cell failed(String reason) {
      return new Cell(Double.NaN, "failed: " + reason);
    }

    /** A cell that shows {@code text} and is left out of the comparison. */
    public static Cell explained(String text) {
      return new Cell(Double.NaN, text);
    }

    public static Cell notAvailable() {
      return new Cell(Double.NaN, "n/a");
    }

    public boolean measured() {
      return note == null && !Double.isNaN(value);
    }
  }

  private record Row(String metric, Direction direction, Map<String, Cell> cells) {}

  private final String firstHeader;
  private final List<String> columns;
  private final Set<String> available;
  private final String subject;
  private final String ratioHeader;
  private final List<Row> rows = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();

  /**
   * @param firstHeader header of the metric column ("Metric", "Codec")
   * @param columns every column in order, available or not
   * @param available the columns that were run; the others print "n/a"
   * @param subject the column the last column compares with the best other one
   */
  public ReportTable(String firstHeader, List<String> columns, Set<String> available,
      String subject) {
    if (!columns.contains(subject)) {
      throw new IllegalArgumentException("subject not a column: " + subject + " " + columns);
    }
    this.firstHeader = firstHeader;
    this.columns = List.copyOf(columns);
    this.available = Set.copyOf(available);
    this.subject = subject;
    this.ratioHeader = subject + " vs " + (columns.size() == 2
        ? columns.get(columns.indexOf(subject) == 0 ? 1 : 0) : "best other");
  }

  /** Adds a row; a column missing from {@code cells} prints "n/a". */
  public ReportTable row(String metric, Direction direction, Map<String, Cell> cells) {
    rows.add(new Row(metric, direction, new LinkedHashMap<>(cells)));
    return this;
  }

  /** Adds a line printed under the table. */
  public ReportTable note(String note) {
    notes.add(note);
    return this;
  }

  public String markdown() {
    StringBuilder sb = new StringBuilder();
    sb.append("| ").append(firstHeader);
    for (String c : columns) {
      sb.append(" | ").append(c);
    }
    sb.append(" | ").append(ratioHeader).append(" |\n|---");
    sb.append("|---:".repeat(columns.size())).append("|---|\n");
    for (Row row : rows) {
      sb.append("| ").append(escape(row.metric()));
      for (String c : columns) {
        sb.append(" | ").append(escape(text(cell(row, c))));
      }
      sb.append(" | ").append(escape(ratio(row))).append(" |\n");
    }
    for (String note : notes) {
      sb.append('\n').append(note).append('\n');
    }
    return sb.toString();
  }

  private Cell cell(Row row, String column) {
    if (!available.contains(column)) {
      return Cell.notAvailable();
    }
    return row.cells().getOrDefault(column, Cell.notAvailable());
  }

  /** The subject against the best other measured column, e.g. "1.85x better than netty". */
  String ratio(Row row) {
    Cell mine = cell(row, subject);
    if (!mine.measured()) {
      return "n/a";
    }
    String bestName = null;
    double best = Double.NaN;
    for (String c : columns) {
      Cell other = cell(row, c);
      if (c.equals(subject) || !other.measured()) {
        continue;
      }
      if (bestName == null || (row.direction() == Direction.LOWER_IS_BETTER
          ? other.value() < best : other.value() > best)) {
        bestName = c;
        best = other.value();
      }
    }
    if (bestName == null) {
      return "n/a (no other result)";
    }
    return compare(row.direction(), mine.value(), best, bestName);
  }

  static String compare(Direction direction, double mine, double best, String bestName) {
    if (mine == best) {
      return "same as " + bestName;
    }
    boolean better = direction == Direction.LOWER_IS_BETTER ? mine < best : mine > best;
    double big = Math.max(mine, best);
    double small = Math.min(mine, best);
    String word = better ? "better" : "worse";
    if (small <= 0) {
      return word + " than " + bestName + " (" + number(mine) + " vs " + number(best) + ")";
    }
    return String.format(Locale.ROOT, "%.2fx %s than %s", big / small, word, bestName);
  }

  static String text(Cell cell) {
    return cell.measured() ? number(cell.value()) : cell.note();
  }

  /** Three significant figures or more, with thousands separators. */
  static String number(double v) {
    double a = Math.abs(v);
    String pattern = a >= 100 || a == 0 ? "%,.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f";
    return String.format(Locale.ROOT, pattern, v);
  }

  private static String escape(String s) {
    String flat = s.replace('\n', ' ').replace("|", "\\|");
    return flat.length() > 100 ? flat.substring(0, 97) + "..." : flat;
  }
}
