package io.duplex.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class CodecsTest {
  private final ByteArrayCodec bytes = ByteArrayCodec.instance();

  /** Writes each primitive, to see the sink Codecs hands a codec. */
  private static final Codec<Long> PRIMITIVES = new Codec<>() {
    @Override
    public String name() {
      return "primitives";
    }

    @Override
    public void encode(Long message, PayloadSink sink) {
      sink.write(1);
      sink.writeShort(0x0203);
      sink.writeInt(0x04050607);
      sink.writeLong(message);
      sink.writeUtf8("é");
    }

    @Override
    public Long decode(ByteBuffer payload) {
      payload.position(payload.position() + 7);
      return payload.getLong();
    }
  };

  @Test
  void shouldAcceptAPayloadOfExactlyTheLimit() {
    assertEquals(10, Codecs.encode(bytes, new byte[10], 10).length);
    assertEquals(0, Codecs.encode(bytes, new byte[0], 0).length);
  }

  @Test
  void shouldRefuseAPayloadOneByteOverTheLimitNamingIt() {
    EncoderException e = assertThrows(EncoderException.class,
        () -> Codecs.encode(bytes, new byte[11], 10));
    assertTrue(e.getMessage().contains("more than 10 bytes"), e.getMessage());
    assertThrows(EncoderException.class, () -> Codecs.encode(bytes, new byte[1], 0));
    assertThrows(EncoderException.class, () -> Codecs.encode(PRIMITIVES, 1L, 16), "17 bytes");
  }

  @Test
  void shouldRefuseANegativeLimit() {
    assertThrows(IllegalArgumentException.class, () -> Codecs.encode(bytes, new byte[0], -1));
  }

  @Test
  void shouldHandTheCodecABigEndianSink() {
    byte[] payload = Codecs.encode(PRIMITIVES, 0x08090A0B0C0D0E0FL);
    assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        (byte) 0xC3, (byte) 0xA9}, payload);
    assertEquals(0x08090A0B0C0D0E0FL, Codecs.decode(PRIMITIVES, payload));
  }

  @Test
  void shouldEncodeLargeMessagesWithTheDefaultLimit() {
    byte[] big = new byte[3 * 1024 * 1024];
    big[big.length - 1] = 7;
    assertArrayEquals(big, Codecs.encode(bytes, big));
  }
}
