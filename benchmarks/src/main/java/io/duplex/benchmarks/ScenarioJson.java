package io.duplex.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.function.Function;
import org.HdrHistogram.Histogram;

/** The scenarios' results as the report writes them to {@code scenarios.json}. */
final class ScenarioJson {
  /** The percentiles written for each latency histogram, beside p50, p99 and max. */
  static final double[] PERCENTILES = {0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100};

  private ScenarioJson() {}

  /** Puts {@code name: {...}} for a result, or {@code name: {"failed": reason}}. */
  static <T> void put(ObjectNode parent, String name, Outcome<T> outcome,
      Function<T, ObjectNode> write) {
    if (outcome.succeeded()) {
      parent.set(name, write.apply(outcome.value()));
    } else {
      parent.putObject(name).put("failed", outcome.failure());
    }
  }

  /** Latency in microseconds: count, p50, p99, max and a percentile list. */
  static ObjectNode latency(ObjectMapper json, Histogram nanos) {
    ObjectNode node = json.createObjectNode();
    node.put("count", nanos.getTotalCount())
        .put("p50_us", nanos.getValueAtPercentile(50) / 1e3)
        .put("p99_us", nanos.getValueAtPercentile(99) / 1e3)
        .put("max_us", nanos.getMaxValue() / 1e3);
    ArrayNode curve = node.putArray("percentiles_us");
    for (double p : PERCENTILES) {
      curve.addObject().put("percentile", p).put("us", nanos.getValueAtPercentile(p) / 1e3);
    }
    return node;
  }
}
