package io.duplex.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.duplex.benchmarks.baseline.DuplexEcho;
import io.duplex.benchmarks.baseline.DuplexStreams;
import io.duplex.benchmarks.baseline.NettyEcho;
import io.duplex.benchmarks.baseline.NettyStreams;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every benchmark baseline, driven once at the smallest size, so the benchmarks never rot. A
 * smoke run, not a measurement: nothing here is timed.
 */
@Timeout(60)
class BaselinesSmokeTest {

  private static void stream(Streams streams) {
    try (streams) {
      for (int c = 0; c < 2; c++) {
        streams.sendBatch(c, new byte[64], 256);
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (streams.received() < 512 && System.nanoTime() < deadline) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
      }
      assertEquals(512, streams.received());
    }
  }

  private static void echo(Echo echo) throws Exception {
    try (echo) {
      for (int i = 0; i < 100; i++) {
        echo.roundTrip(new byte[64]);
      }
    }
  }

  @Test
  void shouldStreamWithEveryBaseline() throws Exception {
    stream(new DuplexStreams(2));
    stream(new NettyStreams(2));
    stream(new io.duplex.benchmarks.baseline.LockedStreams(2));
  }

  @Test
  void shouldPingPongWithEveryBaseline() throws Exception {
    echo(new DuplexEcho());
    echo(new NettyEcho());
    echo(new io.duplex.benchmarks.baseline.LockedEcho());
  }

  @Test
  void shouldRunEveryCodecBenchmarkOnce() {
    for (String codec : new String[] {"json", "binary"}) {
      for (String message : new String[] {"vote", "proposal"}) {
        CodecBenchmark b = new CodecBenchmark();
        b.codec = codec;
        b.message = message;
        b.setUp();
        int frame = b.encode().remaining();
        assertEquals(b.decode(), b.decode(), codec + " " + message);
        org.junit.jupiter.api.Assertions.assertTrue(frame > 5, codec + " " + message);
      }
    }
  }

  @Test
  void shouldRunTheBroadcastScenarioWithEachTransport() throws Exception {
    BroadcastScenario.Result duplex = BroadcastScenario.run("duplex", 2, true);
    org.junit.jupiter.api.Assertions.assertTrue(duplex.latency().getTotalCount() > 0);
    org.junit.jupiter.api.Assertions.assertTrue(duplex.maxQueued() <= 1 << 20,
        "duplex holds at most its hard limit for the slow peer: " + duplex.maxQueued());
    BroadcastScenario.Result netty = BroadcastScenario.run("netty", 2, true);
    org.junit.jupiter.api.Assertions.assertTrue(netty.latency().getTotalCount() > 0);
    BroadcastScenario.Result locked = BroadcastScenario.run("locked", 2, false);
    org.junit.jupiter.api.Assertions.assertTrue(locked.latency().getTotalCount() > 0);
  }

  @Test
  void shouldRunTheConcurrencyScenarioWithEachTransport() throws Exception {
    for (String transport : new String[] {"duplex", "netty", "locked"}) {
      ConcurrencyScenario.Result r = ConcurrencyScenario.run(transport, 2);
      org.junit.jupiter.api.Assertions.assertEquals(2_000, r.votes(), transport);
      org.junit.jupiter.api.Assertions.assertTrue(r.latency().getTotalCount() > 0, transport);
      org.junit.jupiter.api.Assertions.assertTrue(r.blocks() > 0, transport);
    }
  }
}
