package io.duplex.internal;

/** Big-endian reads and writes of primitives in byte arrays. */
public final class Bytes {
  private Bytes() {}

  /** Stores {@code v} at {@code a[i..i+4)}, big-endian. */
  public static void putInt(byte[] a, int i, int v) {
    a[i] = (byte) (v >>> 24);
    a[i + 1] = (byte) (v >>> 16);
    a[i + 2] = (byte) (v >>> 8);
    a[i + 3] = (byte) v;
  }

  /** Hex digits of {@code a}, lower case. */
  public static String hex(byte[] a) {
    StringBuilder s = new StringBuilder(a.length * 2);
    for (byte b : a) {
      s.append(Character.forDigit((b >>> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
    }
    return s.toString();
  }
}
