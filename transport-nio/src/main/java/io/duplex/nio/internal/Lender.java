package io.duplex.nio.internal;

import io.duplex.HandlerException;
import io.duplex.Lane;
import io.duplex.PayloadHandler;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The lent receive path of one connection, whose transport has a {@link PayloadHandler}: each
 * whole payload is lent to the handler on the read loop, as a view of the bytes where they
 * already are, and {@code onClose} comes after the last call. Only the {@link ReadHalf} of such
 * a connection makes one, and calls in at a few points: around the frames of each read ({@link
 * #lock}, {@link #unlock}), for each payload once lending has started ({@link #received}), when
 * {@code onOpen} has returned ({@link #start}) and when the connection has closed ({@link
 * #drain}).
 *
 * <p>What arrives before {@code onOpen} has returned is held: the read half puts a copy ({@link
 * #copyOf}) on its inbound queue, with the queue's limits and its {@code INBOUND_FULL} pause.
 * {@link #start} lends those copies, oldest first, and lending goes on from there; if the
 * connection closed first, the closing thread lends them ({@link #drain}) just before it runs
 * {@code onClose}. Held copies are lent even once the read half discards what arrives (a
 * graceful close with the queue full): they arrived before, as messages queued on the decoded
 * path are still delivered then. Their bytes are granted back as they are lent.
 *
 * <h2>Fields and their threads</h2>
 * <ul>
 *   <li>{@code lock}: held by the read loop while it handles the frames of a read (not across
 *       the read itself) and while it starts lending ({@link #start}, a command the event
 *       executor posts once {@code onOpen} returned), and by the closing thread while it lends
 *       what was held ({@link #drain}). So no two threads lend at once, and {@code onClose}
 *       comes after the last call.</li>
 *   <li>{@code lending}: guarded by {@code lock}. The read loop sets it in {@link #start} and
 *       reads it while it handles frames.</li>
 *   <li>Everything else: final, set by the constructor.</li>
 * </ul>
 */
final class Lender<T> {
  private final NioConnection<T> connection;
  /** The read half whose frames this lends: its lanes' credit. */
  private final ReadHalf<T> half;
  /** The read half's inbound queue, where the held copies wait. */
  private final InboundQueue held;
  private final PayloadHandler<T> handler;
  /** The lane of each lane number, as the payload handler gets it. */
  private final Lane[] lanes;
  /** Poison each lent buffer when the call returns. */
  private final boolean poison;
  /** See the class notes. */
  private final ReentrantLock lock = new ReentrantLock();
  /** onOpen returned, and what was held has been lent. Guarded by {@code lock}. */
  private boolean lending;

  /**
   * @param lending the transport's payload handler (not null), lanes and poison switch
   * @param held the read half's inbound queue
   */
  Lender(NioConnection<T> connection, ReadHalf<T> half, InboundQueue held, Lending<T> lending) {
    this.connection = connection;
    this.half = half;
    this.held = held;
    this.handler = lending.handler();
    this.lanes = lending.lanes();
    this.poison = lending.poison();
  }

  /**
   * Taken by the read loop before it handles the frames of a read: once per read, not per
   * message, and not across the read's system call.
   */
  void lock() {
    lock.lock();
  }

  /** Let go after the frames of a read. Read loop. */
  void unlock() {
    lock.unlock();
  }

  /**
   * Whether payloads are lent as they arrive ({@code onOpen} returned); if not, the read half
   * holds them. Read loop, under the lock.
   */
  boolean lending() {
    return lending;
  }

  /**
   * A payload arrived while lending: lends it, then grants {@code size} back to the peer, unless
   * the connection has closed. Read loop, under the lock.
   */
  void received(int lane, ByteBuffer payload, int size) {
    if (!connection.isClosed()) { // closed: the closing thread may be about to run onClose
      connection.metrics().messagesIn.increment();
      lend(lane, payload);
      half.consumed(lane, size); // after the call: the socket is read at the handler's pace
    }
  }

  /** The copy a payload is held as, until {@code onOpen} has returned (see the class notes). */
  static byte[] copyOf(ByteBuffer payload) {
    byte[] copy = new byte[payload.remaining()];
    payload.get(copy);
    return copy;
  }

  /**
   * {@code onOpen} returned: lends what was held, then lends as messages arrive. Read loop.
   *
   * @return false if the connection had closed: then the closing thread lends what is held,
   *     before {@code onClose}, and nothing is lent here
   */
  boolean start() {
    lock.lock();
    try {
      if (connection.isClosed()) {
        return false; // the closing thread lends what is held, before onClose
      }
      lending = true;
      lendHeld();
    } finally {
      lock.unlock();
    }
    return true;
  }

  /**
   * The connection closed: waits for the read loop to finish lending, then lends what is still
   * held. The closing thread (the event executor), just before {@code onClose}.
   */
  void drain() {
    lock.lock();
    try {
      lendHeld();
    } finally {
      lock.unlock();
    }
  }

  /** Lends the held copies, oldest first, until none is left, granting their bytes back. */
  private void lendHeld() {
    InboundQueue.Node m;
    while ((m = held.pollOldest()) != null) {
      lend(m.lane, ByteBuffer.wrap((byte[]) m.message));
      half.consumed(m.lane, m.size);
    }
  }

  /** Lends {@code payload} to the payload handler. Read loop, or the closing thread; lock. */
  private void lend(int lane, ByteBuffer payload) {
    int start = payload.position();
    int end = payload.limit();
    ByteBuffer lent = poison ? payload.duplicate() : payload;
    try {
      handler.onPayload(connection, lanes[lane], lent);
    } catch (Throwable t) {
      connection.failWith(new HandlerException("payload handler threw " + t + "; the"
          + " connection is closed and the peer told (catch inside the handler to keep it"
          + " open)", t));
    } finally {
      if (poison) {
        ReadHalf.poison(payload, start, end, lent);
      }
    }
  }

  /** What {@code receive} and {@code onMessage} throw on a connection of the lent path. */
  static IllegalStateException lentOnly(String what) {
    return new IllegalStateException(what + " is not available: this transport has a payload"
        + " handler (the lent receive path), and it gets every message of every connection;"
        + " build the transport without payloadHandler to receive decoded messages");
  }
}
