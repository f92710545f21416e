package io.duplex;

/**
 * A deadline passed. The subtypes say which one; the message gives the deadline.
 */
public class DuplexTimeoutException extends DuplexException {
  private static final long serialVersionUID = 1L;

  /** An exception with a message that says what happened and what to do. */
  public DuplexTimeoutException(String message) {
    super(message);
  }

  /** An exception with a message and the underlying cause. */
  public DuplexTimeoutException(String message, Throwable cause) {
    super(message, cause);
  }
}
