package io.duplex.nio.internal;

import io.duplex.CloseCodes;
import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.ConnectionStats;
import io.duplex.DuplexException;
import io.duplex.Encoded;
import io.duplex.HandshakeException;
import io.duplex.Lane;
import io.duplex.LaneStats;
import io.duplex.MessageHandler;
import io.duplex.NodeId;
import io.duplex.PeerInfo;
import io.duplex.TransportConfig;
import io.duplex.codec.Codec;
import io.duplex.codec.EncoderException;
import io.duplex.internal.FrameBuffer;
import io.duplex.internal.Handshake;
import io.duplex.internal.LaneFrames;
import io.duplex.internal.LaneTable;
import io.duplex.internal.SecureHandshake;
import io.duplex.internal.noise.CipherState;
import io.duplex.internal.Wire;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A connection over one {@link SocketChannel}, read by one {@link ReadLoop} through its {@link
 * ReadHalf} and written through its {@link WriteHalf} by senders or one {@link WriteLoop}. Its
 * state is a {@link Lifecycle}; the timer's deadlines are its {@link Liveness}; how it ends
 * gracefully, half-closed or after an error is its {@link CloseSequence}.
 *
 * <h2>Closing</h2>
 * Every way ends in {@link #finish}, the one way to CLOSED: the compare-and-set on {@link
 * #closeCause} makes it run once, whichever thread gets there first. An abort ({@link
 * #closeWith}: I/O errors, timeouts of a dead peer, the DISCONNECT policy, {@link #abort()})
 * calls it at once; the {@link CloseSequence} calls it when a close completes.
 *
 * <h2>Fields and their threads</h2>
 * Final fields are set before the connection is shared. {@code closeCause} is atomic; {@code
 * lifecycle} and {@code pings} guard themselves. {@code local}, {@code peer}, {@code sendLimit}
 * are written by the read loop before the move to OPEN that publishes them; {@code openNotified}
 * by the event executor; {@code errorReported} by the thread that starts an error close.
 * {@code notifiedWritable} belongs to the event executor. docs/THREADING.md has the table.
 */
final class NioConnection<T> implements Connection<T> {
  private final LoopTransport<T> transport;
  private final TransportConfig config;
  private final Codec<T> codec;
  private final SocketChannel channel;
  private final ReadLoop readLoop;
  private final WriteLoop writeLoop;
  private final Executor events;
  /** The transport's lanes by number (lane 0 is {@link Lane#DEFAULT}); never changes. */
  private final Lane[] lanes;
  private final ConnectionMetrics metrics = new ConnectionMetrics();
  private final Pings pings = new Pings(metrics);
  private final ReadHalf<T> readHalf;
  private final WriteHalf writeHalf;
  private final Lifecycle lifecycle;
  private final Liveness liveness;
  private final CloseSequence closing;
  private final InetSocketAddress remote;
  private final long sendTimeoutNanos;
  private final boolean dialed;
  /** The node id the dialer expects to reach, or null. */
  private final NodeId expected;
  /** The secure handshake while it runs; null in plaintext mode and once done. Read loop. */
  private SecureHandshake secure;

  private final AtomicReference<ConnectionClosedException> closeCause = new AtomicReference<>();
  private final CompletableFuture<Connection<T>> opened = new CompletableFuture<>();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private final CompletableFuture<Void> outputShutFuture = new CompletableFuture<>();

  private volatile InetSocketAddress local;
  private volatile PeerInfo peer;
  private volatile int sendLimit;
  private volatile boolean openNotified;
  private volatile boolean errorReported;
  private boolean notifiedWritable = true;
  private final Runnable writabilityEvent = this::fireWritability;

  NioConnection(LoopTransport<T> transport, SocketChannel channel, InetSocketAddress remote,
      boolean connected, boolean dialed, NodeId expected, ReadLoop readLoop,
      WriteLoop writeLoop) {
    this.dialed = dialed;
    this.expected = expected;
    this.transport = transport;
    this.config = transport.config();
    this.codec = transport.codec();
    this.channel = channel;
    this.remote = remote;
    this.readLoop = readLoop;
    this.writeLoop = writeLoop;
    this.lanes = transport.lending().lanes();
    this.events = transport.handlersOnReadLoop()
        ? readLoop : new SerialExecutor(transport.handlerExecutor(), transport.errors());
    Executor[] laneEvents = new Executor[config.lanes().size() + 1];
    laneEvents[0] = events;
    for (int i = 1; i < laneEvents.length; i++) { // each lane's handler calls take turns apart
      laneEvents[i] = transport.handlersOnReadLoop()
          ? readLoop : new SerialExecutor(transport.handlerExecutor(), transport.errors());
    }
    this.readHalf = new ReadHalf<>(this, codec, config.maxHandshakeFrameSize(),
        config.inboundQueueCapacity(), config.inboundQueueMaxBytes(),
        transport.handlersOnReadLoop(), transport.laneTable(), laneEvents, transport.lending());
    this.writeHalf = new WriteHalf(this, channel, config);
    this.lifecycle = new Lifecycle(connected);
    this.liveness = new Liveness(this, lifecycle, readHalf, pings, config);
    this.closing = new CloseSequence(this, lifecycle, readHalf, writeHalf, readLoop, config,
        transport.errors());
    this.sendTimeoutNanos = Durations.nanos(config.sendTimeout());
  }

  // ---- set-up, on the read loop ------------------------------------------------------------

  /** Registers with the read loop's selector and, if TCP is up, starts the handshake. */
  void register() {
    try {
      boolean connecting = lifecycle.stage() == Lifecycle.CONNECTING;
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
        if (lifecycle.connected()) {
          connected();
        }
      }
    } catch (IOException e) {
      closeWith(naming(e));
    } catch (RuntimeException e) {
      closeWith(e);
    }
  }

  /** The connect error with the address in its message: "Connection refused: 127.0.0.1:9002". */
  private IOException naming(IOException e) {
    String where = remote.getHostString() + ":" + remote.getPort();
    String message = (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName())
        + ": " + where;
    IOException named = e instanceof ConnectException
        ? new ConnectException(message) : new IOException(message);
    named.initCause(e);
    return named;
  }

  private void connected() throws IOException {
    local = (InetSocketAddress) channel.getLocalAddress();
    if (!config.insecurePlaintext()) {
      secure = new SecureHandshake(dialed, config.cipherSuite(), transport.localInfo(),
          transport.laneTable(), transport.staticKey(), expected, config.authorizer().orElse(null),
          config.maxHandshakeFrameSize(), null);
      writeHalf.handshake(secure.start(), null);
      return;
    }
    FrameBuffer buffer = FrameBuffer.forFrames(128, config.maxHandshakeFrameSize());
    Handshake.encode(transport.localInfo(), transport.laneTable(), buffer);
    writeHalf.handshake(buffer.finishFrame(Wire.HANDSHAKE), null);
  }

  /**
   * Bytes of a secure connection before its handshake completed: the handshake takes what is
   * its, answers, and once complete installs the two cipher states, one per half. What it leaves
   * in {@code bytes} are the first records. Read loop.
   */
  void onSecureBytes(ByteBuffer bytes) {
    ByteBuffer answer = secure.read(bytes);
    while (!secure.isComplete()) {
      if (answer == null) {
        return; // every byte taken: the rest of the message is still to come
      }
      writeHalf.handshake(answer, null);
      answer = secure.read(bytes); // bytes that followed the message answered (none, honestly)
    }
    SecureHandshake done = secure;
    secure = null;
    CipherState[] keys = done.split();
    // The sealer starts after our last handshake bytes (the initiator's third message; none for
    // the responder), and the opener with the next byte read: one cipher state per half.
    writeHalf.handshake(answer != null ? answer : ByteBuffer.allocate(0),
        new Sealer(keys[0], channel));
    if (done.refusal() != null) { // the peer proved who it is: tell it why, sealed; never open
      closing.refuse(done.refusal(), done.refusalCode());
      return;
    }
    readHalf.startOpening(new Opener(keys[1]));
    onHandshake(done.peer(), done.peerLanes()); // (the lane tables were checked, above)
  }

  /** What a peer's FIN before the handshake completed means, for the close cause. Read loop. */
  String closedDuringHandshake() {
    if (secure != null && secure.awaitsLastMessage()) {
      return "the peer closed the connection during the secure handshake, after it read our"
          + " identity and settings: it refused them (another network id or codec, not the node"
          + " id it dialed, or its authorizer said no; its log says which)";
    }
    return "the peer closed the connection during the handshake";
  }

  /** Whether this connection runs the secure channel (not insecure plaintext). */
  boolean isSecure() {
    return !config.insecurePlaintext();
  }

  /** The peer's plaintext HANDSHAKE frame arrived. Read loop. */
  void onHandshake(Handshake.Received received) {
    Handshake.check(transport.localInfo(), received.info());
    LaneTable.check(transport.laneTable(), received.lanes());
    onHandshake(received.info(), received.lanes());
  }

  /** The peer's handshake arrived and was checked, but for its node id. Read loop. */
  private void onHandshake(PeerInfo remoteInfo, LaneTable peerLanes) {
    if (expected != null && !expected.equals(remoteInfo.nodeId())) { // plaintext: a claim only
      throw new HandshakeException(HandshakeException.Field.IDENTITY, "handshake failed:"
          + " dialed node " + expected + " and the peer claims to be node "
          + remoteInfo.nodeId() + " (insecure plaintext: nothing proves either)");
    }
    peer = remoteInfo;
    sendLimit = Math.min(config.maxFrameSize(), remoteInfo.maxFrameSize());
    if (peerLanes != null) {
      writeHalf.lanes().start(peerLanes, remoteInfo.maxFrameSize());
    }
    readHalf.handshakeDone(config.maxFrameSize());
    if (lifecycle.opened()) {
      events.execute(() -> {
        if (isClosed()) {
          opened.completeExceptionally(openFailure(closeCause()));
          return;
        }
        openNotified = true;
        Jfr.opened(this);
        try {
          transport.listener().onOpen(this);
        } finally {
          readHalf.opened();
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
    return send(0, message, false);
  }

  @Override
  public CompletableFuture<Void> sendLater(T message) {
    return send(0, message, true);
  }

  @Override
  public void flush() {
    writeHalf.flush();
  }

  @Override
  public CompletableFuture<Void> send(Lane lane, T message) {
    return send(laneNumber(lane), message, false);
  }

  @Override
  public CompletableFuture<Void> sendLater(Lane lane, T message) {
    return send(laneNumber(lane), message, true);
  }

  /**
   * {@code lane}'s number: found by identity in the transport's lane array (a short loop the JIT
   * inlines, on every {@code send(lane, m)}), else by {@link TransportConfig#laneNumber}, which
   * also matches by name and says what is wrong.
   */
  private int laneNumber(Lane lane) {
    Lane[] lanes = this.lanes;
    for (int i = 0; i < lanes.length; i++) {
      if (lanes[i] == lane) {
        return i;
      }
    }
    return config.laneNumber(lane);
  }

  @Override
  public LaneStats stats(Lane lane) {
    int n = laneNumber(lane);
    LaneScheduler lanes = writeHalf.lanes();
    if (lanes == null) {
      ConnectionStats s = stats();
      return new LaneStats(Lane.DEFAULT.name(), s.writeThroughs() + s.deferredWrites(),
          s.messagesIn(), s.pendingBytes(),
          Long.MAX_VALUE, s.sendsRefused(), s.framesDropped());
    }
    LaneScheduler.Out o = lanes.lane(n);
    return new LaneStats(o.name, o.sent.sum(), readHalf.laneMessages(n), o.pendingBytes(),
        o.credit.get(), o.refused.sum(), o.dropped.sum());
  }

  /**
   * Encodes {@code message} into the thread's encode buffer and hands it to the write half: on
   * lane {@code lane} if the connection has lanes (its payload, to be laid out per lane), else as
   * one MESSAGE frame ({@code lane} is then 0).
   */
  private CompletableFuture<Void> send(int lane, T message, boolean later) {
    Objects.requireNonNull(message, "message");
    if (!lifecycle.openForSends()) {
      return CompletableFuture.failedFuture(notOpen());
    }
    ByteBuffer frame;
    try {
      frame = encode(lane, message);
    } catch (EncoderException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<Void> promise = new CompletableFuture<>();
    hand(lane, frame, later, promise);
    return promise;
  }

  @Override
  public boolean post(T message) {
    return post(0, message);
  }

  @Override
  public boolean post(Lane lane, T message) {
    return post(laneNumber(lane), message);
  }

  /** A send without a future: {@link #send(int, Object, boolean)}'s steps, promise null. */
  private boolean post(int lane, T message) {
    Objects.requireNonNull(message, "message");
    if (!lifecycle.openForSends()) {
      return false;
    }
    return hand(lane, encode(lane, message), true, null);
  }

  /**
   * Encodes {@code message} into the thread's encode buffer: one MESSAGE frame, or on a
   * connection with lanes the payload of one (its header in front), to be laid out per lane.
   *
   * @throws EncoderException if the codec refuses it or it is over the (lane's) size limit
   */
  private ByteBuffer encode(int lane, T message) {
    LaneScheduler lanes = writeHalf.lanes();
    LaneScheduler.Out out = lanes == null ? null : lanes.lane(lane);
    FrameBuffer buffer = transport.encodeBuffer();
    buffer.reset();
    buffer.maxPayload(out == null ? sendLimit - Wire.TYPE_SIZE : out.maxMessage);
    try {
      ByteBuffer frame = buffer.encodeMessage(codec, message);
      if (out != null) {
        frame.position(frame.position() + Wire.HEADER_SIZE); // the payload: laid out per lane
      }
      return frame;
    } catch (EncoderException e) {
      throw lane == 0 ? e : new EncoderException("lane '" + out.name + "': " + e.getMessage()
          + " (the lane's max message size is " + out.maxMessage + ")", e);
    }
  }

  /**
   * Hands an encoded message to the write half: on lane {@code lane} if the connection has lanes
   * (its payload), else as one MESSAGE frame ({@code lane} is then 0). {@code promise} may be
   * null. Returns false if the write half refused it at once.
   */
  private boolean hand(int lane, ByteBuffer frame, boolean later,
      CompletableFuture<Void> promise) {
    metrics.messagesOut.increment();
    if (writeHalf.lanes() != null) {
      return writeHalf.sendLane(lane, frame, null, promise, sendTimeoutNanos, Long.MAX_VALUE,
          later);
    }
    return later ? writeHalf.sendLater(frame, promise, sendTimeoutNanos)
        : writeHalf.send(frame, promise, System.nanoTime() + sendTimeoutNanos);
  }

  @Override
  public CompletableFuture<Void> send(Encoded<T> encoded) {
    Objects.requireNonNull(encoded, "encoded");
    if (!lifecycle.openForSends()) {
      return CompletableFuture.failedFuture(notOpen());
    }
    LaneScheduler lanes = writeHalf.lanes();
    if (lanes == null && encoded.frameLength() > sendLimit) { // with lanes: chunks, if need be
      return CompletableFuture.failedFuture(new EncoderException("frame length "
          + encoded.frameLength() + " exceeds the max frame size " + sendLimit
          + " this peer accepts; split the message or raise maxFrameSize on both peers"));
    }
    ByteBuffer frame = encoded.frame();
    int lane = LaneFrames.lane(frame);
    if (lanes == null ? lane != 0 : lane >= lanes.size()) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("the message was"
          + " encoded for lane " + lane + ", and this transport has " + (lanes == null
          ? "no lanes" : lanes.size() + " lanes") + "; encode it with this transport"));
    }
    CompletableFuture<Void> promise = new CompletableFuture<>();
    if (lanes != null) {
      LaneScheduler.Out out = lanes.lane(lane);
      int data = LaneFrames.dataSize(frame);
      if (data > out.maxMessage) {
        return CompletableFuture.failedFuture(new EncoderException("a message of " + data
            + " bytes is over the max message size " + out.maxMessage + " of lane '" + out.name
            + "' (this side's or the peer's)"));
      }
      metrics.messagesOut.increment();
      // The shared bytes themselves if they were laid out as this connection lays out; else
      // laid out again, from the body.
      boolean shared = LaneFrames.chunked(frame) ? LaneFrames.chunkSize(frame) == lanes.chunk()
          : data <= lanes.chunk();
      writeHalf.sendLane(lane, shared ? null : LaneFrames.body(frame), shared ? frame : null,
          promise, sendTimeoutNanos, encoded.deadlineNanos(), false);
      return promise;
    }
    metrics.messagesOut.increment();
    writeHalf.sendShared(frame, promise, System.nanoTime() + sendTimeoutNanos,
        encoded.deadlineNanos());
    return promise;
  }

  @Override
  public boolean isWritable() {
    return writeHalf.isWritable();
  }

  @Override
  public long pendingBytes() {
    return writeHalf.pendingBytes();
  }

  /** The write half's writability changed. Any thread holding no unconsumed frame. */
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

  /** Whether the calling thread is a loop or the timer (of any transport). */
  boolean onTransportThread() {
    return LoopThread.current();
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
    if (!lifecycle.openForSends()) {
      return CompletableFuture.failedFuture(notOpen());
    }
    CompletableFuture<Duration> rtt = new CompletableFuture<>();
    sendPing(pings.start(false, rtt));
    return rtt;
  }

  /** Sends PING {@code id} (0: the ping failed already); fails the ping if it cannot. */
  void sendPing(long id) {
    if (id != 0 && !writeHalf.ping(id)) {
      pings.forget(id, !lifecycle.openForSends() ? notOpen() : new DuplexException(
          "ping refused: " + ControlQueue.MAX_PINGS + " pings wait to be written already, the"
          + " peer is not reading them; wait for their pongs before sending more"));
    }
  }

  /** Whether a PING is answered: not once our output is ending. Read loop. */
  boolean answersPings() {
    return lifecycle.openForSends();
  }

  void onPong(long id) {
    pings.answer(id);
  }

  /** The PONGs we owe fell below their bound. The write role holder. */
  void onPongsDrained() {
    readHalf.pongsDrained();
  }

  /** Deadlines: handshake, close, frame read, pongs, liveness. Timer thread. */
  void tick(long now) {
    liveness.tick(now);
    readHalf.tick(now);
    writeHalf.tick(now);
  }

  @Override
  public boolean isAlive() {
    return lifecycle.alive();
  }

  // ---- closing -----------------------------------------------------------------------------

  @Override
  public CompletableFuture<Void> close() {
    return close(config.closeTimeout());
  }

  @Override
  public CompletableFuture<Void> close(Duration drainTimeout) {
    Objects.requireNonNull(drainTimeout, "drainTimeout");
    closing.closeGracefully(new ConnectionClosedException("connection closed locally"),
        drainTimeout, CloseCodes.NORMAL, "");
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
    closing.closeGracefully(new ConnectionClosedException("connection closed locally (code "
        + code + " "
        + CloseCodes.name(code) + (reason.isEmpty() ? "" : ": " + reason) + ")"),
        config.closeTimeout(), code, reason);
    return closed;
  }

  @Override
  public void abort() {
    finish(new ConnectionClosedException("connection aborted locally"));
  }

  @Override
  public CompletableFuture<Void> shutdownOutput() {
    if (!closing.shutdownOutput()) {
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
      onInputEnded(false);
    });
  }

  /** The peer sent CLOSE: it will send nothing more. Read loop. */
  void onPeerClose(int code, String reason) {
    closing.onPeerClose(code, reason);
  }

  /** The peer's FIN arrived ({@code byPeer}), or input was shut down. Read loop. */
  void onInputEnded(boolean byPeer) {
    closing.onInputEnded(byPeer);
  }

  /** The FIN after the last queued frame went out. Write role holder. */
  void onOutputShut() {
    outputShutFuture.complete(null);
    closing.onOutputShut();
  }

  /** Closes because of an error in what the peer sent, telling it why: see {@link CloseSequence}. */
  void failWith(RuntimeException error) {
    closing.failWith(error);
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

  /** {@link #closeWith}, whatever that throws (it must not stop a write role being let go). */
  ConnectionClosedException closeQuietly(Throwable error) {
    try {
      return closeWith(error);
    } catch (Throwable t) {
      return new ConnectionClosedException("connection closed: " + error, error);
    }
  }

  /** An error close reported its error already: the finish does not report it again. */
  void errorReported() {
    errorReported = true;
  }

  private ConnectionClosedException finish(ConnectionClosedException reason) {
    if (!closeCause.compareAndSet(null, reason)) {
      return closeCause.get();
    }
    lifecycle.closed();
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
    if (reason.getCause() != null && !errorReported) {
      transport.errors().report(this, reason.getCause());
    }
    transport.closed(this);
    readLoop.wakeup();
    writeLoop.wakeup();
    if (openNotified || lifecycle.stage() == Lifecycle.OPEN) {
      Jfr.closed(this, reason, metrics.bytesIn.sum(), metrics.bytesOut.sum());
    } else {
      Jfr.handshakeFailed(remote, dialed, openFailure(reason));
    }
    closed.complete(null);
    events.execute(() -> {
      if (openNotified) {
        readHalf.drainAll(() -> transport.listener().onClose(this, reason));
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
    return new ConnectionClosedException(lifecycle.stage() < Lifecycle.OPEN
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

  /** A graceful close is under way: the read half reads on to the peer's FIN. Any thread. */
  boolean closingGracefully() {
    return lifecycle.closingGracefully();
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
