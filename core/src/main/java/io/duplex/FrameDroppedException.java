package io.duplex;

/**
 * An {@link Encoded} frame was dropped for one peer before any byte of it was written: its
 * deadline passed while it waited behind that peer's backlog, or the {@link
 * SlowPeerPolicy#DROP_OLDEST} policy dropped it to make room for newer frames. The connection
 * stays open; other peers are not affected.
 */
public class FrameDroppedException extends DuplexException {
  private static final long serialVersionUID = 1L;

  /** Why a frame was dropped. */
  public enum Reason {
    /** The frame's deadline passed before it started. */
    DEADLINE,
    /** The slow-peer policy dropped it to make room. */
    SLOW_PEER
  }

  private final Reason reason;

  /** A frame dropped for {@code reason}, described by {@code message}. */
  public FrameDroppedException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  /** Why it was dropped. */
  public Reason reason() {
    return reason;
  }
}
