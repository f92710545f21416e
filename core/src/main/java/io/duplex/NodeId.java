package io.duplex;

import io.duplex.internal.Bytes;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * A node's identity, exchanged in the handshake: 1 to 64 opaque bytes, such as a public key's
 * hash or a configured name. Immutable; equal when the bytes are equal; ordered by unsigned
 * lexicographic comparison of the bytes, which gives every pair of nodes the same answer to "which
 * of us is smaller" (used to pick the survivor of two simultaneous connections).
 */
public final class NodeId implements Comparable<NodeId> {
  /** The most bytes a node id may have. */
  public static final int MAX_LENGTH = 64;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] bytes;

  private NodeId(byte[] bytes) {
    if (bytes.length == 0 || bytes.length > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "node id must be 1 to " + MAX_LENGTH + " bytes: " + bytes.length);
    }
    this.bytes = bytes;
  }

  /** The id made of {@code bytes} (copied). */
  public static NodeId of(byte[] bytes) {
    return new NodeId(bytes.clone());
  }

  /** The id made of {@code name}'s UTF-8 bytes, for readable ids such as {@code "node-3"}. */
  public static NodeId of(String name) {
    return new NodeId(name.getBytes(StandardCharsets.UTF_8));
  }

  /** A new random 16-byte id. */
  public static NodeId random() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return new NodeId(b);
  }

  /**
   * The id whose bytes {@code hex} spells, two hex digits a byte, either case: the inverse of
   * {@link #toHex()}. IllegalArgumentException if {@code hex} has an odd number of digits, a
   * character that is not a hex digit, or spells fewer than 1 or more than 64 bytes.
   */
  public static NodeId fromHex(String hex) {
    int digits = hex.length();
    if (digits % 2 != 0) {
      throw new IllegalArgumentException(
          "node id hex must have an even number of digits, two per byte: " + digits + " digits");
    }
    if (digits == 0 || digits > 2 * MAX_LENGTH) {
      throw new IllegalArgumentException("node id hex must be 2 to " + 2 * MAX_LENGTH
          + " digits (1 to " + MAX_LENGTH + " bytes): " + digits + " digits");
    }
    byte[] b = new byte[digits / 2];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (hexDigit(hex, 2 * i) << 4 | hexDigit(hex, 2 * i + 1));
    }
    return new NodeId(b);
  }

  /** The value of the ASCII hex digit at {@code hex[i]} (Character.digit takes other scripts). */
  private static int hexDigit(String hex, int i) {
    char c = hex.charAt(i);
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    throw new IllegalArgumentException(
        "node id hex has a character that is not a hex digit at index " + i + ": '" + c + "'");
  }

  /** A copy of the id's bytes. */
  public byte[] toBytes() {
    return bytes.clone();
  }

  /** The number of bytes in the id. */
  public int length() {
    return bytes.length;
  }

  /** All of the id's bytes as lower-case hex, two digits a byte; {@link #fromHex} reads it. */
  public String toHex() {
    return Bytes.hex(bytes);
  }

  @Override
  public int compareTo(NodeId other) {
    return Arrays.compareUnsigned(bytes, other.bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NodeId && Arrays.equals(bytes, ((NodeId) o).bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  /** The id as text if its bytes are printable ASCII, otherwise as lower-case hex. */
  @Override
  public String toString() {
    for (byte b : bytes) {
      if (b < 0x21 || b > 0x7E) {
        return Bytes.hex(bytes);
      }
    }
    return new String(bytes, StandardCharsets.US_ASCII);
  }
}
