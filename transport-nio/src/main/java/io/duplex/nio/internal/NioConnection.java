package io.duplex.nio.internal;

import io.duplex.CloseCodes;
import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.ConnectionStats;
import io.duplex.DuplexTimeoutException;
import io.duplex.Encoded;
import io.duplex.HandshakeException;
import io.duplex.MessageHandler;
import io.duplex.PeerClosedException;
import io.duplex.PeerInfo;
import io.duplex.PongTimeoutException;
import io.duplex.TransportConfig;
import io.duplex.codec.Codec;
import io.duplex.codec.EncoderException;
import io.duplex.internal.FrameBuffer;
import io.duplex.internal.Handshake;
import io.duplex.internal.Wire;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A connection over one {@link SocketChannel}, read by one {@link ReadLoop} through its {@link
 * ReadHalf} and written through its {@link WriteHalf} by senders or one {@link WriteLoop}.
 *
 * <h2>Lifecycle</h2>
 * CONNECTING (dialed, TCP not yet up) → HANDSHAKING → OPEN → CLOSING (graceful) → CLOSED. Any
 * state may jump to CLOSED; {@link #finish} is the one way there, and the compare-and-set on
 * {@link #closeCause} makes it happen once whichever thread gets there first (read loop on EOF or
 * error, write side on an I/O error, the timer on a deadline, the application).
 *
 * <h2>Fields and their threads</h2>
 * Final fields are set before the connection is shared. {@code state} and {@code closeCause}
 * are atomics; {@code pings} is lock-free ({@link Pings}). The volatile fields are written by the
 * read loop (handshake, EOF), the write role holder (output shut) or the closing thread, most
 * once; {@code notifiedWritable} belongs to the event executor. docs/THREADING.md has the table.
 */
final class NioConnection<T> implements Connection<T> {
  static final int CONNECTING = 0;
  static final int HANDSHAKING = 1;
  static final int OPEN = 2;
  static final int CLOSING = 3;
  static final int CLOSED = 4;

  private final LoopTransport<T> transport;
  private final TransportConfig config;
  private final Codec<T> codec;
  private final SocketChannel channel;
  private final ReadLoop readLoop;
  private final WriteLoop writeLoop;
  private final Executor events;
  private final ReadHalf<T> readHalf;
  private final WriteHalf writeHalf;
  private final ConnectionMetrics metrics = new ConnectionMetrics();
  private final InetSocketAddress remote;
  private final long createdNanos = System.nanoTime();
  private final long sendTimeoutNanos;
  private final boolean dialed;

  private final AtomicInteger state;
  private final AtomicReference<ConnectionClosedException> closeCause = new AtomicReference<>();
  private final CompletableFuture<Connection<T>> opened = new CompletableFuture<>();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private final CompletableFuture<Void> outputShutFuture = new CompletableFuture<>();
  private final Pings pings = new Pings(metrics);

  private volatile InetSocketAddress local;
  private volatile PeerInfo peer;
  private volatile int sendLimit;
  private volatile boolean openNotified;
  private volatile boolean outputClosed;
  private volatile boolean inputEnded;
  private volatile boolean outputShut;
  private volatile long closeDeadlineNanos;
  private volatile ConnectionClosedException gracefulReason;
  private boolean notifiedWritable = true;
  private final Runnable writabilityEvent = this::fireWritability;

  NioConnection(LoopTransport<T> transport, SocketChannel channel, InetSocketAddress remote,
      boolean connected, boolean dialed, ReadLoop readLoop, WriteLoop writeLoop) {
    this.dialed = dialed;
    this.transport = transport;
    this.config = transport.config();
    this.codec = transport.codec();
    this.channel = channel;
    this.remote = remote;
    this.readLoop = readLoop;
    this.writeLoop = writeLoop;
    this.events = transport.handlersOnReadLoop()
        ? readLoop : new SerialExecutor(transport.handlerExecutor(), transport.errors());
    this.readHalf = new ReadHalf<>(this, codec, config.maxHandshakeFrameSize(),
        config.inboundQueueCapacity(), config.inboundQueueMaxBytes(),
        transport.handlersOnReadLoop());
    this.writeHalf = new WriteHalf(this, channel, config);
    this.sendTimeoutNanos = Durations.nanos(config.sendTimeout());
    this.state = new AtomicInteger(connected ? HANDSHAKING : CONNECTING);
  }

  // ---- set-up, on the read loop ------------------------------------------------------------

  /** Registers with the read loop's selector and, if TCP is up, starts the handshake. */
  void register() {
    try {
      boolean connecting = state.get() == CONNECTING;
      SelectionKey key = channel.register(readLoop.selector,
          connecting ? SelectionKey.OP_CONNECT : SelectionKey.OP_READ, this);
      readHalf.key(key);
      if (!connecting) {
        connected();
      }
    } catch (IOException | RuntimeException e) {
      closeWith(e);
    }
  }

  /** The selector said the non-blocking connect finished (or failed). Read loop. */
  void finishConnect(SelectionKey key) {
    try {
      if (channel.finishConnect()) {
        key.interestOps(SelectionKey.OP_READ);
        if (state.compareAndSet(CONNECTING, HANDSHAKING)) {
          connected();
        }
      }
    } catch (IOException | RuntimeException e) {
      closeWith(e);
    }
  }

  private void connected() throws IOException {
    local = (InetSocketAddress) channel.getLocalAddress();
    FrameBuffer buffer = FrameBuffer.forFrames(128, config.maxHandshakeFrameSize());
    Handshake.encode(transport.localInfo(), buffer);
    writeHalf.write(buffer.finishFrame(Wire.HANDSHAKE), true, null, Long.MAX_VALUE,
        WriteHalf.CONTROL);
  }

  /** The peer's handshake arrived. Read loop. */
  void onHandshake(PeerInfo remoteInfo) {
    Handshake.check(transport.localInfo(), remoteInfo);
    peer = remoteInfo;
    sendLimit = Math.min(config.maxFrameSize(), remoteInfo.maxFrameSize());
    readHalf.handshakeDone(config.maxFrameSize());
    if (state.compareAndSet(HANDSHAKING, OPEN)) {
      events.execute(() -> {
        if (isClosed()) {
          opened.completeExceptionally(openFailure(closeCause()));
          return;
        }
        openNotified = true;
        try {
          transport.listener().onOpen(this);
        } finally {
          opened.complete(this);
        }
      });
    }
  }

  @Override
  public boolean isOutbound() {
    return dialed;
  }

  boolean isHandshaken() {
    return peer != null;
  }

  CompletableFuture<Connection<T>> openFuture() {
    return opened;
  }

  // ---- Connection: the write half ----------------------------------------------------------

  @Override
  public CompletableFuture<Void> send(T message) {
    return send(message, 0);
  }

  @Override
  public CompletableFuture<Void> sendLater(T message) {
    return send(message, WriteHalf.DEFER);
  }

  @Override
  public void flush() {
    writeHalf.flush();
  }

  private CompletableFuture<Void> send(T message, int flags) {
    Objects.requireNonNull(message, "message");
    if (state.get() != OPEN || outputClosed) {
      return CompletableFuture.failedFuture(notOpen());
    }
    FrameBuffer buffer = transport.encodeBuffer();
    buffer.reset();
    buffer.maxPayload(sendLimit - Wire.TYPE_SIZE);
    ByteBuffer frame;
    try {
      frame = buffer.encodeMessage(codec, message);
    } catch (EncoderException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<Void> promise = new CompletableFuture<>();
    metrics.messagesOut.increment();
    writeHalf.write(frame, false, promise, System.nanoTime() + sendTimeoutNanos, flags);
    return promise;
  }

  @Override
  public CompletableFuture<Void> send(Encoded<T> encoded) {
    Objects.requireNonNull(encoded, "encoded");
    if (state.get() != OPEN || outputClosed) {
      return CompletableFuture.failedFuture(notOpen());
    }
    if (encoded.frameLength() > sendLimit) {
      return CompletableFuture.failedFuture(new EncoderException("frame length "
          + encoded.frameLength() + " exceeds the max frame size " + sendLimit
          + " this peer accepts; split the message or raise maxFrameSize on both peers"));
    }
    CompletableFuture<Void> promise = new CompletableFuture<>();
    metrics.messagesOut.increment();
    writeHalf.write(encoded.frame(), true, promise, System.nanoTime() + sendTimeoutNanos,
        encoded.deadlineNanos(), WriteHalf.DROPPABLE);
    return promise;
  }

  private void sendControl(byte type, ByteBuffer body, CompletableFuture<Void> promise,
      boolean last) {
    ByteBuffer frame = ByteBuffer.allocate(Wire.HEADER_SIZE + body.remaining());
    frame.putInt(Wire.TYPE_SIZE + body.remaining()).put(type).put(body).flip();
    writeHalf.write(frame, true, promise, Long.MAX_VALUE,
        WriteHalf.CONTROL | (last ? WriteHalf.LAST : 0));
  }

  private void sendControl(byte type, long id) {
    sendControl(type, ByteBuffer.allocate(8).putLong(id).flip(), null, false);
  }

  @Override
  public boolean isWritable() {
    return writeHalf.isWritable();
  }

  @Override
  public long pendingBytes() {
    return writeHalf.pendingBytes();
  }

  /** The write half's writability changed. Any thread. */
  void onWritabilityChanged() {
    if (openNotified) {
      events.execute(writabilityEvent);
    }
  }

  private void fireWritability() {
    boolean writable = writeHalf.isWritable();
    if (writable != notifiedWritable && !isClosed()) {
      notifiedWritable = writable;
      transport.listener().onWritabilityChanged(this, writable);
    }
  }

  // ---- Connection: the read half -----------------------------------------------------------

  @Override
  public T receive() throws InterruptedException {
    return receive(config.receiveTimeout());
  }

  @Override
  public T receive(Duration timeout) throws InterruptedException {
    Objects.requireNonNull(timeout, "timeout");
    return readHalf.receive(timeout);
  }

  @Override
  public void onMessage(MessageHandler<T> handler) {
    readHalf.handler(Objects.requireNonNull(handler, "handler"));
  }

  // ---- ping and liveness -------------------------------------------------------------------

  @Override
  public CompletableFuture<Duration> ping() {
    if (state.get() != OPEN || outputClosed) {
      return CompletableFuture.failedFuture(notOpen());
    }
    CompletableFuture<Duration> rtt = new CompletableFuture<>();
    sendControl(Wire.PING, pings.start(false, rtt));
    return rtt;
  }

  void onPing(long id) {
    if (!outputClosed) {
      sendControl(Wire.PONG, id);
    }
  }

  void onPong(long id) {
    pings.answer(id);
  }

  /** Deadlines: handshake, graceful close, frame read, liveness, pongs. Timer thread. */
  void tick(long now) {
    int s = state.get();
    if (s == CONNECTING) {
      if (now - createdNanos > Durations.nanos(config.handshakeTimeout())) {
        closeWith(new java.net.SocketTimeoutException("connect to " + remote
            + " did not complete within the handshake timeout " + config.handshakeTimeout()));
      }
      return;
    }
    if (s < OPEN) {
      if (now - createdNanos > Durations.nanos(config.handshakeTimeout())) {
        closeWith(new HandshakeException(HandshakeException.Field.TIMEOUT, "handshake did not"
            + " complete within " + config.handshakeTimeout() + "; the peer is silent, slow, or"
            + " not a duplex peer"));
      }
      return;
    }
    if (s == CLOSING && now - closeDeadlineNanos > 0) {
      closeWith(new DuplexTimeoutException("graceful close did not finish within its deadline;"
          + " the connection was aborted and what was still queued failed"));
      return;
    }
    // The clock is stopped while we do not read (the peer cannot progress); read that first.
    long frameStart = readHalf.frameClockStopped || inputEnded
        ? ReadHalf.NO_FRAME : readHalf.frameStartNanos;
    if (frameStart != ReadHalf.NO_FRAME
        && now - frameStart > Durations.nanos(config.frameReadTimeout())) {
      closeWith(new DuplexTimeoutException("a frame from the peer did not arrive in full within"
          + " the frame read timeout " + config.frameReadTimeout() + "; the peer is too slow or"
          + " trickling bytes to hold the connection (raise frameReadTimeout if it is honest but"
          + " sends large frames over a slow link)"));
      return;
    }
    PongTimeoutException late = pings.expire(now, config.pongTimeout());
    if (late != null && !readHalf.isPaused() && !inputEnded) {
      closeWith(late); // (while we do not read, the pong may be waiting unread: not the peer's fault)
      return;
    }
    if (s == OPEN && !pings.livenessOutstanding() && !outputClosed && !inputEnded
        && !readHalf.isPaused()
        && now - readHalf.lastReadNanos > Durations.nanos(config.pingInterval())) {
      sendControl(Wire.PING, pings.start(true, new CompletableFuture<>()));
    }
  }

  @Override
  public boolean isAlive() {
    return state.get() == OPEN && !inputEnded;
  }

  // ---- closing -----------------------------------------------------------------------------

  @Override
  public CompletableFuture<Void> close() {
    return close(config.closeTimeout());
  }

  @Override
  public CompletableFuture<Void> close(Duration drainTimeout) {
    Objects.requireNonNull(drainTimeout, "drainTimeout");
    startClose(new ConnectionClosedException("connection closed locally"), drainTimeout,
        CloseCodes.NORMAL, "");
    return closed;
  }

  @Override
  public CompletableFuture<Void> close(int code, String reason) {
    Objects.requireNonNull(reason, "reason");
    if (!CloseCodes.isSendable(code)) {
      throw new IllegalArgumentException("close code must be NORMAL, GOING_AWAY, DUPLICATE,"
          + " BANNED or an application code " + CloseCodes.APPLICATION_MIN + ".."
          + CloseCodes.MAX + " (the error codes are the transport's own): " + code);
    }
    startClose(new ConnectionClosedException("connection closed locally (code " + code
        + (reason.isEmpty() ? "" : ": " + reason) + ")"), config.closeTimeout(), code, reason);
    return closed;
  }

  /**
   * Graceful close: refuse new sends, write what is queued, then a CLOSE frame and FIN; the
   * connection ends when the peer's FIN has also arrived, or at the deadline. Any thread.
   */
  private void startClose(ConnectionClosedException reason, Duration timeout) {
    startClose(reason, timeout, CloseCodes.NORMAL, "");
  }

  private void startClose(ConnectionClosedException reason, Duration timeout, int code,
      String text) {
    // Before the state change: the timer must never see CLOSING without its deadline.
    closeDeadlineNanos = System.nanoTime() + Durations.nanos(timeout);
    for (; ; ) {
      int s = state.get();
      if (s >= CLOSING) {
        return;
      }
      if (s < OPEN) {
        finish(reason);
        return;
      }
      if (state.compareAndSet(OPEN, CLOSING)) {
        break;
      }
    }
    gracefulReason = reason;
    outputClosed = true;
    readLoop.execute(readHalf::discardWhileClosing);
    if (outputShut) {
      maybeFinishGracefully();
      return;
    }
    sendControl(Wire.CLOSE, Wire.closeBody(code, text), null, true);
  }

  @Override
  public void abort() {
    finish(new ConnectionClosedException("connection aborted locally"));
  }

  @Override
  public CompletableFuture<Void> shutdownOutput() {
    if (!outputClosed && state.get() == OPEN) {
      outputClosed = true;
      writeHalf.write(ByteBuffer.allocate(0), true, null, Long.MAX_VALUE, WriteHalf.LAST);
    } else if (isClosed()) {
      outputShutFuture.completeExceptionally(notOpen());
    }
    return outputShutFuture;
  }

  @Override
  public void shutdownInput() {
    readLoop.execute(() -> {
      readHalf.stopReading();
      try {
        channel.shutdownInput();
      } catch (IOException e) {
        closeWith(e);
        return;
      }
      inputEnded = true;
      readHalf.close();
      maybeFinishGracefully();
    });
  }

  /** The peer sent CLOSE: it will send nothing more. Read loop. */
  void onPeerClose(int code, String reason) {
    startClose(new PeerClosedException(code, reason), config.closeTimeout());
  }

  /** The peer's FIN arrived: it sends nothing more, so we finish our side and close. Read loop. */
  void onInputEnded() {
    inputEnded = true;
    readHalf.close();
    if (!isHandshaken()) {
      closeWith(new ConnectionClosedException("the peer closed the connection during the"
          + " handshake"));
      return;
    }
    if (state.get() == OPEN && !outputClosed) {
      startClose(new ConnectionClosedException("connection closed by the peer (end of stream)"),
          config.closeTimeout());
    }
    maybeFinishGracefully();
  }

  /** The FIN after the last queued frame went out. Write role holder. */
  void onOutputShut() {
    outputShut = true;
    outputShutFuture.complete(null);
    maybeFinishGracefully();
  }

  /** Finishes a graceful close once our FIN is out and the peer's has arrived. Any thread. */
  void maybeFinishGracefully() {
    if (outputShut && inputEnded) {
      ConnectionClosedException reason = gracefulReason;
      finish(reason != null ? reason : new ConnectionClosedException("connection closed"));
    }
  }

  /**
   * Ends the connection at once because of {@code error}, unless it has ended already. Any
   * thread. Returns the exception that describes the close.
   */
  ConnectionClosedException closeWith(Throwable error) {
    if (error instanceof ConnectionClosedException) {
      return finish((ConnectionClosedException) error);
    }
    return finish(new ConnectionClosedException("connection closed: " + error, error));
  }

  private ConnectionClosedException finish(ConnectionClosedException reason) {
    if (!closeCause.compareAndSet(null, reason)) {
      return closeCause.get();
    }
    state.set(CLOSED);
    try {
      // Our keys first: closing a registered socket shuts its output down, then cancels its
      // keys. In between, a loop still watching it for OP_WRITE finds it writable but, no longer
      // connected, ready for nothing: its select returns at once, empty, until the key is
      // cancelled; a closing thread descheduled there made a write loop spin 512 times and take
      // its selector for a broken one. A cancelled key leaves the selector at its next select.
      cancelKey(readLoop);
      cancelKey(writeLoop);
      channel.close();
    } catch (IOException e) {
      transport.errors().report(this, e);
    }
    writeHalf.close(reason);
    readHalf.close();
    pings.failAll(reason);
    opened.completeExceptionally(openFailure(reason));
    outputShutFuture.completeExceptionally(reason);
    if (reason.getCause() != null) {
      transport.errors().report(this, reason.getCause());
    }
    transport.closed(this);
    readLoop.wakeup();
    writeLoop.wakeup();
    closed.complete(null);
    events.execute(() -> {
      if (openNotified) {
        readHalf.drainUpTo(Integer.MAX_VALUE);
        transport.listener().onClose(this, reason);
      } else {
        transport.listener().onHandshakeFailed(remote, dialed, openFailure(reason));
      }
    });
    return reason;
  }

  private void cancelKey(SelectorLoop loop) {
    SelectionKey key = channel.keyFor(loop.selector);
    if (key != null) {
      key.cancel();
    }
  }

  /** What a pending connect future fails with: the underlying error where there is one. */
  private static Throwable openFailure(ConnectionClosedException reason) {
    Throwable cause = reason.getCause();
    return cause instanceof IOException || cause instanceof HandshakeException ? cause : reason;
  }

  private ConnectionClosedException notOpen() {
    ConnectionClosedException cause = closeCause.get();
    if (cause != null) {
      return new ConnectionClosedException(cause.getMessage(), cause.getCause());
    }
    return new ConnectionClosedException(state.get() < OPEN
        ? "connection is not open yet" : "connection is closing; no new sends are accepted");
  }

  @Override
  public ConnectionStats stats() {
    return metrics.snapshot(writeHalf.pendingBytes());
  }

  @Override
  public CompletableFuture<Void> closeFuture() {
    return closed;
  }

  @Override
  public ConnectionClosedException closeCause() {
    return closeCause.get();
  }

  boolean isClosed() {
    return closeCause.get() != null;
  }

  /** True from the start of a graceful close until the connection is closed. */
  boolean isClosing() {
    return state.get() == CLOSING;
  }

  // ---- accessors ---------------------------------------------------------------------------

  @Override
  public InetSocketAddress remoteAddress() {
    return remote;
  }

  @Override
  public InetSocketAddress localAddress() {
    return local;
  }

  @Override
  public PeerInfo peer() {
    return peer;
  }

  TransportConfig config() {
    return config;
  }

  SocketChannel channel() {
    return channel;
  }

  ReadHalf<T> readHalf() {
    return readHalf;
  }

  WriteHalf writeHalf() {
    return writeHalf;
  }

  ReadLoop readLoop() {
    return readLoop;
  }

  WriteLoop writeLoop() {
    return writeLoop;
  }

  Executor events() {
    return events;
  }

  ConnectionMetrics metrics() {
    return metrics;
  }

  @Override
  public String toString() {
    PeerInfo p = peer;
    return "Connection[" + (p != null ? p.nodeId() + "@" : "") + remote + "]";
  }
}
