package io.duplex.nio;

import static io.duplex.nio.Peers.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.ReceiveTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Closing: graceful drains, abort drops, and either way everything completes exactly once. */
@Timeout(60)
class CloseTest {

  @Test
  void shouldCompleteEveryConnectThatRacesTheTransportsClose() throws Exception {
    // A connect that adds its connection just after close() looked at the connections must
    // still end: before the fix its futures waited forever on a loop that had stopped.
    try (Peers.Node server = node("server", b -> b.maxInboundConnectionsPerAddress(4096))
        .listen()) {
      int completed = 0;
      for (int round = 0; round < 40; round++) {
        Peers.Node client = node("client-" + round);
        List<CompletableFuture<Connection<byte[]>>> connects = new ArrayList<>();
        Thread dialer = new Thread(() -> {
          for (int i = 0; i < 50; i++) {
            connects.add(client.transport.connect(server.address));
          }
        });
        dialer.start();
        client.close(); // races the dialer's connects
        dialer.join(10_000);
        assertFalse(dialer.isAlive(), "the dialer returned");
        for (CompletableFuture<Connection<byte[]>> f : connects) {
          try {
            f.get(10, TimeUnit.SECONDS).closeFuture().get(10, TimeUnit.SECONDS);
          } catch (ExecutionException expected) {
            // refused or ended by the close: either way the future completed
          }
          completed++;
        }
      }
      assertTrue(completed > 0, "some connects were made");
    }
  }

  @Test
  void shouldDeliverEverythingQueuedBeforeAGracefulClose() throws Exception {
    try (Peers.Node server = node("server").listen(); Peers.Node client = node("client")) {
      Connection<byte[]> c = client.connect(server);
      Connection<byte[]> s = server.nextOpened();
      List<CompletableFuture<Void>> sent = new ArrayList<>();
      for (int i = 0; i < 10_000; i++) {
        sent.add(c.send(ByteBuffer.allocate(1000).putInt(i).array()));
      }
      CompletableFuture<Void> closed = c.close();
      ExecutionException refused = assertThrows(ExecutionException.class,
          () -> c.send(new byte[1]).get(10, TimeUnit.SECONDS));
      assertInstanceOf(ConnectionClosedException.class, refused.getCause());
      for (int i = 0; i < 10_000; i++) {
        assertEquals(i, ByteBuffer.wrap(s.receive(Duration.ofSeconds(10))).getInt());
      }
      assertThrows(ConnectionClosedException.class, () -> s.receive(Duration.ofSeconds(10)));
      closed.get(10, TimeUnit.SECONDS);
      for (CompletableFuture<Void> f : sent) {
        assertTrue(f.isDone() && !f.isCompletedExceptionally());
      }
      s.closeFuture().get(10, TimeUnit.SECONDS);
      assertNull(c.closeCause().getCause(), "an orderly close has no error cause");
      assertNull(s.closeCause().getCause());
      assertTrue(s.closeCause().getMessage().contains("closed by the peer"),
          s.closeCause().getMessage());
      Peers.await("onClose on both sides", 10,
          () -> client.closed.size() == 1 && server.closed.size() == 1);
      assertFalse(c.isAlive() || s.isAlive());
    }
  }

  @Test
  void shouldFailEverythingPendingOnAbortAndTellTheListenerOnce() throws Exception {
    try (Peers.Node server = node("server", b -> b.inboundQueueCapacity(1),
            t -> t.receiveBufferSize(64 * 1024), c -> { }).listen();
        Peers.Node client = node("client", b -> { }, t -> t.sendBufferSize(64 * 1024),
            c -> { })) {
      Connection<byte[]> c = client.connect(server);
      Connection<byte[]> s = server.nextOpened();
      List<CompletableFuture<Void>> sent = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        sent.add(c.send(new byte[64 * 1024]));
      }
      Thread receiver = new Thread(() -> {
        try {
          c.receive(Duration.ofSeconds(30));
        } catch (ConnectionClosedException expected) {
          // what abort gives a waiting receiver
        } catch (InterruptedException | ReceiveTimeoutException e) {
          throw new AssertionError(e);
        }
      });
      receiver.start();
      CompletableFuture<Duration> ping = c.ping();
      c.abort();
      c.abort(); // idempotent
      receiver.join(10_000);
      assertFalse(receiver.isAlive(), "a waiting receive is released by the close");
      int failed = 0;
      for (CompletableFuture<Void> f : sent) {
        try {
          f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          assertInstanceOf(ConnectionClosedException.class, e.getCause());
          failed++;
        }
      }
      assertTrue(failed > 0, "a 6.4 MB backlog to a stalled peer cannot all be written");
      assertTrue(ping.handle((d, e) -> e).get(10, TimeUnit.SECONDS)
          instanceof ConnectionClosedException || ping.isDone());
      assertTrue(c.closeCause().getMessage().contains("aborted"));
      assertEquals(0, c.pendingBytes());
      c.close().get(10, TimeUnit.SECONDS); // closing a closed connection completes at once
      // The server paused reading on its full queue; draining it reaches the end of stream.
      assertThrows(ConnectionClosedException.class, () -> {
        for (int i = 0; i < 200; i++) {
          s.receive(Duration.ofSeconds(10));
        }
      });
      Peers.await("onClose", 10, () -> client.closed.size() == 1 && server.closed.size() == 1);
      assertEquals(1, client.closeCauses.size());
    }
  }

  @Test
  void shouldShutDownEachDirectionOnItsOwn() throws Exception {
    try (Peers.Node server = node("server").listen(); Peers.Node client = node("client")) {
      Connection<byte[]> c = client.connect(server);
      Connection<byte[]> s = server.nextOpened();
      c.send("last words".getBytes()).get(10, TimeUnit.SECONDS);
      c.shutdownOutput().get(10, TimeUnit.SECONDS);
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> c.send(new byte[1]).get(10, TimeUnit.SECONDS));
      assertInstanceOf(ConnectionClosedException.class, e.getCause());
      assertEquals("last words", new String(s.receive(Duration.ofSeconds(10))));
      // The server saw our FIN; it answers with what it had, then closes; we still read it.
      s.closeFuture().get(10, TimeUnit.SECONDS);
      c.closeFuture().get(10, TimeUnit.SECONDS);
      Peers.await("both closed once", 10,
          () -> client.closed.size() == 1 && server.closed.size() == 1);
    }
  }

  @Test
  void shouldKeepSendingAfterShuttingDownInput() throws Exception {
    try (Peers.Node server = node("server").listen(); Peers.Node client = node("client")) {
      Connection<byte[]> c = client.connect(server);
      Connection<byte[]> s = server.nextOpened();
      c.shutdownInput();
      assertThrows(ConnectionClosedException.class, () -> c.receive(Duration.ofSeconds(10)));
      c.send("still here".getBytes()).get(10, TimeUnit.SECONDS);
      assertEquals("still here", new String(s.receive(Duration.ofSeconds(10))));
    }
  }

  @Test
  void shouldStayOrderlyWhenSendsRaceThePeersClose() throws Exception {
    for (int round = 0; round < 20; round++) {
      try (Peers.Node server = node("server").listen(); Peers.Node client = node("client")) {
        Connection<byte[]> c = client.connect(server);
        Connection<byte[]> s = server.nextOpened();
        Thread sender = new Thread(() -> {
          for (int i = 0; i < 1_000_000; i++) {
            if (c.send(new byte[100]).isCompletedExceptionally() || c.closeCause() != null) {
              return; // refused once the close began
            }
          }
        });
        sender.start();
        s.receive(Duration.ofSeconds(10)); // the stream is flowing
        s.close();
        c.closeFuture().get(10, TimeUnit.SECONDS);
        sender.join(10_000);
        assertNull(c.closeCause().getCause(), "round " + round + ": " + c.closeCause());
      }
    }
  }

  @Test
  void shouldRefuseATransportCloseFromItsOwnReadLoop() throws Exception {
    java.util.concurrent.CompletableFuture<Throwable> refused =
        new java.util.concurrent.CompletableFuture<>();
    java.util.concurrent.atomic.AtomicReference<io.duplex.Transport<byte[]>> self =
        new java.util.concurrent.atomic.AtomicReference<>();
    try (Peers.Node server = node("server", b -> { }, t -> t.handlersOnReadLoop(true), c ->
            c.onMessage((conn, m) -> {
              try {
                self.get().close();
                refused.complete(null);
              } catch (IllegalStateException e) {
                refused.complete(e);
              }
            })).listen();
        Peers.Node client = node("client")) {
      self.set(server.transport);
      client.connect(server).send(new byte[] {1});
      Throwable e = refused.get(10, TimeUnit.SECONDS);
      assertInstanceOf(IllegalStateException.class, e);
      assertTrue(e.getMessage().contains("call it from another thread"), e.getMessage());
    }
  }
}
