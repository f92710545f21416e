package io.duplex.codec.testing;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The buffers a transport may hand to {@code Codec.decode}, each holding the same payload as its
 * remaining bytes: the codec must read them all alike.
 */
public final class Payloads {
  private Payloads() {}

  /** {@code payload} as each kind of buffer, by a name for assertion messages. */
  public static Map<String, ByteBuffer> views(byte[] payload) {
    Map<String, ByteBuffer> views = new LinkedHashMap<>();
    views.put("wrapped array", ByteBuffer.wrap(payload));
    views.put("slice with array offset 7", padded(payload, 7, 5).slice());
    views.put("heap buffer at position 3", padded(payload, 3, 9));
    ByteBuffer direct = ByteBuffer.allocateDirect(payload.length + 4);
    direct.position(4);
    direct.put(payload).flip().position(4);
    views.put("direct buffer at position 4", direct);
    views.put("read-only heap buffer", ByteBuffer.wrap(payload).asReadOnlyBuffer());
    views.put("read-only slice with array offset 7", padded(payload, 7, 1).slice()
        .asReadOnlyBuffer());
    return views;
  }

  /**
   * A heap buffer of {@code before} + payload + {@code after} bytes whose remaining bytes are the
   * payload; the padding is 'x', which would break any decoder that reads outside them.
   */
  private static ByteBuffer padded(byte[] payload, int before, int after) {
    byte[] array = new byte[before + payload.length + after];
    java.util.Arrays.fill(array, (byte) 'x');
    System.arraycopy(payload, 0, array, before, payload.length);
    return ByteBuffer.wrap(array, before, payload.length);
  }
}
