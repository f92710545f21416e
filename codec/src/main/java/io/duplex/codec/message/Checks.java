package io.duplex.codec.message;

/** Field checks shared by the message records. */
final class Checks {
  private Checks() {}

  static void height(long height) {
    if (height < 0) {
      throw new IllegalArgumentException("height < 0: " + height);
    }
  }

  static void round(int round) {
    if (round < 0) {
      throw new IllegalArgumentException("round < 0: " + round);
    }
  }
}
