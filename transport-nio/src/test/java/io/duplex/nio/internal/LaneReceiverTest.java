package io.duplex.nio.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Lane;
import io.duplex.TransportConfig;
import io.duplex.internal.LaneTable;
import io.duplex.internal.Wire;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** Reassembly: the buffer grows as data arrives, not as announced, and is reused. */
class LaneReceiverTest {
  private static final int MAX = 4 << 20;

  private static LaneReceiver receiver() {
    TransportConfig config = TransportConfig.builder().insecurePlaintext()
        .lanes(Lane.builder("blocks").maxMessageSize(MAX).build()).build();
    return new LaneReceiver(LaneTable.of(config));
  }

  private static ByteBuffer first(int total, byte[] data, int from, int n) {
    ByteBuffer b = ByteBuffer.allocate(4 + n);
    b.putInt(total).put(data, from, n).flip();
    return b;
  }

  @Test
  void shouldAllocateAsDataArrivesNotAsAnnounced() {
    LaneReceiver r = receiver();
    byte[] message = new byte[MAX];
    for (int i = 0; i < message.length; i++) {
      message[i] = (byte) (i * 7);
    }
    // A peer announces 4 MiB and sends 10 bytes of it: this side holds little more than that.
    assertNull(r.onFrame((byte) (Wire.FIRST_CHUNK | 1), first(MAX, message, 0, 10)));
    assertTrue(r.bufferSize(1) < 64, "allocated " + r.bufferSize(1) + " bytes for 10");
    int at = 10;
    ByteBuffer whole = null;
    while (at < MAX) {
      int n = Math.min(32 * 1024, MAX - at);
      whole = r.onFrame((byte) (Wire.NEXT_CHUNK | 1), ByteBuffer.wrap(message, at, n));
      at += n;
      assertTrue(r.bufferSize(1) <= MAX, "past the announced total: " + r.bufferSize(1));
    }
    assertEquals(1, r.lane);
    byte[] got = new byte[whole.remaining()];
    whole.get(got);
    assertArrayEquals(message, got);

    // The next message of the lane reuses the buffer.
    int size = r.bufferSize(1);
    assertNull(r.onFrame((byte) (Wire.FIRST_CHUNK | 1), first(1000, message, 0, 500)));
    ByteBuffer second = r.onFrame((byte) (Wire.NEXT_CHUNK | 1), ByteBuffer.wrap(message, 500,
        500));
    assertEquals(1000, second.remaining());
    assertEquals(size, r.bufferSize(1));
  }

  @Test
  void shouldLetLargeBuffersGoWhenAskedButNotOneInUse() {
    LaneReceiver r = receiver();
    byte[] message = new byte[MAX];
    assertNull(r.onFrame((byte) (Wire.FIRST_CHUNK | 1), first(1 << 20, message, 0, 32 * 1024)));
    int at = 32 * 1024;
    ByteBuffer whole = null;
    while (whole == null) {
      whole = r.onFrame((byte) (Wire.NEXT_CHUNK | 1), ByteBuffer.wrap(message, at, 32 * 1024));
      at += 32 * 1024;
    }
    assertEquals(1 << 20, r.bufferSize(1));
    // A message in progress keeps its buffer.
    assertNull(r.onFrame((byte) (Wire.FIRST_CHUNK | 1), first(1 << 20, message, 0, 1000)));
    assertEquals(0, r.releaseLarge(64 * 1024));
    assertEquals(1 << 20, r.bufferSize(1));
    at = 1000;
    whole = null;
    while (whole == null) {
      int n = Math.min(32 * 1024, (1 << 20) - at);
      whole = r.onFrame((byte) (Wire.NEXT_CHUNK | 1), ByteBuffer.wrap(message, at, n));
      at += n;
    }
    assertEquals(1 << 20, whole.remaining(), "completed in the kept buffer");
    // Between messages, a quiet period lets it go; the next message grows a new one.
    assertEquals(1 << 20, r.releaseLarge(64 * 1024));
    assertEquals(0, r.bufferSize(1));
    assertNull(r.onFrame((byte) (Wire.FIRST_CHUNK | 1), first(100_000, message, 0, 50_000)));
    ByteBuffer next = r.onFrame((byte) (Wire.NEXT_CHUNK | 1), ByteBuffer.wrap(message, 50_000,
        50_000));
    assertEquals(100_000, next.remaining());
  }
}
