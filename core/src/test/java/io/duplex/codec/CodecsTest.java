package io.duplex.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class CodecsTest {
  private final ByteArrayCodec codec = ByteArrayCodec.instance();

  @Test
  void shouldRoundTripBytesIncludingEmpty() {
    for (byte[] m : new byte[][] {{}, {1}, new byte[100_000]}) {
      assertArrayEquals(m, Codecs.decode(codec, Codecs.encode(codec, m)));
    }
    assertEquals("bytes", codec.name());
  }

  @Test
  void shouldCopyOutOfTheBorrowedBuffer() {
    byte[] backing = {1, 2, 3};
    byte[] decoded = codec.decode(ByteBuffer.wrap(backing));
    backing[0] = 9;
    assertEquals(1, decoded[0]);
  }

  @Test
  void shouldEnforceTheLimit() {
    assertEquals(10, Codecs.encode(codec, new byte[10], 10).length);
    assertThrows(EncoderException.class, () -> Codecs.encode(codec, new byte[11], 10));
  }
}
