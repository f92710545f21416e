package io.duplex.codec.message;

/** Field checks shared by the message records; messages repeat the check and the value. */
final class Checks {
  private Checks() {}

  static long height(long height) {
    if (height < 0) {
      throw new IllegalArgumentException("height < 0: " + height);
    }
    return height;
  }

  static int round(int round) {
    if (round < 0) {
      throw new IllegalArgumentException("round < 0: " + round);
    }
    return round;
  }

  static <T> T notNull(T value, String name) {
    if (value == null) {
      throw new NullPointerException(name + " == null");
    }
    return value;
  }
}
