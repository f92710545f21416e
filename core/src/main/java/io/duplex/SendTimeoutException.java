package io.duplex;

/**
 * A sent frame was not written to the socket within the send timeout, counted from {@code send}
 * to the frame's last byte. If no byte of the frame had been written, the frame is dropped and
 * the connection stays open; if it was cut mid-frame, the stream is broken and the connection
 * closes with this exception as its cause.
 */
public class SendTimeoutException extends DuplexTimeoutException {
  private static final long serialVersionUID = 1L;

  /** A send timeout described by {@code message}. */
  public SendTimeoutException(String message) {
    super(message);
  }
}
