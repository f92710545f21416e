package io.duplex.peer;

import io.duplex.CloseCodes;
import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.HandshakeException;
import io.duplex.PeerClosedException;
import io.duplex.internal.RateLimitedLog;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Where the failures of the node's peers go: a log line rate-limited per peer and cause (WARN
 * for failed dials and mismatched handshakes, so a peer that fails the same way on every redial
 * is visible at the default level without a line per attempt), the application's {@link
 * PeerNode.ErrorHandler}, and, for failed dials, {@link MembershipListener#dialFailed}.
 *
 * <p>Threads: the report methods run on whatever thread met the failure (a read loop, the
 * timer, an event thread, the node thread); they write the log line there and hand the calls
 * into application code over to the node thread, which runs them one at a time, in the order
 * reported. After the node closes its thread is gone and those calls are dropped. Fields:
 * final, and {@link RateLimitedLog} is lock-free.
 *
 * @param <T> the message type
 */
final class Failures<T> {
  private static final Logger log = LoggerFactory.getLogger(Failures.class);
  /** At most one line per peer and cause this often; the next one counts those left out. */
  static final long LOG_INTERVAL_MILLIS = 60_000;

  /** A rate-limit key: a peer (a dialed address, or an IP address) and a kind of failure. */
  private record Key(Object peer, String cause) {}

  private final RateLimitedLog lines = new RateLimitedLog(log, LOG_INTERVAL_MILLIS);
  private final Executor nodeThread;
  private final PeerNode.ErrorHandler<T> handler; // null: none
  private final Group<T> group;

  Failures(Executor nodeThread, PeerNode.ErrorHandler<T> handler, Group<T> group) {
    this.nodeThread = nodeThread;
    this.handler = handler;
    this.group = group;
  }

  /**
   * A dial to {@code address} failed; {@code next} is the delay before the next one, or null if
   * the node gives the address up. Logged at WARN, but for a dial the peer closed as a duplicate
   * of a connection it keeps (DEBUG): that is two nodes agreeing on one connection.
   */
  void dialFailed(InetSocketAddress address, Throwable cause, int attempt, Duration next) {
    String what = "dial to " + address + " failed (attempt " + attempt + "): " + cause
        + (next != null ? "; dialing again in " + next.toMillis() + " ms"
            : "; not dialing it again");
    boolean duplicate = cause instanceof PeerClosedException
        && ((PeerClosedException) cause).code() == CloseCodes.DUPLICATE;
    lines.log(duplicate ? Level.DEBUG : Level.WARN, new Key(address, kind(cause)), what, null);
    toNodeThread(() -> {
      group.dialFailed(address, cause, attempt, next);
      tellHandler(address, null, cause);
    });
  }

  /**
   * The handshake of a peer this node accepted from {@code remote} failed. A mismatch of
   * settings (network id, codec, version, node id) is logged at WARN; anything else (a timeout, a
   * reset) at DEBUG, since hostile peers make those at will.
   */
  void handshakeFailed(InetSocketAddress remote, Throwable cause) {
    Level level = isMismatch(cause) ? Level.WARN : Level.DEBUG;
    lines.log(level, new Key(remote.getAddress(), kind(cause)), "handshake with inbound peer "
        + remote + " failed: " + cause, null);
    toNodeThread(() -> tellHandler(remote, null, cause));
  }

  /**
   * {@code c} closed because of an error ({@link #isError}); logged at DEBUG only, since the
   * transport logged that error already (WARN, or DEBUG for an I/O error).
   */
  void connectionFailed(Connection<T> c, ConnectionClosedException cause) {
    Throwable error = cause.getCause() != null ? cause.getCause() : cause;
    lines.log(Level.DEBUG, new Key(c.remoteAddress().getAddress(), kind(error)), "connection "
        + c + " to node " + c.peer().nodeId() + " closed by an error: " + error, null);
    toNodeThread(() -> tellHandler(c.remoteAddress(), c, error));
  }

  /**
   * Whether a connection closed with {@code cause} closed because of an error: an underlying
   * error (I/O, protocol, codec, timeout), or the peer's CLOSE with an error code.
   */
  static boolean isError(ConnectionClosedException cause) {
    if (cause.getCause() != null) {
      return true;
    }
    return cause instanceof PeerClosedException
        && CloseCodes.isError(((PeerClosedException) cause).code());
  }

  private static boolean isMismatch(Throwable cause) {
    if (!(cause instanceof HandshakeException)) {
      return false;
    }
    HandshakeException.Field f = ((HandshakeException) cause).field();
    return f == HandshakeException.Field.NETWORK_ID || f == HandshakeException.Field.CODEC
        || f == HandshakeException.Field.VERSION || f == HandshakeException.Field.NODE_ID;
  }

  /** The kind of a failure, for the rate limit: its class, and a handshake's field. */
  private static String kind(Throwable cause) {
    String kind = cause.getClass().getName();
    return cause instanceof HandshakeException
        ? kind + "/" + ((HandshakeException) cause).field() : kind;
  }

  private void tellHandler(InetSocketAddress address, Connection<T> c, Throwable error) {
    if (handler == null) {
      return;
    }
    try {
      handler.onError(address, c, error);
    } catch (RuntimeException e) {
      log.warn("PeerNode error handler threw", e);
    }
  }

  private void toNodeThread(Runnable call) {
    try {
      nodeThread.execute(call);
    } catch (RejectedExecutionException e) {
      // the node is closed: nobody is left to tell
    }
  }
}
