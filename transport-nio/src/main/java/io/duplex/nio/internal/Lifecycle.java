package io.duplex.nio.internal;

import io.duplex.ConnectionClosedException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A connection's state: one atomic word, moved by compare-and-set, and the close deadline and
 * reason, each written once.
 *
 * <pre>
 *   CONNECTING ──▶ HANDSHAKING ──▶ OPEN ──────────────────────────────────────▶ CLOSED
 *                                   output: open ─▶ ENDING ─▶ SHUT (FIN sent)    ▲
 *                                   input:  open ─▶ ENDED (FIN read, or shut)    │ both done,
 *                                                                                │ or an abort
 * </pre>
 *
 * The stage moves forward only. Once the connection is OPEN its two directions end on their
 * own: the output ENDING refuses new sends (a close, a half-close, the peer's CLOSE or FIN, an
 * error), SHUT once the FIN is out; the input ENDED when the peer's FIN is read or input is shut
 * down. When both are done, the connection is closed. {@code GRACEFUL} marks a close, as opposed
 * to a half-close: the read half then reads on to the peer's FIN even if the application stops
 * taking messages. {@code CLOSED} is set by the one terminal path ({@code NioConnection.finish})
 * and may be reached from any state.
 *
 * <p>The close deadline is set once, by the thread whose compare-and-set started the output's
 * end, right after it: later closes, and the peer's, do not move it. Until it is set the timer
 * sees {@link #NO_DEADLINE} and waits a tick. The reason is set once too: by whoever started a
 * graceful close (or made a half-close graceful), the only one such transition.
 */
final class Lifecycle {
  static final int CONNECTING = 0;
  static final int HANDSHAKING = 1;
  static final int OPEN = 2;
  private static final int STAGE = 3;
  private static final int OUTPUT_ENDING = 4;
  private static final int OUTPUT_SHUT = 8;
  private static final int INPUT_ENDED = 16;
  private static final int GRACEFUL = 32;
  private static final int CLOSED = 64;

  /** What {@link #endOutput} did. */
  enum End {
    /** The caller started the end of the output: it sets the deadline and ends the write half. */
    STARTED,
    /** The output was ending already (a half-close); the caller made it a graceful close. */
    MADE_GRACEFUL,
    /** Nothing to do: the output is ending already, or the connection is closed. */
    NOTHING,
    /** The connection is not open yet: the caller closes it at once. */
    NOT_OPEN
  }

  static final long NO_DEADLINE = Long.MIN_VALUE;

  private final AtomicInteger state;
  private volatile long closeDeadlineNanos = NO_DEADLINE;
  private volatile ConnectionClosedException reason;

  Lifecycle(boolean connected) {
    state = new AtomicInteger(connected ? HANDSHAKING : CONNECTING);
  }

  /** CONNECTING to HANDSHAKING: TCP is up. Read loop. */
  boolean connected() {
    return state.compareAndSet(CONNECTING, HANDSHAKING);
  }

  /** HANDSHAKING to OPEN: the peer's handshake was accepted. Read loop. */
  boolean opened() {
    return state.compareAndSet(HANDSHAKING, OPEN);
  }

  /**
   * Ends the output (no new sends), gracefully or as a half-close. Any thread. The caller that
   * gets {@link End#STARTED} calls {@link #deadline}; one that asked for a graceful end and got
   * STARTED or MADE_GRACEFUL may record the {@link #reason}.
   */
  End endOutput(boolean graceful) {
    for (; ; ) {
      int s = state.get();
      if ((s & CLOSED) != 0) {
        return End.NOTHING;
      }
      if ((s & STAGE) != OPEN) {
        return End.NOT_OPEN;
      }
      if ((s & OUTPUT_ENDING) != 0) {
        if (!graceful || (s & GRACEFUL) != 0) {
          return End.NOTHING;
        }
        if (state.compareAndSet(s, s | GRACEFUL)) {
          return End.MADE_GRACEFUL;
        }
        continue;
      }
      if (state.compareAndSet(s, s | OUTPUT_ENDING | (graceful ? GRACEFUL : 0))) {
        return End.STARTED;
      }
    }
  }

  /**
   * Ends the output of a connection whose secure handshake completed and which this side
   * refuses (it never opens): a graceful end from HANDSHAKING. True for the caller that started
   * it. Read loop.
   */
  boolean refuse() {
    for (; ; ) {
      int s = state.get();
      if ((s & (CLOSED | OUTPUT_ENDING)) != 0 || (s & STAGE) != HANDSHAKING) {
        return false;
      }
      if (state.compareAndSet(s, s | OUTPUT_ENDING | GRACEFUL)) {
        return true;
      }
    }
  }

  /** The FIN went out. Returns true if the input had ended too: the connection is done. */
  boolean outputShut() {
    return (set(OUTPUT_SHUT) & INPUT_ENDED) != 0;
  }

  /**
   * The input ended (the peer's FIN, or shutdownInput). Returns the state before, for {@link
   * #outputWasShut} and {@link #wasOpenForSends}.
   */
  int inputEnded() {
    return set(INPUT_ENDED);
  }

  static boolean outputWasShut(int before) {
    return (before & OUTPUT_SHUT) != 0;
  }

  static boolean wasOpenForSends(int before) {
    return (before & (STAGE | OUTPUT_ENDING | CLOSED)) == OPEN;
  }

  /** The one terminal move. Called once, by the thread running the connection's finish. */
  void closed() {
    set(CLOSED);
  }

  private int set(int bit) {
    return state.getAndUpdate(s -> s | bit);
  }

  /** Sets the close deadline; once, by the caller that got {@link End#STARTED}. */
  void deadline(long nanos) {
    closeDeadlineNanos = nanos == NO_DEADLINE ? nanos + 1 : nanos;
  }

  /** The close deadline, or {@link #NO_DEADLINE} while none is set. */
  long closeDeadline() {
    return closeDeadlineNanos;
  }

  /** Records why a graceful close is happening; once, by the caller that made it graceful. */
  void reason(ConnectionClosedException why) {
    reason = why;
  }

  /** Why the graceful close is happening, or null (none, or a half-close). */
  ConnectionClosedException reason() {
    return reason;
  }

  /** The stage: {@link #CONNECTING}, {@link #HANDSHAKING} or {@link #OPEN} (even if closed). */
  int stage() {
    return state.get() & STAGE;
  }

  /** Open, and the output not ending: sends, pings and PONG answers are taken. */
  boolean openForSends() {
    return (state.get() & (STAGE | OUTPUT_ENDING | CLOSED)) == OPEN;
  }

  /** Open, and neither closed nor with its input ended. */
  boolean alive() {
    return (state.get() & (STAGE | INPUT_ENDED | CLOSED)) == OPEN;
  }

  /** The output is ending or ended, and the connection is not closed yet. */
  boolean ending() {
    return (state.get() & (OUTPUT_ENDING | CLOSED)) == OUTPUT_ENDING;
  }

  /** A graceful close is under way (the read half reads on to the peer's FIN). */
  boolean closingGracefully() {
    return (state.get() & (GRACEFUL | CLOSED)) == GRACEFUL;
  }

  boolean inputDone() {
    return (state.get() & INPUT_ENDED) != 0;
  }

  boolean isClosed() {
    return (state.get() & CLOSED) != 0;
  }
}
