package io.duplex.nio.internal;

import io.duplex.ConnectionClosedException;
import io.duplex.HandlerException;
import io.duplex.HandshakeException;
import io.duplex.LaneException;
import io.duplex.MessageHandler;
import io.duplex.ProtocolException;
import io.duplex.ReceiveTimeoutException;
import io.duplex.codec.Codec;
import io.duplex.codec.CorruptedFrameException;
import io.duplex.codec.DecoderException;
import io.duplex.codec.FrameDecoder;
import io.duplex.codec.TooLongFrameException;
import io.duplex.security.RecordException;
import io.duplex.internal.Handshake;
import io.duplex.internal.Wire;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The read side of one connection: its frame decoder, its inbound queue and the hand-off of
 * messages to {@code receive} callers or the push handler.
 *
 * <h2>Fields and their threads</h2>
 * <ul>
 *   <li>{@code decoder}, {@code inputDone}, {@code discarding}, {@code discardingRaw}, {@code
 *       pongQueued}: the read loop only. {@code key} is set by the read loop before any consumer
 *       can see the connection paused, and only read elsewhere.</li>
 *   <li>{@code inbound}: the read loop offers; consumers poll (its own lock).</li>
 *   <li>{@code pauses}: why reading is paused, a bit per reason: the inbound queue is full
 *       ({@code INBOUND_FULL}), or the PONGs this side owes wait at their bound ({@code
 *       PONGS_OWED}). The read loop sets a bit; the thread that removes the reason (a consumer
 *       that makes room, the write role holder that takes PONGs) clears it by compare-and-set,
 *       and whoever clears the last one asks the read loop (a command) to re-enable OP_READ, so
 *       only one of them resumes reading.</li>
 *   <li>{@code pongsOwedSince}: volatile; the read loop writes it before it sets the PONGS_OWED
 *       bit; the timer reads the bit, then it (the pong deadline).</li>
 *   <li>{@code handler}: volatile, set by the application, read by the loop and the drain.</li>
 *   <li>{@code lastReadNanos}: volatile, written by the read loop, read by the liveness sweep.</li>
 *   <li>{@code frameStartNanos}, {@code frameClockStopped}: volatile, written by the read loop
 *       only, read by the timer's frame-read deadline.</li>
 *   <li>{@code lastLargeNanos}: volatile, written by the read loop, read by the timer. {@code
 *       retainsLarge}: volatile; the read loop sets it, the timer clears it as it posts the
 *       release command, which checks the quiet period again on the loop.</li>
 *   <li>The lent receive path ({@code lender} set): its lock and state are the {@link Lender}'s
 *       (see its notes). The read loop holds its lock while it handles the frames of a read
 *       ({@code handleRead}), not across the read itself. The held messages (arrived before
 *       {@code onOpen} returned) wait in {@code inbound} as copies.</li>
 * </ul>
 */
final class ReadHalf<T> {
  /** Reads per readiness event before the loop moves on to other connections. */
  private static final int READS_PER_EVENT = 16;
  /** Messages per push-handler turn before the connection yields the handler thread. */
  private static final int DRAIN_BATCH = 256;

  private final NioConnection<T> connection;
  private final Codec<T> codec;
  private final FrameDecoder decoder;
  private final InboundQueue inbound;
  /** The lanes' reassembly and credit; null on a connection without lanes. */
  private final LaneReceiver lanes;
  /** Per lane, where its handler calls run: lane 0 on the connection's event executor. */
  private final java.util.concurrent.Executor[] laneEvents;
  private final AtomicBoolean[] laneDraining;
  private final Runnable[] laneDrains;
  private final boolean handlersOnReadLoop;
  private final boolean secure;
  /** The lent receive path, if the transport has a payload handler; null: messages are decoded. */
  private final Lender<T> lender;
  /** Poison each buffer a codec decodes from when the call returns (the lender: each lent one). */
  private final boolean poison;
  /** What {@link #poison} fills a returned buffer's bytes with. */
  static final byte POISON = (byte) 0xDD;
  /** Messages larger than this leave a buffer of their size kept for the next (see below). */
  static final int RETAIN_SMALL = 64 * 1024;
  /** How long after the last large message its kept buffers are let go. */
  static final long QUIET_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
  /**
   * When the last message larger than {@link #RETAIN_SMALL} arrived: the gathering or lane
   * buffer it used is kept for the next one until {@link #QUIET_NANOS} pass without one. Written
   * by the read loop; read by the timer's {@link #tick}.
   */
  private volatile long lastLargeNanos;
  /**
   * Whether buffers of large messages may be kept. The read loop sets it on a large message;
   * the timer clears it when it asks the loop to let them go ({@link #releaseQuiet}).
   */
  private volatile boolean retainsLarge;
  /** Reading stopped: the inbound queue is full. */
  private static final int INBOUND_FULL = 1;
  /** Reading stopped: as many PONGs wait as may (a peer that sends PINGs and does not read). */
  private static final int PONGS_OWED = 2;

  private final AtomicInteger pauses = new AtomicInteger();
  private volatile MessageHandler<T> handler;
  volatile long lastReadNanos = System.nanoTime();
  /**
   * When the first byte of the frame still unfinished was read, or {@link #NO_FRAME}: the start
   * of the frame-read deadline ({@code TransportConfig.frameReadTimeout}). Set when a read leaves
   * a partial frame that the previous read did not (a frame completed in this read, or none was
   * pending), cleared when a read leaves none, and restarted when reading resumes after a pause.
   */
  volatile long frameStartNanos = NO_FRAME;
  static final long NO_FRAME = Long.MIN_VALUE;
  /**
   * True from a pause until the read loop resumes reading: the peer cannot make progress then,
   * so the frame-read deadline does not run. Unlike {@code pauses}, which a consumer clears
   * before the loop has resumed, only the loop writes it, after restarting the clock.
   */
  volatile boolean frameClockStopped;
  /**
   * When reading last paused because the peer does not read our PONGs. Written by the read loop
   * only, before it sets the PONGS_OWED bit; meaningful while the bit is set.
   */
  private volatile long pongsOwedSince;

  // Read loop only.
  private SelectionKey key;
  private boolean inputDone;
  private boolean discarding;
  private boolean discardingRaw;
  private boolean pongQueued;
  /** Opens the records of a secure connection once its handshake is done; null until then. */
  private Opener opener;

  ReadHalf(NioConnection<T> connection, Codec<T> codec, int preHandshakeLimit, int capacity,
      long maxBytes, boolean handlersOnReadLoop, io.duplex.internal.LaneTable laneTable,
      java.util.concurrent.Executor[] laneEvents, Lending<T> lending) {
    this.connection = connection;
    this.codec = codec;
    this.decoder = new FrameDecoder(preHandshakeLimit);
    decoder.limit(preHandshakeLimit, "pre-handshake max frame size");
    this.lanes = laneTable == null ? null : new LaneReceiver(laneTable);
    this.laneEvents = laneEvents;
    int n = laneEvents.length;
    this.inbound = new InboundQueue(n, capacity, maxBytes);
    this.laneDraining = new AtomicBoolean[n];
    this.laneDrains = new Runnable[n];
    for (int i = 0; i < n; i++) {
      int lane = i;
      laneDraining[i] = new AtomicBoolean();
      laneDrains[i] = () -> drain(lane);
    }
    this.handlersOnReadLoop = handlersOnReadLoop;
    this.secure = connection.isSecure();
    this.poison = lending.poison();
    this.lender = lending.handler() == null ? null
        : new Lender<>(connection, this, inbound, lending);
  }

  /** The read selector's key for this connection. Read loop. */
  void key(SelectionKey key) {
    this.key = key;
  }

  /** Raises the frame limit once the handshake is done. Read loop. */
  void handshakeDone(int maxFrameSize) {
    decoder.limit(maxFrameSize, "max frame size");
  }

  // ---- read loop ---------------------------------------------------------------------------

  /** Reads what the socket has into the loop's shared buffer and handles every frame in it. */
  void onReadable(ByteBuffer buffer) {
    try {
      for (int i = 0; i < READS_PER_EVENT && !inputDone; i++) {
        buffer.clear();
        int n = connection.channel().read(buffer);
        if (n < 0) {
          endOfStream();
          return;
        }
        if (n == 0) {
          return;
        }
        long now = System.nanoTime();
        lastReadNanos = now;
        connection.metrics().bytesIn.add(n);
        if (discardingRaw) {
          continue; // closing after an error: the bytes are not decoded, only read to the FIN
        }
        buffer.flip();
        int decoded = handleRead(buffer);
        if (decoded == STOP) {
          return;
        }
        boolean completed = decoded == COMPLETED;
        if (pongQueued) {
          answerPings();
        }
        if (!hasPartialFrame()) {
          if (frameStartNanos != NO_FRAME) {
            frameStartNanos = NO_FRAME; // (a volatile read is cheaper than a store on every read)
          }
        } else if (completed || frameStartNanos == NO_FRAME) {
          frameStartNanos = now == NO_FRAME ? now + 1 : now;
        }
        if (pauses.get() != 0 || n < buffer.capacity()) {
          return;
        }
      }
    } catch (TooLongFrameException e) {
      if (connection.isHandshaken()) {
        connection.failWith(e);
      } else {
        connection.closeWith(notDuplex(e));
      }
    } catch (HandshakeException e) {
      connection.closeWith(e);
    } catch (DecoderException | ProtocolException e) {
      connection.failWith(e); // the peer is told why, in a CLOSE frame
    } catch (IOException | RuntimeException | LinkageError | StackOverflowError e) {
      connection.closeWith(e); // a codec's bug ends its connection, not the loop
    }
  }

  /**
   * Handles the frames of one read: on the lent path under the lender's lock (taken once per
   * read, not per message, and not across the read's system call).
   */
  private int handleRead(ByteBuffer bytes) {
    if (lender == null) {
      return secure ? readSecure(bytes) : decodeAll(bytes);
    }
    lender.lock();
    try {
      return secure ? readSecure(bytes) : decodeAll(bytes);
    } finally {
      lender.unlock();
    }
  }

  /** {@link #decodeAll} results: stop reading; no frame was completed; some were. */
  private static final int STOP = -1;
  private static final int NONE = 0;
  private static final int COMPLETED = 1;

  /** Handles every whole frame in {@code bytes}. */
  private int decodeAll(ByteBuffer bytes) {
    int result = NONE;
    ByteBuffer frame;
    while ((frame = decoder.next(bytes)) != null) {
      result = COMPLETED;
      onFrame(frame);
      if (connection.isClosed() || discardingRaw) {
        return STOP;
      }
    }
    return result;
  }

  /**
   * A secure connection's bytes: the handshake's until it completes, then records, each opened
   * and its plaintext decoded before the next is opened. A record that does not open throws,
   * and nothing of it is delivered.
   */
  private int readSecure(ByteBuffer bytes) {
    if (opener == null) {
      connection.onSecureBytes(bytes);
      if (connection.isClosed() || discardingRaw) {
        return STOP; // failed, or refused: nothing of this peer is decoded
      }
      if (opener == null) {
        return NONE;
      }
    }
    int result = NONE;
    ByteBuffer plain;
    while ((plain = opener.next(bytes)) != null) {
      int r = decodeAll(plain);
      if (r == STOP) {
        return STOP;
      }
      result = Math.max(result, r);
    }
    return result;
  }

  /** The handshake completed: records from now on. Read loop. */
  void startOpening(Opener opener) {
    this.opener = opener;
  }

  private boolean hasPartialFrame() {
    return decoder.hasPartialFrame() || (opener != null && opener.hasPartialRecord());
  }

  /**
   * Writes the PONGs the read queued, once per read rather than once per PING; if as many wait
   * as may (the peer does not read them), stops reading it until they drain. Read loop.
   */
  private void answerPings() {
    pongQueued = false;
    WriteHalf out = connection.writeHalf();
    out.flushControl();
    if (!out.pongsBelowLimit()) {
      pause(PONGS_OWED);
    }
  }

  private static HandshakeException notDuplex(TooLongFrameException e) {
    if (e.length() == io.duplex.internal.Wire.MAGIC) { // "DPLX" where a length should be
      return new HandshakeException(HandshakeException.Field.SECURITY, "handshake failed: the"
          + " peer wants the secure channel (its first bytes are the duplex 2 preface), and this"
          + " node runs insecure plaintext; both sides must agree: drop insecurePlaintext() here"
          + " (a secure node never falls back to plaintext)", e);
    }
    return new HandshakeException(HandshakeException.Field.MAGIC, "handshake failed: the peer's"
        + " first bytes announce a frame of " + e.length() + " bytes, over the pre-handshake limit "
        + e.limit() + "; it is not a duplex peer (or it is hostile)", e);
  }

  private void endOfStream() {
    inputDone = true;
    cancelRead();
    connection.writeHalf().endCredit();
    if (opener != null && opener.hasPartialRecord() && !discardingRaw) {
      // An EOFException cause, as for a frame cut short in plaintext below: a reset whose error
      // a write took first leaves the read only the end of the stream (FaultTest's reset).
      connection.closeWith(new RecordException(RecordException.Reason.TRUNCATED, "the peer's"
          + " stream ended in the middle of a record; nothing of the record is delivered and the"
          + " connection is closed (the peer crashed, was cut off, or the stream was truncated"
          + " on the way)", new EOFException("end of stream in the middle of a record")));
    } else if (decoder.hasPartialFrame() && !discardingRaw) {
      // A violation, not an orderly close: its EOFException cause tells the two apart by type,
      // and the error handler hears of it like any other (a pending connect fails with it).
      connection.closeWith(new ConnectionClosedException("the peer closed the connection in the"
          + " middle of a frame; the frame is lost and the connection closed",
          new EOFException("end of stream in the middle of a frame: the peer's side ended"
              + " before the frame was complete (it crashed, was cut off, or broke the"
              + " protocol)")));
    } else {
      connection.onInputEnded(true);
    }
  }

  private void onFrame(ByteBuffer frame) {
    if (!frame.hasRemaining()) {
      throw new CorruptedFrameException("zero-length frame: every duplex frame has at least a type"
          + " byte; the peer is broken or not a duplex peer");
    }
    int size = frame.remaining() + Wire.LENGTH_SIZE;
    byte type = frame.get();
    if (!connection.isHandshaken()) {
      if (type != Wire.HANDSHAKE) {
        throw new HandshakeException(HandshakeException.Field.MAGIC, "handshake failed: the"
            + " peer's first frame has type " + Wire.typeName(type) + ", not HANDSHAKE; it is not"
            + " a duplex peer");
      }
      connection.onHandshake(Handshake.decodeFull(frame));
      return;
    }
    if (lanes != null && (type == Wire.MESSAGE || LaneReceiver.isLaneData(type))) {
      ByteBuffer payload = lanes.onFrame(type, frame);
      if (payload != null) {
        received(lanes.lane, payload, payload.remaining());
      }
      return;
    }
    switch (type) {
      case Wire.MESSAGE:
        received(0, frame, size);
        return;
      case Wire.CREDIT:
        if (lanes == null) {
          break;
        }
        onCredit(frame);
        return;
      case Wire.PING:
        long id = controlId(frame, "PING");
        if (connection.answersPings()) {
          pongQueued = true;
          connection.writeHalf().pong(id);
        }
        return;
      case Wire.PONG:
        connection.onPong(controlId(frame, "PONG"));
        return;
      case Wire.CLOSE:
        onClose(frame);
        return;
      case Wire.HANDSHAKE:
        throw new ProtocolException("protocol violation: a second HANDSHAKE frame after the"
            + " handshake completed");
      default:
        break;
    }
    throw new ProtocolException("protocol violation: unknown frame type " + Wire.typeName(type)
        + (lanes == null && (type == Wire.CREDIT || LaneReceiver.isLaneData(type))
            ? " (a lane frame, and this connection has no lanes)" : ""));
  }

  /** A CREDIT frame: u8 lane, u32 bytes. */
  private void onCredit(ByteBuffer body) {
    if (body.remaining() != 5) {
      throw new LaneException(LaneException.Reason.MALFORMED, "?",
          "protocol violation: a CREDIT body must be 5 bytes, was " + body.remaining());
    }
    int lane = body.get() & 0xFF;
    long bytes = body.getInt() & 0xFFFFFFFFL;
    if (lane >= lanes.size()) {
      throw new LaneException(LaneException.Reason.UNKNOWN_LANE,
          String.valueOf(lane), "protocol violation: a CREDIT for lane " + lane + ", and the"
          + " lane table has " + lanes.size() + " lanes");
    }
    if (bytes == 0 || bytes > Integer.MAX_VALUE) {
      throw lanes.credit(lane, bytes, "a credit must be 1..2^31-1");
    }
    if (!connection.writeHalf().credit(lane, bytes)) {
      throw lanes.credit(lane, bytes, "it takes this side's credit past the window the"
          + " peer announced: the peer granted bytes this side never sent");
    }
  }

  /**
   * A whole message's payload arrived on {@code lane}; {@code size} is what it counts against
   * the inbound limits (frame bytes) or the lane's credit (data bytes). Decoded and delivered, or
   * on the lent path lent to the payload handler (or held, until onOpen has returned). Read loop.
   */
  private void received(int lane, ByteBuffer payload, int size) {
    if (payload.remaining() > RETAIN_SMALL) {
      lastLargeNanos = System.nanoTime();
      if (!retainsLarge) {
        retainsLarge = true;
      }
    }
    if (lender == null) {
      deliver(lane, decode(payload), size);
    } else if (!lender.lending() || discarding) {
      deliver(lane, discarding ? null : Lender.copyOf(payload), size); // held until onOpen returned
    } else {
      lender.received(lane, payload, size);
    }
  }

  private T decode(ByteBuffer payload) {
    int start = payload.position();
    int end = payload.limit();
    ByteBuffer lent = poison ? payload.duplicate() : payload;
    try {
      return codec.decode(lent);
    } catch (DecoderException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new DecoderException("codec '" + codec.name() + "' failed to decode a message: " + e,
          e);
    } finally {
      if (poison) {
        poison(payload, start, end, lent);
      }
    }
  }

  /**
   * The debug switch: a lent buffer's call returned, so its bytes are overwritten with {@link
   * #POISON} and the buffer the callee got is emptied. A callee that kept the buffer then fails
   * on its next read; one that kept a slice or the array reads 0xDD bytes.
   */
  static void poison(ByteBuffer payload, int start, int end, ByteBuffer lent) {
    for (int i = start; i < end; i++) {
      payload.put(i, POISON);
    }
    lent.limit(0);
  }

  private static long controlId(ByteBuffer body, String what) {
    if (body.remaining() != 8) {
      throw new ProtocolException("protocol violation: " + what + " body must be 8 bytes, was "
          + body.remaining());
    }
    return body.getLong();
  }

  private void onClose(ByteBuffer body) {
    if (body.remaining() < 2) {
      throw new ProtocolException("protocol violation: CLOSE body must hold a 2-byte code, was "
          + body.remaining() + " bytes");
    }
    int code = body.getShort() & 0xFFFF;
    byte[] text = new byte[Math.min(body.remaining(), io.duplex.CloseCodes.MAX_REASON_BYTES)];
    body.get(text);
    connection.writeHalf().endCredit(); // nothing follows a CLOSE: no more credit either
    connection.onPeerClose(code, new String(text, java.nio.charset.StandardCharsets.UTF_8));
  }

  @SuppressWarnings("unchecked")
  private void deliver(int lane, Object message, int size) {
    connection.metrics().messagesIn.increment();
    if (discarding) {
      consumed(lane, size); // dropped, and granted back: the peer's close is not held up
      return; // closing, and the application stopped reading: see discardWhileClosing
    }
    MessageHandler<T> h = handler;
    if (h != null && handlersOnReadLoop && inbound.isEmpty(lane)) {
      invoke(h, (T) message);
      consumed(lane, size);
      return;
    }
    boolean full = inbound.offer(lane, message, size);
    // Read the handler again, after the offer: if it was installed since the read above, the
    // installer's drain may have found the queue still empty, and only this drain delivers the
    // message. Either this read sees the handler, or the installation (and its drain) comes
    // after the offer and finds the message.
    if (handler != null) {
      scheduleDrain(lane);
    }
    if (full && lanes == null) { // with lanes, credit bounds each lane's list instead
      if (connection.closingGracefully()) {
        discarding = true; // keep reading to the peer's FIN rather than stall the close
      } else {
        pause(INBOUND_FULL);
      }
    }
  }

  /**
   * Stops reading for {@code reason}, unless already stopped for it (so the rest of a read that
   * finds the queue full counts one pause, not one per message). Read loop.
   */
  private void pause(int reason) {
    if (reason == PONGS_OWED && (pauses.get() & PONGS_OWED) == 0) {
      pongsOwedSince = System.nanoTime(); // before the bit: the timer reads the bit first
    }
    int before = pauses.getAndUpdate(p -> p | reason);
    if ((before & reason) != 0) {
      return;
    }
    if (before == 0) {
      key.interestOps(0);
      frameClockStopped = true;
    }
    if (reason == INBOUND_FULL) {
      connection.metrics().readPauses.increment();
      Jfr.readPaused(connection, "INBOUND_FULL");
    } else {
      Jfr.readPaused(connection, "PONGS_OWED");
    }
    resume(reason); // the reason may have gone before the pause could be seen
  }

  /**
   * The connection is closing gracefully: if reading is paused on a full queue, read on to the
   * peer's FIN but drop the messages, so the close completes in order instead of resetting a
   * peer whose last frames nobody would read. Read loop.
   */
  void discardWhileClosing() {
    if ((pauses.get() & INBOUND_FULL) != 0 && key != null && key.isValid() && !inputDone) {
      discarding = true;
      if (pauses.updateAndGet(p -> p & ~INBOUND_FULL) == 0) {
        restartFrameClock();
        key.interestOps(SelectionKey.OP_READ);
      }
    }
  }

  /**
   * The connection is closing because of an error in what the peer sent: read on to its FIN but
   * decode nothing more (the stream may make no sense), whatever was paused. Read loop.
   */
  void discardRaw() {
    discardingRaw = true;
    discarding = true;
    pauses.set(0);
    frameStartNanos = NO_FRAME;
    frameClockStopped = false;
    if (key != null && key.isValid() && !inputDone) {
      key.interestOps(SelectionKey.OP_READ);
    }
  }

  /**
   * Reading resumes after a pause: the peer could not send while we did not read, so the frame
   * it was sending gets a full frame-read deadline again. Read loop, before OP_READ is set.
   */
  private void restartFrameClock() {
    if (frameStartNanos != NO_FRAME) {
      long now = System.nanoTime();
      frameStartNanos = now == NO_FRAME ? now + 1 : now;
    }
    frameClockStopped = false; // after the restart: the timer reads this first
  }

  /** True while reading is paused, for either reason. Any thread. */
  boolean isPaused() {
    return pauses.get() != 0;
  }

  /**
   * Since when reading has been paused because the peer does not read the PONGs this side owes
   * it, or {@link #NO_FRAME} while it is not. Any thread (the timer).
   */
  long pongsOwedSince() {
    return (pauses.get() & PONGS_OWED) != 0 ? pongsOwedSince : NO_FRAME;
  }

  /** The PONGs waiting fell below their bound: resume reading if that was the pause. Any thread. */
  void pongsDrained() {
    resume(PONGS_OWED);
  }

  private void cancelRead() {
    if (key != null && key.isValid()) {
      key.interestOps(0);
    }
  }

  /** Stops reading for good (shutdownInput). Read loop. */
  void stopReading() {
    inputDone = true;
    cancelRead();
  }

  // ---- consumers -------------------------------------------------------------------------

  /**
   * Clears the pause for {@code reason} if the reason has gone (the queue has room, the PONGs
   * drained); whoever clears the last reason asks the loop to read again. Any thread.
   */
  private void resume(int reason) {
    for (; ; ) {
      int p = pauses.get();
      if ((p & reason) == 0) {
        return;
      }
      boolean holds = reason == INBOUND_FULL
          ? inbound.isFull() : !connection.writeHalf().pongsBelowLimit();
      if (holds) {
        return;
      }
      if (pauses.compareAndSet(p, p & ~reason)) {
        if ((p & ~reason) == 0) {
          resumeReading();
        }
        return;
      }
    }
  }

  private void resumeReading() {
    SelectionKey k = key;
    if (k != null && k.isValid() && !connection.isClosed()) {
      connection.readLoop().execute(() -> {
        if (k.isValid() && !inputDone && pauses.get() == 0) {
          restartFrameClock();
          k.interestOps(SelectionKey.OP_READ);
        }
      });
    }
  }

  @SuppressWarnings("unchecked")
  T receive(Duration timeout) throws InterruptedException {
    if (lender != null) {
      throw Lender.lentOnly("receive()");
    }
    if (handler != null) {
      throw new IllegalStateException("receive() is not available: a push handler was installed"
          + " with onMessage, and it gets every message");
    }
    InboundQueue.Node m = inbound.poll(Durations.nanos(timeout));
    if (m == null) {
      throw new ReceiveTimeoutException("no message received within " + timeout
          + "; the connection is still open");
    }
    if (m == InboundQueue.CLOSED) {
      ConnectionClosedException closed = connection.closeCause();
      if (closed == null) {
        throw new ConnectionClosedException("no more messages: the input side has ended (the"
            + " peer closed its side or input was shut down)");
      }
      throw new ConnectionClosedException(closed.getMessage(), closed.getCause());
    }
    if (lanes == null) {
      resume(INBOUND_FULL);
    } else {
      consumed(m.lane, m.size);
    }
    return (T) m.message;
  }

  void handler(MessageHandler<T> h) {
    if (lender != null) {
      throw Lender.lentOnly("onMessage");
    }
    this.handler = h;
    for (int lane = 0; lane < laneEvents.length; lane++) {
      scheduleDrain(lane);
    }
  }

  private void scheduleDrain(int lane) {
    if (laneDraining[lane].compareAndSet(false, true)) {
      laneEvents[lane].execute(laneDrains[lane]);
    }
  }

  /** Delivers queued messages of {@code lane} to the handler; runs on the lane's executor. */
  private void drain(int lane) {
    try {
      drainUpTo(lane, DRAIN_BATCH);
    } finally {
      laneDraining[lane].set(false);
    }
    if (handler != null && !inbound.isEmpty(lane)) {
      scheduleDrain(lane);
    }
  }

  /** Delivers up to {@code max} queued messages of {@code lane}; stops at the first missing. */
  @SuppressWarnings("unchecked")
  private void drainUpTo(int lane, int max) {
    for (int i = 0; i < max; i++) {
      MessageHandler<T> h = handler;
      if (h == null) {
        return;
      }
      InboundQueue.Node m = inbound.pollNow(lane);
      if (m == null || m == InboundQueue.CLOSED) {
        return;
      }
      if (lanes == null) {
        resume(INBOUND_FULL);
        invoke(h, (T) m.message);
      } else {
        invoke(h, (T) m.message);
        consumed(lane, m.size); // after the handler: a stalled handler grants nothing
      }
    }
  }

  /** Messages received whole on lane {@code lane} (with lanes). Any thread. */
  long laneMessages(int lane) {
    return lanes.messages(lane);
  }

  /**
   * The timer's tick: once no large message has arrived for {@link #QUIET_NANOS}, asks the read
   * loop to let go of the buffers they left (the decoder's spare, the lanes' reassembly buffers).
   * Timer.
   */
  void tick(long now) {
    if (retainsLarge && now - lastLargeNanos > QUIET_NANOS) {
      retainsLarge = false;
      connection.readLoop().execute(this::releaseQuiet);
    }
  }

  /** Lets go of large kept buffers, if still quiet (a large message may just have come). */
  private void releaseQuiet() {
    if (System.nanoTime() - lastLargeNanos <= QUIET_NANOS) {
      retainsLarge = true; // one arrived since the timer looked: ask again later
      return;
    }
    decoder.releaseLargeSpare();
    if (lanes != null) {
      lanes.releaseLarge(RETAIN_SMALL);
    }
  }

  /**
   * Grants a consumed message's bytes back to the peer, on a connection with lanes. The read loop,
   * consumers, the drains; on the lent path the {@link Lender}.
   */
  void consumed(int lane, int size) {
    if (lanes != null) {
      lanes.consumed(lane, size, connection.writeHalf());
    }
  }

  /**
   * The listener's onOpen returned: on the lent path, asks the read loop to lend what was held
   * and to lend from then on. Runs on the event executor.
   */
  void opened() {
    if (lender != null) {
      connection.readLoop().execute(this::startLending);
    }
  }

  /**
   * Read loop: lends what arrived before onOpen returned, then lends as messages arrive ({@link
   * Lender#start}); the held copies gone, reads again if they had filled the queue.
   */
  private void startLending() {
    if (lender.start()) {
      resume(INBOUND_FULL);
    }
  }

  /**
   * The connection closed: gives the handler every message still queued, each lane on its own
   * executor, then runs {@code then} on lane 0's (the connection's event executor). Runs on the
   * event executor. On the lent path: waits for the read loop to finish lending, lends what is
   * still held, then runs {@code then}.
   */
  void drainAll(Runnable then) {
    if (lender != null) {
      lender.drain();
      then.run();
      return;
    }
    int others = laneEvents.length - 1;
    if (others == 0 || laneEvents[1] == laneEvents[0]) {
      for (int lane = 0; lane < laneEvents.length; lane++) {
        drainUpTo(lane, Integer.MAX_VALUE);
      }
      then.run();
      return;
    }
    AtomicInteger left = new AtomicInteger(others);
    for (int lane = 1; lane < laneEvents.length; lane++) {
      int l = lane;
      laneEvents[lane].execute(() -> {
        drainUpTo(l, Integer.MAX_VALUE);
        if (left.decrementAndGet() == 0) {
          laneEvents[0].execute(() -> {
            drainUpTo(0, Integer.MAX_VALUE);
            then.run();
          });
        }
      });
    }
  }

  private void invoke(MessageHandler<T> h, T message) {
    try {
      h.onMessage(connection, message);
    } catch (Throwable t) {
      connection.failWith(new HandlerException("message handler threw " + t
          + "; the connection is closed and the peer told (catch inside the handler to keep it"
          + " open)", t));
    }
  }

  /** No more messages will arrive: receivers waiting on an empty queue get the close. */
  void close() {
    inbound.close();
  }
}
