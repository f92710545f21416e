package io.duplex;

/**
 * The connection is closed, so the operation cannot complete. Every send still queued, every
 * waiting {@code receive} and every later call on a closed connection fails with one of these;
 * {@link #getCause()} is the error that closed the connection (a peer's reset, a codec error, a
 * timeout), or null for an orderly close by either side, a local {@code close()} or {@code
 * abort()} included; the message says which.
 */
public class ConnectionClosedException extends DuplexException {
  private static final long serialVersionUID = 1L;

  /** An exception with a message that says what happened and what to do. */
  public ConnectionClosedException(String message) {
    super(message);
  }

  /** An exception with a message and the underlying cause. */
  public ConnectionClosedException(String message, Throwable cause) {
    super(message, cause);
  }
}
