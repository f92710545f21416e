package io.duplex.benchmarks;

import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
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
 *
 * <p>A table made with {@link #withTargets} (the secure-channel table) has, instead of that
 * comparison, a column of {@link Target}s: each row's goals and, for each, "met" or "missed" with
 * the figure that decides it ("≥ 40% of duplex: met (52%)").
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

  /** Whether a target wants its subject at least or at most its bound. */
  public enum Bound {
    AT_LEAST("≥"), AT_MOST("≤");

    final String sign;

    Bound(String sign) {
      this.sign = sign;
    }
  }

  /**
   * A goal for one row: the subject's value (or the best of several subjects', "the faster
   * suite") at least or at most a bound. The bound is {@code factor} times the value of column
   * {@code reference} plus {@code offset}, or, with no reference, {@code offset} alone.
   *
   * @param label how the text names the subject(s); null for the table's subject, which the
   *     text leaves out (the column header names it)
   * @param subjects the columns judged, the best of them in the row's direction; empty for the
   *     table's subject
   * @param unit the unit of an absolute bound or offset ("MB/s", "B"), or "" for none
   */
  public record Target(String label, List<String> subjects, Bound bound, String reference,
      double factor, double offset, String unit) {
    public Target {
      subjects = List.copyOf(subjects);
      if (subjects.isEmpty() != (label == null)) {
        throw new IllegalArgumentException("a label names subjects: both or neither");
      }
    }

    /** The table subject's value within {@code factor} times column {@code reference}'s. */
    public static Target ratio(Bound bound, double factor, String reference) {
      return new Target(null, List.of(), bound, reference, factor, 0, "");
    }

    /** The table subject's value within column {@code reference}'s plus {@code offset}. */
    public static Target plus(Bound bound, String reference, double offset, String unit) {
      return new Target(null, List.of(), bound, reference, 1, offset, unit);
    }

    /** The table subject's value within {@code value}. */
    public static Target absolute(Bound bound, double value, String unit) {
      return new Target(null, List.of(), bound, null, 1, value, unit);
    }

    /** This target judging the best of {@code subjects}, named {@code label} in its text. */
    public Target bestOf(String label, List<String> subjects) {
      return new Target(label, subjects, bound, reference, factor, offset, unit);
    }

    /** E.g. "≥ 40% of duplex", "≤ 1.25x duplex", "≤ duplex + 16 B", "faster suite ≥ 1,000 MB/s". */
    public String text() {
      String what;
      if (reference == null) {
        what = plain(offset) + unitSuffix();
      } else if (offset != 0) {
        what = reference + (offset > 0 ? " + " : " - ") + plain(Math.abs(offset))
            + unitSuffix();
      } else if (factor == 1) {
        what = reference;
      } else if (factor < 1) {
        what = percent(factor) + " of " + reference;
      } else {
        what = times(factor) + " " + reference;
      }
      return (label == null ? "" : label + " ") + bound.sign + " " + what;
    }

    private String unitSuffix() {
      return unit.isEmpty() ? "" : " " + unit;
    }
  }

  private record Row(String metric, Direction direction, Map<String, Cell> cells,
      List<Target> targets) {}

  private final String firstHeader;
  private final List<String> columns;
  private final Set<String> available;
  private final String subject;
  private final String ratioHeader;
  private final boolean targets;
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
    this(firstHeader, columns, available, subject, subject + " vs " + (columns.size() == 2
        ? columns.get(columns.indexOf(subject) == 0 ? 1 : 0) : "best other"), false);
  }

  private ReportTable(String firstHeader, List<String> columns, Set<String> available,
      String subject, String lastHeader, boolean targets) {
    if (!columns.contains(subject)) {
      throw new IllegalArgumentException("subject not a column: " + subject + " " + columns);
    }
    this.firstHeader = firstHeader;
    this.columns = List.copyOf(columns);
    this.available = Set.copyOf(available);
    this.subject = subject;
    this.ratioHeader = lastHeader;
    this.targets = targets;
  }

  /**
   * A table whose last column holds each row's {@link Target}s, met or missed, instead of the
   * comparison with the best other column.
   */
  public static ReportTable withTargets(String firstHeader, List<String> columns,
      Set<String> available, String subject) {
    return new ReportTable(firstHeader, columns, available, subject,
        subject + " vs targets", true);
  }

  /** Adds a row; a column missing from {@code cells} prints "n/a". */
  public ReportTable row(String metric, Direction direction, Map<String, Cell> cells) {
    return row(metric, direction, cells, List.of());
  }

  /** Adds a row judged against {@code goals} (a table {@link #withTargets} only). */
  public ReportTable row(String metric, Direction direction, Map<String, Cell> cells,
      List<Target> goals) {
    if (!targets && !goals.isEmpty()) {
      throw new IllegalStateException("targets need a table made withTargets");
    }
    rows.add(new Row(metric, direction, new LinkedHashMap<>(cells), List.copyOf(goals)));
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
      sb.append(" | ").append(targets ? escape(verdicts(row), Integer.MAX_VALUE)
          : escape(ratio(row))).append(" |\n");
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

  /** Every target of the row, "; "-separated: "≥ 2x netty-tls: met (2.31x)". */
  String verdicts(Row row) {
    if (row.targets().isEmpty()) {
      return "";
    }
    List<String> all = new ArrayList<>();
    for (Target t : row.targets()) {
      all.add(t.text() + ": " + verdict(row, t));
    }
    return String.join("; ", all);
  }

  /** "met (52%)", "missed (1.62x)", "met (duplex-secure, 1,853 MB/s)", "n/a (no netty-tls)". */
  String verdict(Row row, Target t) {
    List<String> judged = t.subjects().isEmpty() ? List.of(subject) : t.subjects();
    String name = null;
    double mine = Double.NaN;
    for (String c : judged) {
      Cell cell = cell(row, c);
      if (cell.measured() && (name == null || (row.direction() == Direction.LOWER_IS_BETTER
          ? cell.value() < mine : cell.value() > mine))) {
        name = c;
        mine = cell.value();
      }
    }
    if (name == null) {
      return "n/a (no " + String.join(" or ", judged) + " result)";
    }
    String detail;
    double bound;
    if (t.reference() == null) {
      bound = t.offset();
      detail = number(mine) + (t.unit().isEmpty() ? "" : " " + t.unit());
    } else {
      Cell ref = cell(row, t.reference());
      if (!ref.measured()) {
        return "n/a (no " + t.reference() + " result)";
      }
      bound = t.factor() * ref.value() + t.offset();
      double diff = mine - ref.value();
      if (t.offset() != 0) {
        detail = (diff >= 0 ? "+" : "-") + number(Math.abs(diff))
            + (t.unit().isEmpty() ? "" : " " + t.unit());
      } else if (ref.value() <= 0) {
        detail = number(mine) + " vs " + number(ref.value());
      } else {
        double r = mine / ref.value();
        detail = t.factor() < 1 ? percent(r) : String.format(Locale.ROOT, "%.2fx", r);
      }
    }
    boolean met = t.bound() == Bound.AT_LEAST ? mine >= bound : mine <= bound;
    return (met ? "met" : "missed") + " (" + (t.label() == null ? "" : name + ", ") + detail
        + ")";
  }

  /** 0.4 as "40%". */
  static String percent(double fraction) {
    return String.format(Locale.ROOT, "%.0f%%", fraction * 100);
  }

  /** 2 as "2x", 1.25 as "1.25x". */
  static String times(double factor) {
    return plain(factor) + "x";
  }

  /** A target's bound as the issue writes it: 16 as "16", 2000 as "2,000", 1.25 as "1.25". */
  static String plain(double v) {
    return new DecimalFormat("#,##0.##", DecimalFormatSymbols.getInstance(Locale.ROOT))
        .format(v);
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
    return escape(s, 100);
  }

  private static String escape(String s, int max) {
    String flat = s.replace('\n', ' ').replace("|", "\\|");
    return flat.length() > max ? flat.substring(0, max - 3) + "..." : flat;
  }
}
