package io.duplex.nio.internal;

import io.duplex.ConnectionClosedException;
import io.duplex.DuplexTimeoutException;
import io.duplex.HandshakeException;
import io.duplex.PongTimeoutException;
import io.duplex.TransportConfig;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The deadlines of one connection that the timer checks, each tick: the connect and handshake
 * deadline, the close deadline, the frame read deadline, the pong deadline of pings (and of the
 * PONGs this side owes a peer that does not read them), and the liveness ping after a quiet
 * ping interval. Timer thread; it reads the connection's volatile state and acts only through
 * the connection's own methods.
 */
final class Liveness {
  private final NioConnection<?> connection;
  private final Lifecycle lifecycle;
  private final ReadHalf<?> readHalf;
  private final Pings pings;
  private final TransportConfig config;
  private final long createdNanos = System.nanoTime();
  private final long handshakeNanos;
  private final long frameReadNanos;
  private final long pingIntervalNanos;
  private final long pongNanos;

  Liveness(NioConnection<?> connection, Lifecycle lifecycle, ReadHalf<?> readHalf, Pings pings,
      TransportConfig config) {
    this.connection = connection;
    this.lifecycle = lifecycle;
    this.readHalf = readHalf;
    this.pings = pings;
    this.config = config;
    this.handshakeNanos = Durations.nanos(config.handshakeTimeout());
    this.frameReadNanos = Durations.nanos(config.frameReadTimeout());
    this.pingIntervalNanos = Durations.nanos(config.pingInterval());
    this.pongNanos = Durations.nanos(config.pongTimeout());
  }

  /** Checks every deadline once. Timer thread. */
  void tick(long now) {
    if (connection.isClosed()) {
      return;
    }
    // The close deadline first: a refused secure handshake ends its output before it opens.
    long deadline = lifecycle.closeDeadline();
    if (lifecycle.ending() && deadline != Lifecycle.NO_DEADLINE && now - deadline > 0) {
      ConnectionClosedException why = lifecycle.reason();
      connection.closeWith(why != null && why.getCause() != null
          ? why // an error close: the error stays the cause
          : new DuplexTimeoutException("close did not finish within its deadline: "
              + (connection.pendingBytes() > 0 ? connection.pendingBytes() + " bytes queued"
                  + " for the peer were not written in time (it reads too slowly)"
                  : "the peer did not end its side in time")
              + "; the connection was aborted and what was still queued failed"));
      return;
    }
    int stage = lifecycle.stage();
    if (stage != Lifecycle.OPEN) {
      if (now - createdNanos > handshakeNanos) {
        connection.closeWith(stage == Lifecycle.CONNECTING
            ? new SocketTimeoutException("connect to " + connection.remoteAddress()
                + " did not complete within the handshake timeout " + config.handshakeTimeout())
            : new HandshakeException(HandshakeException.Field.TIMEOUT, "handshake did not"
                + " complete within " + config.handshakeTimeout() + "; the peer is silent, slow,"
                + " or not a duplex peer"));
      }
      return;
    }
    connection.writeHalf().expireLanes(now); // queued behind a lane out of credit
    boolean inputDone = lifecycle.inputDone();
    long owedSince = readHalf.pongsOwedSince();
    if (owedSince != ReadHalf.NO_FRAME && now - owedSince > pongNanos) {
      connection.closeWith(new DuplexTimeoutException("the peer sent PINGs but did not read"
          + " our PONGs within the pong timeout " + config.pongTimeout() + " (a PING flood, or a"
          + " peer that stopped reading); the connection was aborted"));
      return;
    }
    // The clock is stopped while we do not read (the peer cannot progress); read that first.
    long frameStart = readHalf.frameClockStopped || inputDone
        ? ReadHalf.NO_FRAME : readHalf.frameStartNanos;
    if (frameStart != ReadHalf.NO_FRAME && now - frameStart > frameReadNanos) {
      connection.failWith(new DuplexTimeoutException("a frame from the peer did not arrive in"
          + " full within the frame read timeout " + config.frameReadTimeout() + "; the peer is"
          + " too slow or trickling bytes to hold the connection (raise frameReadTimeout if it is"
          + " honest but sends large frames over a slow link)"));
      return;
    }
    PongTimeoutException late = pings.expire(now, config.pongTimeout());
    if (late != null && !readHalf.isPaused() && !inputDone) {
      connection.closeWith(late); // (while we do not read, the pong may wait unread: not the peer's fault)
      return;
    }
    if (lifecycle.openForSends() && !pings.livenessOutstanding() && !inputDone
        && !readHalf.isPaused() && now - readHalf.lastReadNanos > pingIntervalNanos) {
      connection.sendPing(pings.start(true, new CompletableFuture<Duration>()));
    }
  }
}
