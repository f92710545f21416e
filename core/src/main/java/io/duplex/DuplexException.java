package io.duplex;

/**
 * The root of every exception duplex throws or fails a future with. Unchecked: a send future
 * fails with one of these, and the blocking calls throw them.
 *
 * <p>Subtypes say what went wrong; their messages say what to do about it and, where a limit
 * applies, name the limit and the value that broke it.
 */
public class DuplexException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** An exception with a message that tells the user what happened and what to do. */
  public DuplexException(String message) {
    super(message);
  }

  /** An exception with a message and the underlying cause. */
  public DuplexException(String message, Throwable cause) {
    super(message, cause);
  }
}
