package io.duplex.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ByteArrayCodecTest {
  private final ByteArrayCodec codec = ByteArrayCodec.instance();

  @Test
  void shouldRoundTripAnyBytesIncludingNone() {
    Random random = new Random(1);
    for (int size : new int[] {0, 1, 2, 255, 256, 100_000}) {
      byte[] message = new byte[size];
      random.nextBytes(message);
      byte[] payload = Codecs.encode(codec, message);
      assertArrayEquals(message, payload, "the payload is the message");
      assertArrayEquals(message, Codecs.decode(codec, payload), "size " + size);
    }
  }

  @Test
  void shouldDecodeExactlyTheRemainingBytesAndAdvanceThePayload() {
    ByteBuffer payload = ByteBuffer.wrap(new byte[] {9, 1, 2, 3, 9}, 1, 3).slice();
    assertArrayEquals(new byte[] {1, 2, 3}, codec.decode(payload));
    assertEquals(0, payload.remaining());
    assertArrayEquals(new byte[0], codec.decode(ByteBuffer.allocate(0)));
  }

  @Test
  void shouldCopyOutOfTheBorrowedBuffer() {
    byte[] backing = {1, 2, 3};
    byte[] decoded = codec.decode(ByteBuffer.wrap(backing));
    backing[0] = 9;
    assertEquals(1, decoded[0]);
  }

  @Test
  void shouldBeOneStatelessInstanceNamedBytes() {
    assertSame(codec, ByteArrayCodec.instance());
    assertEquals("bytes", codec.name());
  }
}
