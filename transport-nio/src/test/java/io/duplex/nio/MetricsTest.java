package io.duplex.nio;

import static io.duplex.nio.Peers.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.ConnectionStats;
import io.duplex.Encoded;
import io.duplex.FrameDroppedException;
import io.duplex.TransportStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The counters say what the test did. */
@Timeout(60)
class MetricsTest {

  @Test
  void shouldCountWhatWasSentAndReceived() throws Exception {
    int messages = 2_000;
    int size = 300;
    try (Peers.Node server = node("server").listen(); Peers.Node client = node("client")) {
      Connection<byte[]> c = client.connect(server);
      Connection<byte[]> s = server.nextOpened();
      ConnectionStats fresh = c.stats();
      assertEquals(0, fresh.messagesOut());
      assertNull(fresh.lastPingRtt());

      for (int i = 0; i < messages; i++) {
        c.send(new byte[size]);
      }
      for (int i = 0; i < messages; i++) {
        s.receive(Duration.ofSeconds(10));
      }
      c.ping().get(10, TimeUnit.SECONDS);
      Peers.await("quiet", 10, () -> c.stats().bytesOut() == s.stats().bytesIn()
          && s.stats().bytesOut() == c.stats().bytesIn());

      ConnectionStats out = c.stats();
      ConnectionStats in = s.stats();
      assertEquals(messages, out.messagesOut());
      assertEquals(messages, in.messagesIn());
      assertEquals(0, out.messagesIn());
      long frames = (long) messages * (5 + size);
      assertTrue(out.bytesOut() >= frames && out.bytesOut() < frames + 1024,
          "bytes out " + out.bytesOut() + " = messages + handshake + ping");
      assertEquals(out.bytesOut(), in.bytesIn());
      assertEquals(messages, out.writeThroughs() + out.deferredWrites(),
          "every message written once (control frames count in bytesOut only)");
      assertEquals(0, out.pendingBytes());
      assertEquals(0, out.framesQueued());
      assertEquals(0, out.sendsRefused());
      assertNotNull(out.lastPingRtt());

      TransportStats t = client.transport.stats();
      assertEquals(1, t.openConnections());
      assertEquals(1, t.dialed());
      assertEquals(0, t.accepted());
      assertEquals(messages, t.messagesOut());
      assertEquals(1, server.transport.stats().accepted());
      assertEquals(messages, server.transport.stats().messagesIn());

      c.close().get(10, TimeUnit.SECONDS);
      Peers.await("closed counted", 10, () -> client.transport.stats().closed() == 1);
      TransportStats after = client.transport.stats();
      assertEquals(0, after.openConnections());
      assertEquals(messages, after.messagesOut(), "a closed connection's counts are kept");
      assertEquals(out.bytesOut() + 5 + 2, after.bytesOut(), "plus the CLOSE frame");
    }
  }

  @Test
  void shouldCountRefusalsPausesAndErrors() throws Exception {
    try (Peers.Node reader = node("reader", b -> b.inboundQueueCapacity(2),
            t -> t.receiveBufferSize(64 * 1024), c -> { }).listen();
        Peers.Node sender = node("sender", b -> b.maxFrameSize(1 << 20).highWaterMark(1 << 20)
            .lowWaterMark(1 << 19).outboundHardLimit(2L << 20)
            .closeTimeout(Duration.ofMillis(200)), t -> t.sendBufferSize(64 * 1024), c -> { })) {
      Connection<byte[]> c = sender.connect(reader);
      int refused = 0;
      for (int i = 0; i < 1_000 && refused < 3; i++) {
        if (c.send(new byte[64 * 1024]).isCompletedExceptionally()) {
          refused++;
        }
      }
      assertEquals(3, refused);
      ConnectionStats stats = c.stats();
      assertEquals(3, stats.sendsRefused());
      assertTrue(stats.pendingBytesHighWater() <= 2L << 20 && stats.pendingBytesHighWater() > 0);
      assertTrue(stats.framesQueued() > 0);
      Connection<byte[]> r = reader.nextOpened();
      Peers.await("the reader pauses on its full queue", 10, () -> r.stats().readPauses() > 0);
      assertTrue(sender.transport.stats().writeWakeups() >= 1,
          "the write loop was woken for the backlog");

      try (RawPeer garbage = new RawPeer(reader.address)) {
        garbage.sendRaw("garbage!".getBytes());
        assertTrue(garbage.closedByPeer());
      }
      Peers.await("error counted", 10, () -> reader.transport.stats().errors()
          .getOrDefault("HandshakeException", 0L) == 1);
    }
  }

  @Test
  void shouldCountFramesDroppedAtTheirDeadlineInTheTransportTotalsAlsoAfterTheConnectionCloses()
      throws Exception {
    int dropped = 5;
    try (Peers.Node reader = node("reader", b -> b.inboundQueueCapacity(1),
            t -> t.receiveBufferSize(64 * 1024), c -> { }).listen();
        Peers.Node sender = node("sender", b -> b.sendTimeout(Duration.ofSeconds(30)),
            t -> t.sendBufferSize(64 * 1024), c -> { })) {
      Connection<byte[]> c = sender.connect(reader);
      // The reader holds one message and reads no more: a backlog builds behind a full socket.
      for (int i = 0; i < 100 && c.pendingBytes() <= 1 << 20; i++) {
        c.send(new byte[64 * 1024]);
      }
      Peers.await("a backlog of over 1 MiB", 10, () -> c.pendingBytes() > 1 << 20);
      Encoded<byte[]> stale = sender.transport.encode(new byte[100])
          .withDeadline(Duration.ofMillis(50));
      List<CompletableFuture<Void>> sends = new ArrayList<>();
      for (int i = 0; i < dropped; i++) {
        sends.add(c.send(stale));
      }
      for (CompletableFuture<Void> f : sends) {
        ExecutionException e = assertThrows(ExecutionException.class,
            () -> f.get(10, TimeUnit.SECONDS));
        assertEquals(FrameDroppedException.Reason.DEADLINE,
            assertInstanceOf(FrameDroppedException.class, e.getCause()).reason());
      }
      assertEquals(dropped, c.stats().framesDropped());
      assertEquals(dropped, sender.transport.stats().framesDropped(), "an open connection's");

      c.abort();
      Peers.await("closed counted", 10, () -> sender.transport.stats().closed() == 1);
      assertEquals(dropped, sender.transport.stats().framesDropped(),
          "a closed connection's drops are kept");
    }
  }
}
