package io.duplex.peer;

import io.duplex.CloseCodes;
import io.duplex.Connection;
import io.duplex.HandshakeException;
import io.duplex.NodeId;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledFuture;

/**
 * One peer address the node keeps dialed ({@link PeerNode#addPeer}), and the outbound slot its
 * dial holds. The slot is taken when a dial starts and given back exactly once, by whichever
 * comes first of: the dial failing, the connection it made closing, the target's removal. That
 * holds by construction: the target holds a slot exactly while its state is {@code DIALING} or
 * {@code CONNECTED}, every move out of those two gives the slot back, and every move happens
 * under the target's monitor.
 *
 * <pre>
 *   IDLE ──start──▶ WAITING ──dial: slot taken──▶ DIALING ──dial made──▶ CONNECTED
 *    ▲                │ ▲                            │                      │
 *    │   peer stands  │ │ no slot free: wait again   │ dial failed:         │ connection closed:
 *    └────── in ──────┘ └────────────────────────────┘ slot back, backoff   │ slot back, backoff
 *                       ▲                            │                      │
 *                       └────────────────────────────┴──────────────────────┘
 *   any ──remove, or the dial met this node itself──▶ DONE (slot back if held; connection closed)
 * </pre>
 *
 * A dial that completes after its target is {@code DONE} closes the connection it made; the
 * slot went back at the removal.
 *
 * <p>Threads: {@link #start} runs on application threads ({@code addPeer}) and event threads
 * ({@code kick}); {@link #dial} on the node thread; {@link #dialed} on the thread that completes
 * the transport's connect future (the event thread after {@code onOpen} on success; on failure
 * the read loop, the timer, or the node thread); {@link #closed} on the thread that completes
 * the connection's close future (the one that ran its close); {@link #remove} on an application
 * thread. Every field but {@code address} and {@code dialer} is guarded by the target's monitor,
 * which is never held while calling the transport, a connection or application code (only the
 * node thread's scheduler and the slot counter, which do not block).
 *
 * @param <T> the message type
 */
final class Target<T> {
  private enum State { IDLE, WAITING, DIALING, CONNECTED, DONE }

  final InetSocketAddress address;
  /** The node that must answer at {@code address}, or null for any. */
  private final NodeId expected;
  private final Dialer<T> dialer;
  // Guarded by this.
  private State state = State.IDLE;
  private int attempt; // failed dials (and short-lived connections) since the last stable one
  private long openedNanos; // when the current connection was made
  private Connection<T> connection; // while CONNECTED
  private ScheduledFuture<?> pending; // while WAITING

  Target(InetSocketAddress address, NodeId expected, Dialer<T> dialer) {
    this.address = address;
    this.expected = expected;
    this.dialer = dialer;
  }

  /** Dials after {@code delayNanos}, unless the target is waiting, dialing, connected or done. */
  synchronized void start(long delayNanos) {
    if (state == State.IDLE) {
      waitFor(delayNanos);
    }
  }

  /** Node thread: the delay is over. Takes a slot and dials, unless something changed. */
  private void dial() {
    synchronized (this) {
      if (state != State.WAITING) {
        return; // removed (and the cancel came too late)
      }
      pending = null;
      if (dialer.isClosed()) {
        state = State.IDLE;
        return;
      }
      if (dialer.standsIn(address)) {
        state = State.IDLE; // a peer listening here is connected already; a close kicks us
        return;
      }
      if (!dialer.takeSlot()) {
        waitFor(dialer.reconnectMinNanos()); // maxOutbound reached: look again later
        return;
      }
      state = State.DIALING;
    }
    dialer.connect(address, expected).whenComplete(this::dialed);
  }

  /** The dial completed: connected, or failed (see the class notes for the thread). */
  private void dialed(Connection<T> c, Throwable error) {
    if (error == null) {
      boolean mine;
      synchronized (this) {
        mine = state == State.DIALING;
        if (mine) {
          state = State.CONNECTED;
          connection = c;
          openedNanos = System.nanoTime(); // the backoff restarts only once it proves stable
        }
      }
      if (mine) {
        c.closeFuture().whenComplete((v, e) -> closed(c));
      } else { // removed while dialing: its slot went back then
        c.close(CloseCodes.NORMAL, "peer removed from this node");
      }
      return;
    }
    Throwable cause = error instanceof CompletionException && error.getCause() != null
        ? error.getCause() : error;
    boolean self = cause instanceof HandshakeException
        && ((HandshakeException) cause).field() == HandshakeException.Field.NODE_ID;
    int failed;
    long delay = 0;
    synchronized (this) {
      if (state != State.DIALING) {
        return; // removed while dialing: its slot went back then, and nobody waits for news
      }
      dialer.giveBackSlot();
      failed = ++attempt;
      if (self) {
        state = State.DONE; // it is this node (or one sharing its id): dialing it again is futile
      } else {
        state = State.IDLE;
        delay = dialer.delay(failed);
        waitFor(delay);
      }
    }
    if (self) {
      dialer.forget(this);
    }
    if (dialer.isClosed()) {
      return; // the node's own close failed the dial: nothing to report
    }
    dialer.failures().dialFailed(address, cause, failed, self ? null : Duration.ofNanos(delay));
  }

  /** The connection this target's dial made closed: give its slot back and redial. */
  private void closed(Connection<T> c) {
    synchronized (this) {
      if (state != State.CONNECTED || connection != c) {
        return; // removed: the slot went back then
      }
      connection = null;
      dialer.giveBackSlot();
      // A connection that stayed up for the longest redial delay was stable: start the backoff
      // over. One that closed sooner counts as a failed attempt, so a peer that keeps closing
      // our dials (as duplicates of a connection it still believes alive, say) is not redialed
      // at the shortest delay again and again.
      attempt = System.nanoTime() - openedNanos >= dialer.reconnectMaxNanos() ? 0 : attempt + 1;
      state = State.IDLE;
      waitFor(dialer.delay(attempt));
    }
  }

  /** The target leaves the node: no more dials; its slot goes back; its connection closes. */
  void remove() {
    Connection<T> c;
    synchronized (this) {
      if (state == State.DIALING || state == State.CONNECTED) {
        dialer.giveBackSlot();
      }
      if (pending != null) {
        pending.cancel(false);
        pending = null;
      }
      c = connection;
      connection = null;
      state = State.DONE;
    }
    if (c != null) {
      c.close(CloseCodes.NORMAL, "peer removed from this node");
    }
  }

  /** IDLE to WAITING: schedules the dial. Holding the monitor. */
  private void waitFor(long delayNanos) {
    pending = dialer.schedule(this::dial, delayNanos);
    state = pending != null ? State.WAITING : State.IDLE;
  }

  @Override
  public synchronized String toString() {
    return "Target[" + address + " " + state + ", attempt " + attempt + "]";
  }
}
