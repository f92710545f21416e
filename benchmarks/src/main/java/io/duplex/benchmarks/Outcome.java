package io.duplex.benchmarks;

import io.duplex.benchmarks.ReportTable.Cell;
import java.util.function.ToDoubleFunction;

/**
 * What one workload gave the report: its result, or why there is none. A failed workload costs
 * its own cells ("failed: ...") and nothing else.
 */
record Outcome<T>(T value, String failure) {
  static <T> Outcome<T> ok(T value) {
    return new Outcome<>(value, null);
  }

  static <T> Outcome<T> failed(Throwable e) {
    return failed(reason(e));
  }

  static <T> Outcome<T> failed(String reason) {
    return new Outcome<>(null, reason);
  }

  boolean succeeded() {
    return failure == null;
  }

  /** The cell for {@code metric} of the value, or the failure. */
  Cell cell(ToDoubleFunction<T> metric) {
    if (!succeeded()) {
      return Cell.failed(failure);
    }
    try {
      return Cell.of(metric.applyAsDouble(value));
    } catch (RuntimeException e) {
      return Cell.failed(reason(e));
    }
  }

  static String reason(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
