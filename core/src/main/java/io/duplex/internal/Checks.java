package io.duplex.internal;

import java.time.Duration;
import java.util.Objects;

/**
 * Argument checks whose messages repeat the check and the failing value, such as {@code
 * "sendTimeout <= 0: PT-1S"}.
 */
public final class Checks {
  private Checks() {}

  /** {@code value}, or IllegalArgumentException if it is not above zero. */
  public static int positive(int value, String name) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " <= 0: " + value);
    }
    return value;
  }

  /** {@code value}, or IllegalArgumentException if it is not above zero. */
  public static long positive(long value, String name) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " <= 0: " + value);
    }
    return value;
  }

  /** {@code value}, or IllegalArgumentException if it is negative. */
  public static int notNegative(int value, String name) {
    if (value < 0) {
      throw new IllegalArgumentException(name + " < 0: " + value);
    }
    return value;
  }

  /** {@code value}, or IllegalArgumentException if it is null, zero or negative. */
  public static Duration positive(Duration value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " <= 0: " + value);
    }
    return value;
  }

  /** IndexOutOfBoundsException unless {@code [off, off+len)} lies within {@code [0, length)}. */
  public static void fromIndexSize(int off, int len, int length) {
    Objects.checkFromIndexSize(off, len, length);
  }
}
