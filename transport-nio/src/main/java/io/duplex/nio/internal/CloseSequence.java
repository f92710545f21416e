package io.duplex.nio.internal;

import io.duplex.CloseCodes;
import io.duplex.ConnectionClosedException;
import io.duplex.DuplexTimeoutException;
import io.duplex.HandlerException;
import io.duplex.HandshakeException;
import io.duplex.PeerClosedException;
import io.duplex.ProtocolException;
import io.duplex.TransportConfig;
import io.duplex.codec.DecoderException;
import io.duplex.codec.TooLongFrameException;
import io.duplex.internal.Wire;
import java.time.Duration;

/**
 * How one connection ends, short of an abort: the graceful close, the half-close, the close after
 * an error in what the peer sent, and what the peer's CLOSE, its FIN and our FIN do. Every path
 * ends in the connection's {@code finish}; this class decides when and with which reason, through
 * the connection's {@link Lifecycle}.
 *
 * <ul>
 *   <li><b>Graceful</b> ({@code close()}, the peer's CLOSE or its FIN): no new sends; what is
 *       queued is written, then CLOSE, then FIN; the connection ends once the peer's FIN has
 *       been read too, or is aborted at the close deadline. The read half reads on to the peer's
 *       FIN, dropping messages the application no longer takes.</li>
 *   <li><b>Half-close</b> ({@code shutdownOutput()}): what is queued, then the FIN, no CLOSE;
 *       the read half goes on as before. The close deadline starts too: the peer has the close
 *       timeout to end its side.</li>
 *   <li><b>Error close</b> ({@link #failWith}: a frame the peer sent that we cannot take, a
 *       handler that threw, a frame read timeout): queued messages are dropped, a CLOSE with the
 *       error's code and message goes out after the frame in progress, and the peer's bytes are
 *       read to its FIN without being decoded, within {@link #ERROR_CLOSE_TIMEOUT} at most.</li>
 * </ul>
 *
 * <p>Threads: any (the application, the read loop, the event executor, the write role holder
 * after the FIN). It has no state of its own: the lifecycle's compare-and-set decides which caller
 * starts the end of the output, and only that caller sets the deadline and ends the write half.
 */
final class CloseSequence {
  /** The longest an error close waits for the peer's FIN after sending it CLOSE. */
  static final Duration ERROR_CLOSE_TIMEOUT = Duration.ofSeconds(1);

  private final NioConnection<?> connection;
  private final Lifecycle lifecycle;
  private final ReadHalf<?> readHalf;
  private final WriteHalf writeHalf;
  private final ReadLoop readLoop;
  private final TransportConfig config;
  private final ErrorSink errors;

  CloseSequence(NioConnection<?> connection, Lifecycle lifecycle, ReadHalf<?> readHalf,
      WriteHalf writeHalf, ReadLoop readLoop, TransportConfig config, ErrorSink errors) {
    this.connection = connection;
    this.lifecycle = lifecycle;
    this.readHalf = readHalf;
    this.writeHalf = writeHalf;
    this.readLoop = readLoop;
    this.config = config;
    this.errors = errors;
  }

  /**
   * Graceful close: refuse new sends, write what is queued, then CLOSE (with {@code code} and
   * {@code text}) and FIN; the connection ends when the peer's FIN has also arrived, or at the
   * deadline, which only the first close sets. Before the handshake, it closes at once.
   */
  void closeGracefully(ConnectionClosedException reason, Duration timeout, int code,
      String text) {
    switch (lifecycle.endOutput(true)) {
      case NOT_OPEN:
        connection.closeWith(reason);
        return;
      case MADE_GRACEFUL: // the FIN is on its way already (shutdownOutput): no CLOSE to send
        lifecycle.reason(reason);
        readLoop.execute(readHalf::discardWhileClosing);
        return;
      case STARTED:
        lifecycle.deadline(System.nanoTime() + Durations.nanos(timeout));
        lifecycle.reason(reason);
        readLoop.execute(readHalf::discardWhileClosing);
        writeHalf.endOutput(Wire.closeFrame(code, text));
        return;
      default:
        return;
    }
  }

  /**
   * Half-close: what is queued, then the FIN. Returns false if the connection is not open (the
   * caller fails the future); true otherwise, also when the output was ending already.
   */
  boolean shutdownOutput() {
    switch (lifecycle.endOutput(false)) {
      case STARTED:
        lifecycle.deadline(System.nanoTime() + Durations.nanos(config.closeTimeout()));
        writeHalf.endOutput(null);
        return true;
      case NOT_OPEN:
        return false;
      default:
        return true; // ending already: the future completes with the FIN, or fails with the close
    }
  }

  /** The peer sent CLOSE: it will send nothing more. Read loop. */
  void onPeerClose(int code, String reason) {
    PeerClosedException why = new PeerClosedException(code, reason);
    if (CloseCodes.isError(code)) {
      errors.report(connection, why); // the peer could not take what we sent: say so
    }
    closeGracefully(why, config.closeTimeout(), CloseCodes.NORMAL, "");
  }

  /** The peer's FIN arrived ({@code byPeer}), or input was shut down. Read loop. */
  void onInputEnded(boolean byPeer) {
    readHalf.close();
    if (!connection.isHandshaken() && byPeer && lifecycle.reason() == null) {
      connection.closeWith(new ConnectionClosedException(connection.closedDuringHandshake()));
      return;
    }
    int before = lifecycle.inputEnded();
    if (Lifecycle.outputWasShut(before)) {
      finishGracefully();
    } else if (byPeer && Lifecycle.wasOpenForSends(before)) {
      closeGracefully(new ConnectionClosedException("connection closed by the peer (end of"
          + " stream)"), config.closeTimeout(), CloseCodes.NORMAL, "");
    }
  }

  /** The FIN after the last queued frame went out. Write role holder. */
  void onOutputShut() {
    if (lifecycle.outputShut()) {
      finishGracefully();
    }
  }

  private void finishGracefully() {
    ConnectionClosedException reason = lifecycle.reason();
    connection.closeWith(reason != null ? reason : new ConnectionClosedException("connection"
        + " closed: both sides ended their output"));
  }

  /**
   * Closes because of an error in what the peer sent or in our handling of it, telling the peer
   * why. Falls back to an abort ({@code closeWith}) before the handshake, for errors without a
   * code, or when the connection is closing already. Reports the error now, not when the close
   * completes. Any thread.
   */
  void failWith(RuntimeException error) {
    int code = codeFor(error);
    if (code < 0 || lifecycle.endOutput(true) != Lifecycle.End.STARTED) {
      connection.closeWith(error);
      return;
    }
    ConnectionClosedException reason = new ConnectionClosedException("connection closed: "
        + error.getMessage(), error);
    Duration timeout = config.closeTimeout().compareTo(ERROR_CLOSE_TIMEOUT) < 0
        ? config.closeTimeout() : ERROR_CLOSE_TIMEOUT;
    lifecycle.deadline(System.nanoTime() + Durations.nanos(timeout));
    lifecycle.reason(reason);
    connection.errorReported();
    errors.report(connection, error);
    writeHalf.dropQueued(reason);
    if (readLoop.inLoop()) {
      readHalf.discardRaw();
    } else {
      readLoop.execute(readHalf::discardRaw);
    }
    writeHalf.endOutput(Wire.closeFrame(code, String.valueOf(error.getMessage())));
  }

  /**
   * Refuses a peer whose secure handshake completed: tells it why in a sealed CLOSE with {@code
   * code}, then the FIN, reading its bytes raw (undecoded) to its FIN for at most the error
   * close timeout; the connection never opens, and its connect future fails with {@code
   * refusal}. Read loop.
   */
  void refuse(HandshakeException refusal, int code) {
    if (!lifecycle.refuse()) {
      connection.closeWith(refusal);
      return;
    }
    Duration timeout = config.closeTimeout().compareTo(ERROR_CLOSE_TIMEOUT) < 0
        ? config.closeTimeout() : ERROR_CLOSE_TIMEOUT;
    lifecycle.deadline(System.nanoTime() + Durations.nanos(timeout));
    lifecycle.reason(new ConnectionClosedException("connection refused: "
        + refusal.getMessage(), refusal));
    readHalf.discardRaw();
    writeHalf.endOutput(Wire.closeFrame(code, String.valueOf(refusal.getMessage())));
  }

  /** The CLOSE code that tells the peer about {@code error}, or -1 for none (an abort). */
  static int codeFor(RuntimeException error) {
    if (error instanceof TooLongFrameException) {
      return CloseCodes.FRAME_TOO_LARGE;
    }
    if (error instanceof DecoderException) {
      return CloseCodes.DECODE_ERROR;
    }
    if (error instanceof ProtocolException) {
      return CloseCodes.PROTOCOL_ERROR;
    }
    if (error instanceof HandlerException) {
      return CloseCodes.HANDLER_ERROR;
    }
    if (error instanceof DuplexTimeoutException) {
      return CloseCodes.TIMEOUT;
    }
    return -1;
  }
}
