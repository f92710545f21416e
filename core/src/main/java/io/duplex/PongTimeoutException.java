package io.duplex;

/**
 * A ping was not answered within the pong timeout. A ping sent by the liveness check (after the
 * idle interval passed with no inbound bytes) closes the connection with this cause; a ping
 * sent by {@link Connection#ping()} fails its future with it.
 */
public class PongTimeoutException extends DuplexTimeoutException {
  private static final long serialVersionUID = 1L;

  /** A pong timeout described by {@code message}. */
  public PongTimeoutException(String message) {
    super(message);
  }
}
