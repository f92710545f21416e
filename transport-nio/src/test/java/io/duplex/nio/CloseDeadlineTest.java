package io.duplex.nio;

import static io.duplex.nio.Peers.causedBy;
import static io.duplex.nio.Peers.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.DuplexTimeoutException;
import io.duplex.internal.Wire;
import java.io.EOFException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The deadline of a graceful close is set once, when the close starts, by the timeout it was
 * started with: a CLOSE from the peer or another close() call does not move it, and a
 * connection half-closed by shutdownOutput() has one too. Each peer here is a raw socket that
 * never sends its FIN, so only the deadline can end the connection.
 */
@Timeout(60)
class CloseDeadlineTest {
  private static final Duration LONG_CLOSE_TIMEOUT = Duration.ofSeconds(30);

  /** Waits up to 5 s for {@code c} to close; fails saying what {@code expected} was. */
  private static long awaitClosed(Connection<byte[]> c, long startNanos, String expected)
      throws Exception {
    try {
      c.closeFuture().get(5, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("still not closed " + (System.nanoTime() - startNanos) / 1_000_000
          + " ms after " + expected + " (state: alive " + c.isAlive() + ", close cause "
          + c.closeCause() + ")");
    }
    long millis = (System.nanoTime() - startNanos) / 1_000_000;
    assertTrue(causedBy(c.closeCause(), DuplexTimeoutException.class), "closed by the deadline"
        + " after " + millis + " ms: " + c.closeCause());
    return millis;
  }

  /** Reads frames until a CLOSE; returns false if end of stream came first. */
  private static boolean readUntilClose(RawPeer raw) throws Exception {
    for (int i = 0; i < 1000; i++) {
      byte[] frame;
      try {
        frame = raw.readFrame();
      } catch (EOFException e) {
        return false;
      }
      if (frame[0] == Wire.CLOSE) {
        return true;
      }
    }
    return false;
  }

  @Test
  void shouldKeepTheCloseTimeoutGivenToCloseWhenThePeerAnswersWithClose() throws Exception {
    try (Peers.Node server = node("server", b -> b.closeTimeout(LONG_CLOSE_TIMEOUT)).listen();
        RawPeer raw = RawPeer.handshaken(server, "bytes")) {
      Connection<byte[]> s = server.transport.connections().get(0);
      long start = System.nanoTime();

      s.close(Duration.ofMillis(300));

      assertTrue(readUntilClose(raw), "the server sent CLOSE");
      raw.sendFrame(Wire.CLOSE, new byte[] {0, 0}); // the peer's CLOSE, but never its FIN
      awaitClosed(s, start, "close(300 ms), with the peer answering CLOSE but sending no FIN"
          + " (closeTimeout " + LONG_CLOSE_TIMEOUT + ")");
    }
  }

  @Test
  void shouldNotPushTheCloseDeadlineOutWhenCloseIsCalledAgain() throws Exception {
    try (Peers.Node server = node("server", b -> b.closeTimeout(Duration.ofMillis(500)))
            .listen();
        RawPeer raw = RawPeer.handshaken(server, "bytes")) {
      Connection<byte[]> s = server.transport.connections().get(0);
      long start = System.nanoTime();
      CompletableFuture<Void> closed = s.close();
      // Call close() again every 50 ms (the wait on the close future paces it), for 5 s at most.
      int calls = 1;
      while (!closed.isDone() && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5)) {
        try {
          closed.get(50, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          s.close();
          calls++;
        }
      }
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertTrue(closed.isDone(), "still not closed " + millis + " ms after the first of " + calls
          + " close() calls 50 ms apart (closeTimeout 500 ms) to a peer that never answers;"
          + " a later close() must not move the deadline (state: alive " + s.isAlive()
          + ", close cause " + s.closeCause() + ")");
      assertTrue(causedBy(s.closeCause(), DuplexTimeoutException.class), "closed by the deadline"
          + " after " + millis + " ms: " + s.closeCause());
      assertTrue(raw.closedByPeer(), "the peer sees the connection end");
    }
  }

  @Test
  void shouldAbortAHalfClosedConnectionWhosePeerNeverEndsItsSideAfterTheCloseTimeout()
      throws Exception {
    try (Peers.Node server = node("server", b -> b.closeTimeout(Duration.ofMillis(500)))
            .listen();
        RawPeer raw = RawPeer.handshaken(server, "bytes")) {
      Connection<byte[]> s = server.transport.connections().get(0);
      long start = System.nanoTime();

      s.shutdownOutput().get(5, TimeUnit.SECONDS);

      assertEquals(false, readUntilClose(raw), "the FIN comes without a CLOSE");
      awaitClosed(s, start, "shutdownOutput() (closeTimeout 500 ms) to a peer that never ends"
          + " its side");
    }
  }
}
