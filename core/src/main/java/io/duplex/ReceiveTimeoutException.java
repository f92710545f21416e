package io.duplex;

/**
 * {@link Connection#receive(java.time.Duration)} found no message within its timeout. The
 * connection stays open; call it again to keep waiting.
 */
public class ReceiveTimeoutException extends DuplexTimeoutException {
  private static final long serialVersionUID = 1L;

  /** A receive timeout described by {@code message}. */
  public ReceiveTimeoutException(String message) {
    super(message);
  }
}
