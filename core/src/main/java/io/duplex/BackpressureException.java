package io.duplex;

/**
 * A send was refused because the peer is not reading fast enough: the bytes queued for it, plus
 * this frame, would pass the connection's hard limit. Nothing of the frame was queued, and (with
 * the default {@link SlowPeerPolicy#FAIL_SEND}) the connection stays open.
 *
 * <p>Wait for the connection to become writable again ({@link Connection#isWritable()}, {@link
 * ConnectionListener#onWritabilityChanged}) before sending more, drop the message, or raise
 * {@link TransportConfig.Builder#outboundHardLimit(long)}.
 */
public class BackpressureException extends DuplexException {
  private static final long serialVersionUID = 1L;

  private final long pendingBytes;
  private final long frameBytes;
  private final long hardLimit;

  /** A refused send of {@code frameBytes} onto {@code pendingBytes} under {@code hardLimit}. */
  public BackpressureException(long pendingBytes, long frameBytes, long hardLimit) {
    super("send refused: " + pendingBytes + " bytes already queued + " + frameBytes
        + " bytes of frame exceeds the outbound hard limit " + hardLimit
        + "; the peer is reading slower than you send: wait until the connection is writable,"
        + " drop the message, or raise outboundHardLimit");
    this.pendingBytes = pendingBytes;
    this.frameBytes = frameBytes;
    this.hardLimit = hardLimit;
  }

  /** Bytes queued for the peer when the send was refused. */
  public long pendingBytes() {
    return pendingBytes;
  }

  /** Bytes of the refused frame, header included. */
  public long frameBytes() {
    return frameBytes;
  }

  /** The hard limit that refused it. */
  public long hardLimit() {
    return hardLimit;
  }
}
