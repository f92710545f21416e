package io.duplex;

/**
 * The peer broke the lane rules of the protocol (docs/PROTOCOL.md, "Lanes"): a chunk for a lane
 * that does not exist, a message over its lane's max size, a new message on a lane whose last
 * one is unfinished, a chunk with no message started, more bytes than its credit allows, or a
 * credit that overflows the window. The connection is closed with a CLOSE frame, code {@code
 * PROTOCOL_ERROR}, carrying this message; nothing of the broken message is delivered, and other
 * connections are not affected.
 */
public final class LaneException extends ProtocolException {
  private static final long serialVersionUID = 1L;

  /** Which rule the peer broke. */
  public enum Reason {
    /** A frame named a lane the table does not have. */
    UNKNOWN_LANE,
    /** A message announced or grew over its lane's max message size. */
    TOO_LARGE,
    /** A message started on a lane whose previous message was still unfinished. */
    UNFINISHED,
    /** A continuation chunk came on a lane with no message in progress. */
    NO_MESSAGE,
    /** The peer sent more bytes on a lane than the credit this side granted it. */
    CREDIT_EXCEEDED,
    /** A credit frame of 0, or one that took the peer's credit over the window. */
    BAD_CREDIT,
    /** A lane frame whose body is too short for its fields. */
    MALFORMED
  }

  private final Reason reason;
  private final String lane;

  /** An exception for {@code reason} on lane {@code lane} (its name, or its number if unknown). */
  public LaneException(Reason reason, String lane, String message) {
    super(message);
    this.reason = reason;
    this.lane = lane;
  }

  /** Which rule the peer broke. */
  public Reason reason() {
    return reason;
  }

  /**
   * The lane's name; its number as the peer sent it if no such lane exists; {@code "?"} if the
   * frame was too short to name one.
   */
  public String lane() {
    return lane;
  }
}
