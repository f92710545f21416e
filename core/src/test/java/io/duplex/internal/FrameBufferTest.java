package io.duplex.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.codec.Allocations;
import io.duplex.codec.EncoderException;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class FrameBufferTest {
  private static final int KIB = 1024;
  private static final int MIB = 1024 * KIB;

  private static byte[] bigEndian(int size, Consumer<ByteBuffer> writes) {
    ByteBuffer expected = ByteBuffer.allocate(size);
    writes.accept(expected);
    return expected.array();
  }

  @Test
  void shouldWriteEachPrimitiveBigEndian() {
    Random random = new Random(1);
    for (int round = 0; round < 100; round++) {
      int s = random.nextInt();
      int i = random.nextInt();
      long l = random.nextLong();
      int b = random.nextInt();
      FrameBuffer buffer = FrameBuffer.forPayloadOnly(1, 1024);
      buffer.writeShort(s);
      buffer.writeInt(i);
      buffer.writeLong(l);
      buffer.write(b);
      assertArrayEquals(bigEndian(15, e -> e.putShort((short) s).putInt(i).putLong(l)
          .put((byte) b)), buffer.payloadToArray(), "round " + round);
      assertEquals(15, buffer.size());
    }
  }

  @Test
  void shouldWriteTheLowBitsOfWideArguments() {
    FrameBuffer buffer = FrameBuffer.forPayloadOnly(1, 1024);
    buffer.write(0x1FF);
    buffer.writeShort(0xABCDEF);
    assertArrayEquals(new byte[] {(byte) 0xFF, (byte) 0xCD, (byte) 0xEF},
        buffer.payloadToArray());
  }

  @Test
  void shouldWriteArraysBuffersAndTextAsTheyAre() {
    FrameBuffer buffer = FrameBuffer.forPayloadOnly(1, 1024);
    buffer.write(new byte[] {1, 2});
    buffer.write(new byte[] {0, 3, 4, 0}, 1, 2);
    buffer.write(ByteBuffer.wrap(new byte[] {5, 6}).order(ByteOrder.LITTLE_ENDIAN));
    buffer.write(ByteBuffer.allocateDirect(1).put((byte) 7).flip());
    buffer.writeUtf8("é€");
    assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, (byte) 0xC3, (byte) 0xA9, (byte) 0xE2,
        (byte) 0x82, (byte) 0xAC}, buffer.payloadToArray());
  }

  @Test
  void shouldWriteWhatADataOutputStreamWrites() throws IOException {
    FrameBuffer buffer = FrameBuffer.forPayloadOnly(1, 1024);
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    for (DataOutputStream out : new DataOutputStream[] {
        new DataOutputStream(buffer), new DataOutputStream(expected)}) {
      out.writeDouble(Math.PI);
      out.writeChar('λ');
      out.writeUTF("duplex");
      out.flush();
      out.close();
    }
    assertArrayEquals(expected.toByteArray(), buffer.payloadToArray());
    buffer.write(1); // close() left the sink usable
    assertEquals(expected.size() + 1, buffer.size());
  }

  @Test
  void shouldGrowFromATinyCapacity() {
    Random random = new Random(2);
    byte[] expected = new byte[300_000];
    random.nextBytes(expected);
    FrameBuffer buffer = FrameBuffer.forPayloadOnly(1, MIB);
    int i = 0;
    for (int round = 0; i < expected.length && round < expected.length; round++) {
      int n = Math.min(expected.length - i, random.nextInt(3) == 0 ? 1 : random.nextInt(5000));
      if (n == 1) {
        buffer.write(expected[i]);
      } else {
        buffer.write(expected, i, n);
      }
      i += n;
      assertEquals(i, buffer.size());
    }
    assertArrayEquals(expected, buffer.payloadToArray());
  }

  @Test
  void shouldPutTheLengthThenTheTypeInFrontOfThePayload() {
    FrameBuffer buffer = FrameBuffer.forFrames(1, 1 << 20);
    buffer.write(new byte[] {7, 8, 9});
    ByteBuffer frame = buffer.finishFrame(Wire.PING);
    assertEquals(0, frame.position());
    byte[] bytes = new byte[frame.remaining()];
    frame.get(bytes);
    assertArrayEquals(new byte[] {0, 0, 0, 4, Wire.PING, 7, 8, 9}, bytes,
        "length 1 + payload, big-endian, then the type byte");
  }

  @Test
  void shouldCountTheTypeByteInTheLengthOfAnEmptyFrame() {
    ByteBuffer frame = FrameBuffer.forFrames(4, 16).finishFrame(Wire.CLOSE);
    assertEquals(5, frame.remaining());
    assertEquals(1, frame.getInt());
    assertEquals(Wire.CLOSE, frame.get());
  }

  @Test
  void shouldWriteAFourByteBigEndianLengthForALargePayload() {
    FrameBuffer buffer = FrameBuffer.forFrames(8, 1 << 20);
    byte[] payload = new byte[0x012345];
    new Random(3).nextBytes(payload);
    buffer.write(payload);
    ByteBuffer frame = buffer.finishFrame(Wire.MESSAGE);
    assertEquals(4 + 1 + payload.length, frame.remaining());
    assertEquals(0x00, frame.get());
    assertEquals(0x01, frame.get());
    assertEquals(0x23, frame.get());
    assertEquals(0x46, frame.get(), "0x012345 + 1 for the type");
    assertEquals(Wire.MESSAGE, frame.get());
    assertEquals(ByteBuffer.wrap(payload), frame);
  }

  @Test
  void shouldRefuseToFinishAFrameWithoutHeaderRoom() {
    FrameBuffer payloadOnly = FrameBuffer.forPayloadOnly(4, 16);
    payloadOnly.write(1);
    assertThrows(IllegalStateException.class, () -> payloadOnly.finishFrame(Wire.MESSAGE));
  }

  @Test
  void shouldAcceptAPayloadOfExactlyTheLimit() {
    FrameBuffer frames = FrameBuffer.forFrames(16, 101); // frame length 101: payload 100
    frames.write(new byte[100]);
    ByteBuffer frame = frames.finishFrame(Wire.MESSAGE);
    assertEquals(101, frame.getInt(), "a frame length of exactly the max frame size");
    FrameBuffer payloadOnly = FrameBuffer.forPayloadOnly(1, 8);
    payloadOnly.writeLong(-1);
    assertEquals(8, payloadOnly.size());
  }

  @Test
  void shouldRefuseEveryWriteOneByteOverTheLimitNamingTheLimit() {
    Map<String, Consumer<FrameBuffer>> writes = new LinkedHashMap<>();
    writes.put("write(int)", b -> b.write(1));
    writes.put("write(byte[])", b -> b.write(new byte[1]));
    writes.put("write(byte[], off, len)", b -> b.write(new byte[3], 1, 1));
    writes.put("write(ByteBuffer)", b -> b.write(ByteBuffer.allocate(1)));
    writes.put("writeShort", b -> b.writeShort(1));
    writes.put("writeInt", b -> b.writeInt(1));
    writes.put("writeLong", b -> b.writeLong(1));
    writes.put("writeUtf8", b -> b.writeUtf8("x"));
    for (Map.Entry<String, Consumer<FrameBuffer>> write : writes.entrySet()) {
      FrameBuffer buffer = FrameBuffer.forFrames(16, 101); // payload limit 100
      buffer.write(new byte[100]);
      EncoderException e = assertThrows(EncoderException.class,
          () -> write.getValue().accept(buffer), write.getKey());
      assertTrue(e.getMessage().contains("more than 100 bytes"), e.getMessage());
      assertTrue(e.getMessage().contains("max frame size"), e.getMessage());
      assertEquals(100, buffer.size(), write.getKey() + " wrote nothing");
    }
  }

  @Test
  void shouldRefuseAWideWriteThatWouldCrossTheLimit() {
    FrameBuffer buffer = FrameBuffer.forPayloadOnly(16, 10);
    buffer.write(new byte[7]);
    assertThrows(EncoderException.class, () -> buffer.writeInt(1), "7 + 4 > 10");
    buffer.writeShort(1);
    buffer.write(1);
    assertEquals(10, buffer.size());
    ByteBuffer src = ByteBuffer.allocate(1);
    assertThrows(EncoderException.class, () -> buffer.write(src));
    assertEquals(0, src.position(), "a refused write leaves the source where it was");
  }

  @Test
  void shouldRefuseAnOversizedWriteBeforeGrowing() {
    byte[] big = new byte[4 * MIB];
    FrameBuffer warmUp = FrameBuffer.forPayloadOnly(16, MIB);
    assertThrows(EncoderException.class, () -> warmUp.write(big));
    FrameBuffer buffer = FrameBuffer.forPayloadOnly(16, MIB);
    long before = Allocations.ofCurrentThread();
    EncoderException thrown = null;
    try {
      buffer.write(big);
    } catch (EncoderException e) {
      thrown = e;
    }
    long allocated = Allocations.ofCurrentThread() - before;
    assertTrue(thrown != null && thrown.getMessage().contains("(4194304 so far)"),
        String.valueOf(thrown));
    assertTrue(allocated < 64 * KIB, "refusing 4 MiB allocated " + allocated);
  }

  @Test
  void shouldKeepALargeArrayForLargeMessagesAndDropItAfterASmallOne() {
    FrameBuffer buffer = FrameBuffer.forFrames(16, 16 * MIB);
    buffer.write(new byte[MIB]);
    byte[] large = buffer.finishFrame(Wire.MESSAGE).array();
    assertTrue(large.length > MIB, "grown for the big message");
    buffer.reset();
    buffer.write(new byte[MIB - 5]);
    assertSame(large, buffer.finishFrame(Wire.MESSAGE).array(), "reused for the next block");

    buffer.reset();
    buffer.write(new byte[] {1, 2}); // a small message, still in the large array
    buffer.reset();
    assertEquals(0, buffer.size());
    buffer.write(new byte[] {1, 2});
    ByteBuffer frame = buffer.finishFrame(Wire.MESSAGE);
    assertTrue(frame.capacity() <= 64 * KIB,
        "the 1 MiB array was let go after a small message: capacity " + frame.capacity());
    byte[] bytes = new byte[frame.remaining()];
    frame.get(bytes);
    assertArrayEquals(new byte[] {0, 0, 0, 3, Wire.MESSAGE, 1, 2}, bytes);
  }

  @Test
  void shouldKeepTheArrayOfALargeMessageWrittenInSmallChunks() {
    FrameBuffer buffer = FrameBuffer.forFrames(256, 16 * MIB);
    byte[] chunk = new byte[8 * KIB];
    byte[] first = null;
    for (int message = 0; message < 3; message++) {
      buffer.reset();
      for (int i = 0; i < 170; i++) { // 1.33 MiB, as a 1 MiB block in JSON (base64) is
        buffer.write(chunk);
      }
      byte[] array = buffer.finishFrame(Wire.MESSAGE).array();
      assertTrue(array.length > 2 * MIB, "grown by doubling past the limit: " + array.length);
      if (first == null) {
        first = array;
      } else {
        assertSame(first, array, "message " + message + " reuses the array");
      }
    }
  }

  @Test
  void shouldDropAnArrayOverTheRetainLimitAtOnce() {
    FrameBuffer buffer = FrameBuffer.forFrames(16, 16 * MIB);
    buffer.write(new byte[FrameBuffer.RETAIN_LARGE_CAPACITY + 1]);
    buffer.reset();
    assertTrue(buffer.capacity() <= 64 * KIB, "capacity after reset " + buffer.capacity());
  }

  @Test
  void shouldKeepASmallArrayAcrossResets() {
    FrameBuffer buffer = FrameBuffer.forFrames(16, 16 * MIB);
    buffer.write(new byte[32 * KIB]);
    byte[] array = buffer.finishFrame(Wire.MESSAGE).array();
    buffer.reset();
    buffer.write(9);
    ByteBuffer frame = buffer.finishFrame(Wire.MESSAGE);
    assertSame(array, frame.array(), "a 32 KiB array is reused");
    assertEquals(6, frame.remaining());
    assertEquals(2, frame.getInt());
  }

  @Test
  void shouldApplyANewPayloadLimitToTheNextMessage() {
    FrameBuffer buffer = FrameBuffer.forFrames(16, 1000);
    buffer.write(new byte[500]);
    buffer.reset();
    buffer.maxPayload(1);
    buffer.write(1);
    assertThrows(EncoderException.class, () -> buffer.write(1));
    assertThrows(IllegalArgumentException.class, () -> buffer.maxPayload(-1));
  }

  @Test
  void shouldAdvanceTheSourceBufferToItsLimit() {
    FrameBuffer buffer = FrameBuffer.forPayloadOnly(2, 100);
    ByteBuffer src = ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5});
    src.position(1).limit(4);
    buffer.write(src);
    assertEquals(4, src.position());
    assertEquals(4, src.limit());
    assertArrayEquals(new byte[] {2, 3, 4}, buffer.payloadToArray());
    ByteBuffer readOnly = ByteBuffer.wrap(new byte[] {6}).asReadOnlyBuffer();
    buffer.write(readOnly);
    assertEquals(1, readOnly.position());
    assertEquals(4, buffer.size());
  }

  @Test
  void shouldRefuseAnArrayRangeOutsideTheArrayWritingNothing() {
    FrameBuffer buffer = FrameBuffer.forPayloadOnly(2, 100);
    assertThrows(IndexOutOfBoundsException.class, () -> buffer.write(new byte[2], 1, 2));
    assertThrows(IndexOutOfBoundsException.class, () -> buffer.write(new byte[2], -1, 1));
    assertThrows(IndexOutOfBoundsException.class, () -> buffer.write(new byte[2], 0, -1));
    assertEquals(0, buffer.size());
  }

  @Test
  void shouldCopyThePayloadOut() {
    FrameBuffer buffer = FrameBuffer.forFrames(4, 100);
    buffer.writeUtf8("abc");
    byte[] first = buffer.payloadToArray();
    byte[] second = buffer.payloadToArray();
    assertNotSame(first, second);
    assertEquals("abc", new String(first, StandardCharsets.UTF_8));
    first[0] = 'z';
    assertArrayEquals("abc".getBytes(StandardCharsets.UTF_8), second);
    assertEquals(Arrays.toString(second), Arrays.toString(buffer.payloadToArray()));
  }

  @Test
  void shouldRefuseBadSizesNamingThem() {
    assertEquals("initialCapacity <= 0: 0", assertThrows(IllegalArgumentException.class,
        () -> FrameBuffer.forPayloadOnly(0, 10)).getMessage());
    assertEquals("maxPayload < 0: -1", assertThrows(IllegalArgumentException.class,
        () -> FrameBuffer.forPayloadOnly(1, -1)).getMessage());
    assertEquals("maxFrameLength <= 0: 0", assertThrows(IllegalArgumentException.class,
        () -> FrameBuffer.forFrames(1, 0)).getMessage());
    FrameBuffer typeOnly = FrameBuffer.forFrames(1, 1);
    assertThrows(EncoderException.class, () -> typeOnly.write(0), "a frame length of 1");
    assertEquals(1, typeOnly.finishFrame(Wire.PONG).getInt());
  }
}
