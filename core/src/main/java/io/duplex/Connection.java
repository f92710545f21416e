package io.duplex;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One handshaken TCP connection to a peer, split into two halves that never wait for each other.
 *
 * <h2>The write half</h2>
 * {@link #send} encodes the message on the calling thread, queues the frame and returns at once;
 * it never blocks on the socket. The returned future completes when the frame's last byte has
 * been written to the socket (not when the peer has read it), or fails with:
 * <ul>
 *   <li>{@link io.duplex.codec.EncoderException}: the codec refused the message or it is larger
 *       than the max frame size; nothing was queued, the connection stays open;</li>
 *   <li>{@link BackpressureException}: the queue would pass the hard limit ({@link
 *       SlowPeerPolicy#FAIL_SEND}); nothing was queued;</li>
 *   <li>{@link SendTimeoutException}: not written within the send timeout;</li>
 *   <li>{@link ConnectionClosedException}: the connection closed first.</li>
 * </ul>
 * Frames from concurrent senders are never interleaved; each sender's frames go out in the order
 * of its calls. {@link #isWritable()} turns false when the queued bytes pass the high water mark
 * and true again at the low one, and each change is reported to {@link
 * ConnectionListener#onWritabilityChanged}.
 *
 * <h2>The read half</h2>
 * Received messages wait in a bounded inbound queue. Take them with {@link #receive(Duration)}
 * (pull), or install a handler with {@link #onMessage} (push), which first gets what is already
 * queued. While the queue is full the connection stops reading its socket, so TCP slows the peer
 * down; no message is dropped. A slow reader never delays the write half, and a slow writer never
 * delays the read half.
 *
 * <h2>Lifetime</h2>
 * A connection is open from its handshake until the first of: {@link #close()}, {@link
 * #abort()}, the peer closing or resetting, an I/O error, a protocol or codec error, an
 * unanswered ping, or a send cut by its timeout mid-frame. It then closes once, for both halves:
 * everything pending fails with {@link ConnectionClosedException} carrying the cause, and {@link
 * ConnectionListener#onClose} runs once.
 *
 * <p>All methods are thread-safe.
 *
 * @param <T> the type of messages, as the transport's codec defines them
 */
public interface Connection<T> {

  /**
   * Encodes {@code message} and queues it for the peer; never blocks on the socket.
   *
   * @return a future that completes when the frame's last byte is written to the socket, or
   *     fails with one of the exceptions listed in the class description
   */
  CompletableFuture<Void> send(T message);

  /**
   * Encodes {@code message} and queues it without writing it yet: it goes out with the next
   * {@link #flush()} or {@link #send(Object)} on this connection, in order, whichever comes first
   * (or with the write loop, if it is already writing a backlog and enough deferred frames
   * piled up to fill a buffer). For bursts: queue many, flush once, and the frames share as few
   * system calls as the socket allows. Small frames are packed into one shared buffer rather
   * than one buffer each. The future and its errors are those of {@link #send(Object)}, and the
   * send timeout counts from this call: a frame left unflushed is not written, and not timed
   * out, until something flushes it. Frames flushed together may share one deadline, that of
   * the earliest among them.
   */
  CompletableFuture<Void> sendLater(T message);

  /**
   * Fire and forget: queues {@code message} as {@link #sendLater(Object)} does (it goes out with
   * the next {@link #flush()} or {@link #send(Object)}), but returns no future, so a message
   * costs no object of its own once encoded: for streams of small messages where each one's fate
   * does not matter. What becomes of it later is counted, not reported: a message that the send
   * timeout cuts, or that the connection closing leaves unwritten, shows in {@link #stats()}
   * ({@code sendsTimedOut}) and in {@link #closeCause()} only.
   *
   * @return true if it was queued; false if it was refused at once: the connection is not open,
   *     or it would pass the hard limit ({@link SlowPeerPolicy#FAIL_SEND} or {@link
   *     SlowPeerPolicy#DISCONNECT}; counted in {@code sendsRefused})
   * @throws io.duplex.codec.EncoderException if the codec refuses the message or it is larger
   *     than the max frame size; nothing was queued, the connection stays open
   */
  boolean post(T message);

  /**
   * As {@link #post(Object)}, on {@code lane} (see {@link #send(Lane, Object)}); the lane's own
   * limits and policy apply.
   *
   * @throws IllegalArgumentException if the transport has no such lane
   */
  boolean post(Lane lane, T message);

  /** Starts writing everything {@link #sendLater} queued; never blocks on the socket. */
  void flush();

  /**
   * As {@link #send(Object)}, on {@code lane}, one of the transport's {@link
   * TransportConfig#lanes() lanes} (or {@link Lane#DEFAULT}, which {@code send(message)} uses).
   * The lane's own max message size, outbound hard limit and slow-peer policy apply. Messages of
   * one lane go out in order; a lane that was idle goes ahead of bytes queued on the others.
   *
   * @throws IllegalArgumentException if the transport has no such lane
   */
  CompletableFuture<Void> send(Lane lane, T message);

  /** As {@link #sendLater(Object)}, on {@code lane}: see {@link #send(Lane, Object)}. */
  CompletableFuture<Void> sendLater(Lane lane, T message);

  /**
   * A snapshot of {@code lane}'s counters on this connection. On a transport without lanes,
   * {@link Lane#DEFAULT}'s are the connection's own, and its credit is unlimited.
   *
   * @throws IllegalArgumentException if the transport has no such lane
   */
  LaneStats stats(Lane lane);

  /**
   * Queues a message encoded once for many peers; it shares {@code encoded}'s bytes with every
   * other connection that sends it. As {@link #send(Object)}, plus: if the frame has a deadline
   * and has not started by then, or {@link SlowPeerPolicy#DROP_OLDEST} drops it, the future fails
   * with {@link FrameDroppedException}. A frame longer than the peer's max frame size fails with
   * {@link io.duplex.codec.EncoderException}.
   */
  CompletableFuture<Void> send(Encoded<T> encoded);

  /**
   * Takes the next received message, waiting up to the configured receive timeout.
   *
   * @throws ReceiveTimeoutException if no message arrived in time (the connection stays open)
   * @throws ConnectionClosedException if the connection closed and no message is left
   * @throws IllegalStateException if a push handler was installed with {@link #onMessage}
   * @throws InterruptedException if the thread was interrupted while waiting
   */
  T receive() throws InterruptedException;

  /**
   * Takes the next received message, waiting up to {@code timeout}.
   *
   * @throws ReceiveTimeoutException if no message arrived in time (the connection stays open)
   * @throws ConnectionClosedException if the connection closed and no message is left
   * @throws IllegalStateException if a push handler was installed with {@link #onMessage}
   * @throws InterruptedException if the thread was interrupted while waiting
   */
  T receive(Duration timeout) throws InterruptedException;

  /**
   * Delivers every message, starting with those already queued, to {@code handler} instead of
   * {@link #receive}. Messages of one connection reach the handler one at a time, in order. It
   * runs on the configured handler executor (or the read loop, if so configured). A handler that
   * throws closes this connection only. Installing a second handler replaces the first.
   *
   * <p>With {@link TransportConfig#lanes() lanes}, each lane has its own turn on the handler
   * executor: messages of one lane reach the handler one at a time and in order, and the
   * handler may run for two lanes of one connection at once, so a slow handler on a block lane
   * does not hold up votes. The handler must then be safe to call from two threads.
   */
  void onMessage(MessageHandler<T> handler);

  /**
   * Sends a ping frame and completes with the round-trip time when the pong arrives; fails with
   * {@link PongTimeoutException} after the pong timeout, or {@link ConnectionClosedException}.
   * Pings are control frames: they queue behind frames already sent, but never behind unread
   * inbound messages.
   */
  CompletableFuture<Duration> ping();

  /** The peer's address, as it was when the connection was made (it does not change later). */
  InetSocketAddress remoteAddress();

  /** This side's address, as it was when the connection was made. */
  InetSocketAddress localAddress();

  /** True if this side dialed the connection, false if it accepted it. */
  boolean isOutbound();

  /** What the peer said about itself in the handshake. */
  PeerInfo peer();

  /** Whether the queued outbound bytes are under the high water mark (see the class notes). */
  boolean isWritable();

  /** Outbound bytes queued and not yet written to the socket, frame headers included. */
  long pendingBytes();

  /**
   * Whether the connection is open and its loops have seen nothing wrong: no end of stream, no
   * error, no missed pong. Reflects what the loops observed; it is never a constant.
   */
  boolean isAlive();

  /**
   * Closes gracefully within the configured close timeout: refuses new sends, writes what is
   * queued, then closes; aborts if the deadline passes first.
   *
   * @return a future completed when the connection is closed
   */
  CompletableFuture<Void> close();

  /** {@link #close()} with its own deadline for writing what is queued. */
  CompletableFuture<Void> close(Duration drainTimeout);

  /**
   * {@link #close()}, telling the peer why: its CLOSE frame carries {@code code} and {@code
   * reason}, which the peer sees in its {@link #closeCause()} (a {@link PeerClosedException}).
   *
   * @param code one that {@link CloseCodes#isSendable} allows: {@link CloseCodes#NORMAL}, {@link
   *     CloseCodes#GOING_AWAY}, {@link CloseCodes#DUPLICATE}, {@link CloseCodes#BANNED}, or an
   *     application code from {@link CloseCodes#APPLICATION_MIN} to {@link CloseCodes#MAX}
   * @param reason a short text; cut at {@link CloseCodes#MAX_REASON_BYTES} bytes of UTF-8
   * @throws IllegalArgumentException if {@code code} is one of duplex's own error codes or out of
   *     range
   */
  CompletableFuture<Void> close(int code, String reason);

  /** Closes at once: queued frames are dropped and their futures fail. Idempotent. */
  void abort();

  /**
   * Closes the write half only: refuses new sends, writes what is queued, then sends TCP FIN. The
   * read half keeps receiving until the peer closes its side.
   *
   * @return a future completed when the FIN has been sent
   */
  CompletableFuture<Void> shutdownOutput();

  /**
   * Closes the read half only: stops reading the socket. Messages already queued can still be
   * taken; anything the peer sends later is not read. The write half keeps sending.
   */
  void shutdownInput();

  /** A snapshot of this connection's counters and gauges; cheap, lock-free. */
  ConnectionStats stats();

  /** A future completed (never exceptionally) once the connection is closed, whatever the cause. */
  CompletableFuture<Void> closeFuture();

  /**
   * Why the connection closed, or {@code null} while it is open. Its cause is the underlying
   * error, or {@code null} for an orderly close by either side.
   */
  ConnectionClosedException closeCause();
}
