package io.duplex.benchmarks;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
    for (String baseline : Baselines.available()) {
      stream(Baselines.streams(baseline, 2));
    }
  }

  @Test
  void shouldPingPongWithEveryBaseline() throws Exception {
    for (String baseline : Baselines.available()) {
      echo(Baselines.echo(baseline));
    }
  }

  @Test
  void shouldOfferNettyTlsRightAfterNetty() {
    var names = Baselines.available();
    assertEquals(names.indexOf(Baselines.NETTY) + 1, names.indexOf(Baselines.NETTY_TLS),
        names.toString());
  }

  @Test
  void shouldOfferVirtualThreadsExactlyWhenTheJdkHasThem() {
    // On JDK 21+ the jdk21 profile compiles the baseline; on 17 it must be left out, not fail.
    assertEquals(Runtime.version().feature() >= 21,
        Baselines.available().contains(Baselines.VIRTUAL_THREADS));
    assertThrows(IllegalArgumentException.class, () -> Baselines.streams("carrier-pigeon", 1));
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
  void shouldHandshakeWithEverySecureTransport() throws Exception {
    for (String transport : List.of(Baselines.NETTY_TLS, Baselines.DUPLEX_SECURE,
        Baselines.DUPLEX_CHACHA)) {
      try (Handshakes handshakes = TlsHandshakeBenchmark.open(transport)) {
        for (int i = 0; i < 3; i++) {
          handshakes.connectAndClose();
        }
      }
    }
  }

  @Test
  void shouldRunEveryAeadBenchmarkOnce() throws Exception {
    for (String suite : new String[] {AeadBenchmark.CHACHA, AeadBenchmark.AES_GCM}) {
      // Each method in a set-up of its own, as JMH runs them: the JDK's ChaCha20 refuses an
      // init with the key and nonce of the one before, whether to seal or open.
      AeadBenchmark b = aead(suite);
      for (int i = 0; i < 3; i++) {
        assertEquals(1024 + AeadBenchmark.TAG, b.sealArray(), suite);
      }
      b = aead(suite);
      for (int i = 0; i < 3; i++) {
        assertEquals(1024 + AeadBenchmark.TAG, b.sealBuffer(), suite);
      }
      b = aead(suite);
      for (int i = 0; i < 3; i++) {
        assertEquals(1024, b.openArray(), suite);
      }
      b = aead(suite);
      for (int i = 0; i < 3; i++) {
        assertEquals(1024, b.openBuffer(), suite);
      }
    }
  }

  private static AeadBenchmark aead(String suite) throws Exception {
    AeadBenchmark b = new AeadBenchmark();
    b.suite = suite;
    b.size = 1024;
    b.setUp();
    return b;
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
    if (Baselines.virtualThreadsAvailable()) {
      BroadcastScenario.Result vt = BroadcastScenario.run(Baselines.VIRTUAL_THREADS, 2, true);
      org.junit.jupiter.api.Assertions.assertTrue(vt.latency().getTotalCount() > 0);
    }
  }

  @Test
  void shouldRunTheConcurrencyScenarioWithEachTransport() throws Exception {
    for (String transport : Baselines.available()) {
      if (transport.equals(Baselines.NETTY_TLS) || transport.equals(Baselines.DUPLEX_SECURE)
          || transport.equals(Baselines.DUPLEX_CHACHA)) {
        continue; // the scenarios compare plaintext transports; they have no TLS variant
      }
      ConcurrencyScenario.Result r = ConcurrencyScenario.run(transport, 2);
      org.junit.jupiter.api.Assertions.assertEquals(2_000, r.votes(), transport);
      org.junit.jupiter.api.Assertions.assertTrue(r.latency().getTotalCount() > 0, transport);
      org.junit.jupiter.api.Assertions.assertTrue(r.blocks() > 0, transport);
    }
  }

  @Test
  void shouldRunTheLaneScenarioWithEachVariant() throws Exception {
    for (String variant : LaneScenario.VARIANTS) {
      // The stalled variant's handler stalls 2 s in: a 3 s run reaches the stall.
      int seconds = variant.equals(LaneScenario.DUPLEX_LANES_STALLED) ? 3 : 2;
      LaneScenario.Result r = LaneScenario.run(variant, seconds);
      org.junit.jupiter.api.Assertions.assertEquals(seconds * 1_000L, r.votesSent(), variant);
      org.junit.jupiter.api.Assertions.assertEquals(r.votesSent(), r.votesReceived(),
          variant + ": every vote arrives, the stalled block handler notwithstanding");
      org.junit.jupiter.api.Assertions.assertTrue(r.latency().getTotalCount() > 0, variant);
      org.junit.jupiter.api.Assertions.assertTrue(r.blockBytes() >= LaneScenario.BLOCK,
          variant + ": blocks flowed, " + r.line());
      org.junit.jupiter.api.Assertions.assertNull(r.problem(), variant);
    }
  }
}
