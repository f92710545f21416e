package io.duplex.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.codec.EncoderException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class FrameBufferTest {

  @Test
  void shouldWritePrimitivesBigEndianAndGrowFromATinyStart() {
    FrameBuffer b = FrameBuffer.forPayloadOnly(1, 1 << 20);
    b.write(0x01);
    b.writeShort(0x0203);
    b.writeInt(0x04050607);
    b.writeLong(0x08090A0B0C0D0E0FL);
    b.write(new byte[] {0x10, 0x11});
    b.write(ByteBuffer.wrap(new byte[] {0x12}));
    b.writeUtf8("é");
    assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
        (byte) 0xC3, (byte) 0xA9}, b.payloadToArray());
    assertEquals(20, b.size());
  }

  @Test
  void shouldPutTheLengthAndTypeInFrontOfThePayload() {
    FrameBuffer b = FrameBuffer.forFrames(4, 1024);
    b.write(new byte[] {7, 7, 7});
    ByteBuffer frame = b.finishFrame(Wire.PING);
    assertEquals(0, frame.position());
    assertEquals(8, frame.remaining());
    assertEquals(4, frame.getInt(), "the length counts the type byte and the payload");
    assertEquals(Wire.PING, frame.get());
    assertEquals(7, frame.get());
  }

  @Test
  void shouldEnforceTheLimitWhileWriting() {
    FrameBuffer b = FrameBuffer.forFrames(16, 101); // payload limit 100
    b.write(new byte[100]);
    EncoderException e = assertThrows(EncoderException.class, () -> b.write(1));
    assertTrue(e.getMessage().contains("more than 100 bytes"), e.getMessage());
    assertTrue(e.getMessage().contains("max frame size"), e.getMessage());
    assertThrows(EncoderException.class, () -> b.writeLong(1));
  }

  @Test
  void shouldLetGoOfALargeArrayOnResetAndKeepWorking() {
    FrameBuffer b = FrameBuffer.forFrames(16, 1 << 24);
    b.write(new byte[1 << 20]);
    b.reset();
    assertEquals(0, b.size());
    b.write(new byte[] {1, 2});
    ByteBuffer frame = b.finishFrame(Wire.MESSAGE);
    assertEquals(7, frame.remaining());
    b.maxPayload(1);
    b.reset();
    assertThrows(EncoderException.class, () -> b.write(new byte[2]));
  }

  @Test
  void shouldAdvanceTheSourceBufferItCopies() {
    FrameBuffer b = FrameBuffer.forPayloadOnly(2, 100);
    ByteBuffer src = ByteBuffer.wrap(new byte[] {1, 2, 3, 4});
    src.position(1);
    b.write(src);
    assertEquals(4, src.position());
    assertArrayEquals(new byte[] {2, 3, 4}, b.payloadToArray());
    assertThrows(IndexOutOfBoundsException.class, () -> b.write(new byte[2], 1, 2));
  }
}
