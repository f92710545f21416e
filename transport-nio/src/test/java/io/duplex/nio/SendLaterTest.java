package io.duplex.nio;

import static io.duplex.nio.Peers.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Queue a burst, flush once. */
@Timeout(30)
class SendLaterTest {

  @Test
  void shouldHoldQueuedFramesUntilFlushThenWriteThemInOrder() throws Exception {
    try (Peers.Node server = node("server").listen(); Peers.Node client = node("client")) {
      Connection<byte[]> c = client.connect(server);
      Connection<byte[]> s = server.nextOpened();
      List<CompletableFuture<Void>> sent = new ArrayList<>();
      for (int i = 0; i < 1_000; i++) {
        sent.add(c.sendLater(ByteBuffer.allocate(64).putInt(i).array()));
      }
      assertFalse(sent.stream().anyMatch(CompletableFuture::isDone), "nothing written yet");
      assertEquals(1_000 * 69, c.pendingBytes());
      c.flush();
      for (int i = 0; i < 1_000; i++) {
        assertEquals(i, ByteBuffer.wrap(s.receive(Duration.ofSeconds(10))).getInt());
      }
      for (CompletableFuture<Void> f : sent) {
        f.get(10, TimeUnit.SECONDS);
      }
      assertEquals(0, c.stats().writeThroughs() - 1, "only the handshake was written through");
      assertEquals(1_000, c.stats().deferredWrites());
    }
  }

  @Test
  void shouldLetASendCarryTheFramesQueuedBeforeIt() throws Exception {
    try (Peers.Node server = node("server").listen(); Peers.Node client = node("client")) {
      Connection<byte[]> c = client.connect(server);
      Connection<byte[]> s = server.nextOpened();
      CompletableFuture<Void> first = c.sendLater(new byte[] {1});
      c.send(new byte[] {2}).get(10, TimeUnit.SECONDS);
      first.get(10, TimeUnit.SECONDS);
      assertEquals(1, s.receive(Duration.ofSeconds(10))[0]);
      assertEquals(2, s.receive(Duration.ofSeconds(10))[0]);
    }
  }

  @Test
  void shouldFailUnflushedFramesWhenTheConnectionCloses() throws Exception {
    try (Peers.Node server = node("server").listen(); Peers.Node client = node("client")) {
      Connection<byte[]> c = client.connect(server);
      CompletableFuture<Void> queued = c.sendLater(new byte[] {1});
      c.abort();
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> queued.get(10, TimeUnit.SECONDS));
      assertInstanceOf(ConnectionClosedException.class, e.getCause());
      assertEquals(0, c.pendingBytes());
    }
  }
}
