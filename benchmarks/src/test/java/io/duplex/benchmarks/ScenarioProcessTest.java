package io.duplex.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class ScenarioProcessTest {
  private static Histogram latencies() {
    Histogram h = new Histogram(120_000_000_000L, 3);
    for (long v = 1_000; v < 5_000_000; v = v * 3 / 2 + 7) {
      h.recordValue(v);
    }
    h.recordValue(2_000_000_000L); // one outlier of two seconds
    return h;
  }

  @Test
  void shouldCarryAConcurrencyResultWithItsWholeHistogram() throws Exception {
    Histogram h = latencies();
    var sent = new ConcurrencyScenario.Result("netty", h, 123, 45);
    String text = new ObjectMapper().writeValueAsString(ScenarioProcess.write(sent));

    var back = (ConcurrencyScenario.Result) ScenarioProcess.read(new ObjectMapper().readTree(text));

    assertEquals("netty", back.transport());
    assertEquals(123, back.votes());
    assertEquals(45, back.blocks());
    assertEquals(h, back.latency());
    assertEquals(h.getValueAtPercentile(99), back.latency().getValueAtPercentile(99));
  }

  @Test
  void shouldCarryALaneResultWithItsHistogramAndBlockTimeline() throws Exception {
    Histogram h = latencies();
    for (String problem : new String[] {null, "a vote send failed: boom"}) {
      var sent = new LaneScenario.Result("duplex-lanes", h, 10_000, 9_999, 123_456_789L, 9.0,
          new long[] {1, 2, 3}, problem);
      var back = (LaneScenario.Result) ScenarioProcess.read(
          new ObjectMapper().readTree(ScenarioProcess.write(sent).toString()));

      assertEquals("duplex-lanes", back.variant());
      assertEquals(10_000, back.votesSent());
      assertEquals(9_999, back.votesReceived());
      assertEquals(123_456_789L, back.blockBytes());
      assertEquals(9.0, back.measuredSeconds());
      assertEquals(List.of(1L, 2L, 3L), java.util.Arrays.stream(back.blockBytesPerSecond())
          .boxed().toList());
      assertEquals(problem, back.problem());
      assertEquals(h, back.latency());
    }
  }

  @Test
  void shouldCarryABroadcastResultAndWhetherItHadASlowPeer() throws Exception {
    Histogram h = latencies();
    for (boolean slow : new boolean[] {true, false}) {
      var sent = new BroadcastScenario.Result("duplex", slow, 9_000, h, 1_048_576);
      var back = (BroadcastScenario.Result) ScenarioProcess.read(
          new ObjectMapper().readTree(ScenarioProcess.write(sent).toString()));
      assertEquals(sent.slow(), back.slow());
      assertEquals(9_000, back.sent());
      assertEquals(1_048_576, back.maxQueued());
      assertEquals(h.getTotalCount(), back.latency().getTotalCount());
      assertEquals(h.getMaxValue(), back.latency().getMaxValue());
    }
  }

  @Test
  void shouldRefuseAResultThatIsNotOne() {
    var json = new ObjectMapper();
    IOException wrongKind = assertThrows(IOException.class, () -> ScenarioProcess.read(
        json.readTree("{\"kind\":\"pingpong\",\"latency\":\"\"}")));
    assertTrue(wrongKind.getMessage().contains("not a scenario result"), wrongKind.getMessage());
    IOException garbage = assertThrows(IOException.class, () -> ScenarioProcess.read(
        json.readTree("{\"kind\":\"concurrency\",\"latency\":\"bm90IGEgaGlzdG9ncmFt\"}")));
    assertTrue(garbage.getMessage().contains("does not decode"), garbage.getMessage());
  }

  @Test
  void shouldForkThisJavaWithTheBenchmarkHeapFlagsAndThisClassPath() {
    List<String> command = ScenarioProcess.command("broadcast-slow", "duplex", 3, Path.of("r.json"));

    assertTrue(command.get(0).startsWith(System.getProperty("java.home")), command.get(0));
    assertTrue(command.containsAll(ScenarioProcess.JVM_FLAGS), command.toString());
    assertEquals(System.getProperty("java.class.path"),
        command.get(command.indexOf("-cp") + 1));
    assertEquals(List.of(ScenarioProcess.class.getName(), "broadcast-slow", "duplex", "3",
        "r.json"), command.subList(command.size() - 5, command.size()));
  }
}
