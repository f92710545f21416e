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

  /** A copy of the id's bytes. */
  public byte[] toBytes() {
    return bytes.clone();
  }

  /** The number of bytes in the id. */
  public int length() {
    return bytes.length;
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
