package io.duplex;

/**
 * A message handler threw while handling a message, so the connection closed: duplex does not
 * know what state the handler left behind. {@link #getCause()} is what the handler threw. The
 * peer is told with a CLOSE frame ({@link CloseCodes#HANDLER_ERROR}). To keep a connection open
 * through a bad message, catch inside the handler.
 */
public class HandlerException extends DuplexException {
  private static final long serialVersionUID = 1L;

  /** An exception with a message that says what happened and what to do, and the cause. */
  public HandlerException(String message, Throwable cause) {
    super(message, cause);
  }
}
