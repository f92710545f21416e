package io.duplex.security;

import io.duplex.ProtocolException;

/**
 * A secure connection received a record it cannot accept: its authentication tag does not
 * verify (one flipped bit, a replayed, reordered or dropped record, or a record sealed under
 * another key all look alike), its length is impossible, or the stream ended inside it. Nothing
 * from that record is delivered and the connection closes; other connections are untouched. The
 * peer is broken, or someone on the path altered the stream.
 */
public class RecordException extends ProtocolException {
  private static final long serialVersionUID = 1L;

  /** What was wrong with the record. */
  public enum Reason {
    /** The tag did not verify: altered, replayed, reordered, dropped, or sealed under another key. */
    AUTHENTICATION,
    /** The length field is below the smallest record. */
    LENGTH,
    /** The stream ended in the middle of a record. */
    TRUNCATED
  }

  private final Reason reason;

  /** A failure for {@code reason}, described by {@code message}. */
  public RecordException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  /** A failure for {@code reason}, described by {@code message}, caused by {@code cause}. */
  public RecordException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  /** What was wrong. */
  public Reason reason() {
    return reason;
  }
}
