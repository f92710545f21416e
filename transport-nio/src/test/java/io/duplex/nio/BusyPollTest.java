package io.duplex.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.codec.ByteArrayCodec;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The low-latency mode ({@code busyPoll}): loops that poll after their last work must still
 * handle everything, whether it arrives while they poll, as they stop polling, or after they
 * blocked (a lost wakeup would hang a round trip, a close or a ping).
 */
@Timeout(60)
class BusyPollTest {

  @Test
  void shouldAnswerEveryRoundTripWhetherTheLoopsPollOrBlock() throws Exception {
    Duration poll = Duration.ofMillis(1);
    try (Peers.Node server = Peers.node("server", b -> { }, t -> t.busyPoll(poll),
            c -> c.onMessage((conn, m) -> conn.send(m)));
        Peers.Node client = Peers.node("client", b -> { }, t -> t.busyPoll(poll), c -> { })) {
      server.listen();
      Connection<byte[]> c = client.connect(server);
      Random random = new Random(11);
      for (int i = 0; i < 300; i++) {
        // Gaps of 0 to 3 ms: some requests find the loops polling, some just stopping, some
        // blocked in select.
        LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(random.nextInt(3_000)));
        byte[] m = LaneTest.message(0, i, 16 + random.nextInt(2_000));
        c.send(m);
        assertArrayEquals(m, c.receive(Duration.ofSeconds(5)), "round trip " + i);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // every loop blocked by now
      assertTrue(c.ping().get(5, TimeUnit.SECONDS).toNanos() > 0);
      c.close().get(5, TimeUnit.SECONDS);
      assertEquals(List.of(), client.errors);
      assertEquals(List.of(), server.errors);
    }
  }

  @Test
  void shouldRefuseANegativeOrEndlessPoll() {
    NioTransport.Builder<byte[]> b = NioTransport.builder(ByteArrayCodec.instance());
    assertThrows(IllegalArgumentException.class, () -> b.busyPoll(Duration.ofNanos(-1)));
    assertThrows(IllegalArgumentException.class, () -> b.busyPoll(Duration.ofSeconds(2)));
    b.busyPoll(Duration.ZERO);
    b.busyPoll(Duration.ofSeconds(1));
  }
}
