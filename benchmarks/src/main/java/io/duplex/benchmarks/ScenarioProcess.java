package io.duplex.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/**
 * Runs one scenario in a JVM of its own, so that no scenario inherits another's threads, heap or
 * JIT state (a locked broadcast leaves blocked threads behind; a JSON run leaves a grown heap).
 * The report forks one of these per scenario and baseline, with the same heap flags as the JMH
 * forks, and reads the result back from a small JSON file: the latency histogram travels as
 * HdrHistogram's compressed encoding in base64, so percentiles and charts are computed from the
 * whole distribution, not from a summary.
 *
 * <pre>
 *   java -cp benchmarks.jar io.duplex.benchmarks.ScenarioProcess KIND TRANSPORT SECONDS OUT.json
 * </pre>
 *
 * <p>{@code KIND} is {@code concurrency}, {@code broadcast-slow}, {@code broadcast-none} or
 * {@code lanes} (workload 6, {@link LaneScenario}; {@code TRANSPORT} is then its variant).
 */
final class ScenarioProcess {
  static final String CONCURRENCY = "concurrency";
  static final String BROADCAST_SLOW = "broadcast-slow";
  static final String BROADCAST_NONE = "broadcast-none";
  static final String LANES = "lanes";
  /** The forked JVM's flags: those of the JMH forks (see {@code @Fork} on the benchmarks). */
  static final List<String> JVM_FLAGS = List.of("-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch");

  private static final ObjectMapper JSON = new ObjectMapper();

  private ScenarioProcess() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: ScenarioProcess concurrency|broadcast-slow|broadcast-none|lanes"
          + " TRANSPORT SECONDS OUT.json");
      System.exit(2);
    }
    int status = 1;
    try {
      int seconds = Integer.parseInt(args[2]);
      ObjectNode result = switch (args[0]) {
        case CONCURRENCY -> write(ConcurrencyScenario.run(args[1], seconds));
        case BROADCAST_SLOW -> write(BroadcastScenario.run(args[1], seconds, true));
        case BROADCAST_NONE -> write(BroadcastScenario.run(args[1], seconds, false));
        case LANES -> write(LaneScenario.run(args[1], seconds));
        default -> throw new IllegalArgumentException("unknown scenario: " + args[0]);
      };
      JSON.writeValue(Path.of(args[3]).toFile(), result);
      status = 0;
    } catch (Exception e) {
      e.printStackTrace(); // into the scenario's log, which the report names
    } finally {
      System.exit(status); // a baseline's stray non-daemon thread must not keep this JVM alive
    }
  }

  /**
   * Forks {@code java ScenarioProcess kind transport seconds} and waits for it. Its output goes
   * to {@code dir/scenario-KIND-TRANSPORT.log}.
   *
   * @return the decoded result: a {@link ConcurrencyScenario.Result}, a
   *     {@link BroadcastScenario.Result} or a {@link LaneScenario.Result}
   * @throws IOException if the JVM could not start, failed, or left no result; the message
   *     points at its log
   */
  static Object fork(String kind, String transport, int seconds, Path dir, long timeoutSeconds)
      throws IOException, InterruptedException {
    Path result = dir.resolve("scenario-" + kind + "-" + transport + ".json");
    Path log = dir.resolve("scenario-" + kind + "-" + transport + ".log");
    Files.deleteIfExists(result);
    Process process = new ProcessBuilder(command(kind, transport, seconds, result))
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new IOException("timed out after " + timeoutSeconds + " s (log: " + log + ")");
    }
    if (process.exitValue() != 0 || !Files.exists(result)) {
      throw new IOException("exit code " + process.exitValue() + " (log: " + log + ")");
    }
    return read(JSON.readTree(result.toFile()));
  }

  /** The forked JVM's command line: this JVM's {@code java}, {@link #JVM_FLAGS}, this class path. */
  static List<String> command(String kind, String transport, int seconds, Path result) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(JVM_FLAGS);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(ScenarioProcess.class.getName());
    command.add(kind);
    command.add(transport);
    command.add(Integer.toString(seconds));
    command.add(result.toString());
    return command;
  }

  static ObjectNode write(ConcurrencyScenario.Result r) {
    return JSON.createObjectNode().put("kind", CONCURRENCY).put("transport", r.transport())
        .put("votes", r.votes()).put("blocks", r.blocks())
        .put("latency", encode(r.latency()));
  }

  static ObjectNode write(BroadcastScenario.Result r) {
    return JSON.createObjectNode().put("kind", r.slow() ? BROADCAST_SLOW : BROADCAST_NONE)
        .put("transport", r.transport()).put("sent", r.sent()).put("maxQueued", r.maxQueued())
        .put("latency", encode(r.latency()));
  }

  static ObjectNode write(LaneScenario.Result r) {
    ObjectNode node = JSON.createObjectNode().put("kind", LANES).put("transport", r.variant())
        .put("votesSent", r.votesSent()).put("votesReceived", r.votesReceived())
        .put("blockBytes", r.blockBytes()).put("measuredSeconds", r.measuredSeconds())
        .put("latency", encode(r.latency()));
    ArrayNode perSecond = node.putArray("blockBytesPerSecond");
    for (long b : r.blockBytesPerSecond()) {
      perSecond.add(b);
    }
    if (r.problem() != null) {
      node.put("problem", r.problem());
    }
    return node;
  }

  static Object read(JsonNode node) throws IOException {
    String kind = node.path("kind").asText();
    if (kind.equals(LANES)) {
      JsonNode perSecond = node.path("blockBytesPerSecond");
      long[] bytes = new long[perSecond.size()];
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = perSecond.get(i).asLong();
      }
      return new LaneScenario.Result(node.path("transport").asText(),
          decode(node.path("latency").asText()), node.path("votesSent").asLong(),
          node.path("votesReceived").asLong(), node.path("blockBytes").asLong(),
          node.path("measuredSeconds").asDouble(), bytes,
          node.hasNonNull("problem") ? node.get("problem").asText() : null);
    }
    if (!List.of(CONCURRENCY, BROADCAST_SLOW, BROADCAST_NONE).contains(kind)) {
      throw new IOException("not a scenario result: kind " + kind);
    }
    String transport = node.path("transport").asText();
    Histogram latency = decode(node.path("latency").asText());
    return switch (kind) {
      case CONCURRENCY -> new ConcurrencyScenario.Result(transport, latency,
          node.path("votes").asLong(), node.path("blocks").asLong());
      case BROADCAST_SLOW, BROADCAST_NONE -> new BroadcastScenario.Result(transport,
          kind.equals(BROADCAST_SLOW), node.path("sent").asLong(), latency,
          node.path("maxQueued").asLong());
      default -> throw new IOException("not a scenario result: kind " + kind);
    };
  }

  static String encode(Histogram h) {
    ByteBuffer buffer = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
    int length = h.encodeIntoCompressedByteBuffer(buffer);
    return Base64.getEncoder().encodeToString(Arrays.copyOf(buffer.array(), length));
  }

  static Histogram decode(String base64) throws IOException {
    try {
      return Histogram.decodeFromCompressedByteBuffer(
          ByteBuffer.wrap(Base64.getDecoder().decode(base64)), 0);
    } catch (DataFormatException | RuntimeException e) {
      throw new IOException("the scenario's latency histogram does not decode: " + e, e);
    }
  }
}
