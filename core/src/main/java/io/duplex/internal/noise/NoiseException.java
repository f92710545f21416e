package io.duplex.internal.noise;

/**
 * A Noise message or record that cannot be accepted: its authentication tag does not verify, it
 * is too short, a public key in it is not usable (a small-order point), or a nonce ran out. The
 * message says which; it never holds key material.
 */
public final class NoiseException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public NoiseException(String message) {
    super(message);
  }

  public NoiseException(String message, Throwable cause) {
    super(message, cause);
  }
}
