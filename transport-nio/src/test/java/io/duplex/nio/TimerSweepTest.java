package io.duplex.nio;

import static io.duplex.nio.Peers.node;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The timer's sweep keeps running whatever one sweep throws. Its one step outside the
 * per-connection guard is the summary line of connections refused by the inbound limits; here
 * the logging backend (slf4j-simple, writing to System.err) fails while the timer writes that
 * line, as a full disk or a broken log pipe would make a real backend fail. Every deadline the
 * timer keeps must still fire afterwards: a peer that never handshakes is closed at the
 * handshake timeout.
 */
@Timeout(60)
class TimerSweepTest {
  private static final String SUMMARY = "inbound connections refused by the connection limits";

  /**
   * System.err whose writes of the refusal summary line fail on a duplex timer thread (and only
   * there); everything else passes through. Counts the failures.
   */
  private static final class FailingLogSink extends OutputStream {
    final PrintStream original = System.err;
    final AtomicInteger failures = new AtomicInteger();

    @Override
    public void write(int b) {
      original.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      if (Thread.currentThread().getName().matches("duplex-\\d+-timer")
          && new String(b, off, len, StandardCharsets.UTF_8).contains(SUMMARY)) {
        failures.incrementAndGet();
        throw new IllegalStateException("log sink unavailable");
      }
      original.write(b, off, len);
    }
  }

  @Test
  void shouldKeepEnforcingDeadlinesAfterTheRefusalLogFailedOnTheTimer() throws Exception {
    FailingLogSink sink = new FailingLogSink();
    System.setErr(new PrintStream(sink, true, StandardCharsets.UTF_8));
    List<Socket> refused = new ArrayList<>();
    try (Peers.Node server = node("server", b -> b.maxInboundConnectionsPerAddress(1)
            .handshakeTimeout(Duration.ofMillis(500))).listen();
        RawPeer holder = RawPeer.from("127.0.0.2", server.address)) {
      holder.sendHandshake(RawPeer.info("holder", "duplex", "bytes")).readHandshake();
      server.nextOpened();
      // Three more from the same address: refused. The first is logged at once (on the read
      // loop), the others are left to the timer's summary line a second later.
      for (int i = 0; i < 3; i++) {
        Socket s = new Socket();
        s.bind(new java.net.InetSocketAddress("127.0.0.2", 0));
        refused.add(s);
        try {
          s.connect(server.address, 5000);
        } catch (java.net.SocketException e) {
          // The server accepted and reset it before connect() saw it established (a loaded
          // machine): refused all the same, and counted below by the server.
        }
      }
      Peers.await("the server to refuse 3 connections", 10,
          () -> server.transport.stats().refusedByLimit() == 3);
      Peers.await("the timer to write the refusal summary (and the log to fail)", 10,
          () -> sink.failures.get() > 0);

      try (RawPeer silent = RawPeer.from("127.0.0.3", server.address)) {
        silent.socket.setSoTimeout(5000);
        assertTrue(silent.closedByPeer(), "a peer that never handshakes must be closed at the"
            + " 500 ms handshake timeout (waited 5 s) after the refusal log failed on the timer"
            + " (" + sink.failures.get() + " failed log writes)");
      }
    } finally {
      System.setErr(sink.original);
      for (Socket s : refused) {
        s.close();
      }
    }
  }
}
