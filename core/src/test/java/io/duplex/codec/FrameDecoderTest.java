package io.duplex.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FrameDecoderTest {
  private static final int MAX = 16 * 1024 * 1024;

  private static byte[] frame(byte[] body) {
    return ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array();
  }

  private static byte[] body(Random random, int size) {
    byte[] b = new byte[size];
    random.nextBytes(b);
    return b;
  }

  private static byte[] bytesOf(ByteBuffer frame) {
    byte[] b = new byte[frame.remaining()];
    frame.get(b);
    return b;
  }

  /** Feeds {@code stream} cut at the given points and returns every frame decoded. */
  private static List<byte[]> decodeInPieces(FrameDecoder decoder, byte[] stream, int[] cuts) {
    List<byte[]> out = new ArrayList<>();
    int from = 0;
    for (int i = 0; i <= cuts.length; i++) {
      int to = i < cuts.length ? cuts[i] : stream.length;
      ByteBuffer piece = ByteBuffer.wrap(stream, from, to - from);
      ByteBuffer f;
      while ((f = decoder.next(piece)) != null) {
        out.add(bytesOf(f));
      }
      assertFalse(piece.hasRemaining(), "the decoder takes every byte it is given");
      from = to;
    }
    return out;
  }

  @Test
  void shouldDecodeFramesFedOneByteAtATime() {
    Random random = new Random(1);
    List<byte[]> bodies = List.of(body(random, 0), body(random, 1), body(random, 300),
        body(random, 70_000), body(random, 5));
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    bodies.forEach(b -> stream.writeBytes(frame(b)));
    byte[] all = stream.toByteArray();
    int[] cuts = new int[all.length - 1];
    for (int i = 0; i < cuts.length; i++) {
      cuts[i] = i + 1;
    }
    List<byte[]> decoded = decodeInPieces(new FrameDecoder(MAX), all, cuts);
    assertEquals(bodies.size(), decoded.size());
    for (int i = 0; i < bodies.size(); i++) {
      assertArrayEquals(bodies.get(i), decoded.get(i), "frame " + i);
    }
  }

  @Test
  void shouldDecodeRandomSplitsOfRandomFrames() {
    for (int round = 0; round < 500; round++) {
      Random random = new Random(round);
      List<byte[]> bodies = new ArrayList<>();
      ByteArrayOutputStream stream = new ByteArrayOutputStream();
      int frames = 1 + random.nextInt(50);
      for (int i = 0; i < frames; i++) {
        byte[] b = body(random, random.nextInt(4) == 0 ? 0 : random.nextInt(10_000));
        bodies.add(b);
        stream.writeBytes(frame(b));
      }
      byte[] all = stream.toByteArray();
      int[] cuts = random.ints(random.nextInt(40), 0, all.length + 1).sorted().toArray();
      List<byte[]> decoded = decodeInPieces(new FrameDecoder(MAX), all, cuts);
      assertEquals(frames, decoded.size(), "round " + round);
      for (int i = 0; i < frames; i++) {
        assertArrayEquals(bodies.get(i), decoded.get(i), "round " + round + " frame " + i);
      }
    }
  }

  @Test
  void shouldDecodeManyFramesFromOneBufferWithoutCopying() {
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    for (int i = 0; i < 1000; i++) {
      stream.writeBytes(frame(new byte[] {(byte) i, (byte) (i >> 8)}));
    }
    ByteBuffer in = ByteBuffer.wrap(stream.toByteArray());
    FrameDecoder decoder = new FrameDecoder(MAX);
    decoder.next(in); // warm up the view
    long before = Allocations.ofCurrentThread();
    for (int i = 1; i < 1000; i++) {
      ByteBuffer f = decoder.next(in);
      assertEquals((byte) i, f.get(f.position()));
      assertEquals(2, f.remaining());
    }
    long allocated = Allocations.ofCurrentThread() - before;
    assertNull(decoder.next(in));
    assertTrue(allocated < 10_000, "whole frames are views: allocated " + allocated + " bytes");
  }

  @Test
  void shouldCarryAHeaderSplitAtEveryOffset() {
    byte[] f = frame(new byte[] {1, 2, 3});
    for (int cut = 1; cut < 4; cut++) {
      FrameDecoder decoder = new FrameDecoder(MAX);
      ByteBuffer first = ByteBuffer.wrap(f, 0, cut);
      assertNull(decoder.next(first));
      assertTrue(decoder.hasPartialFrame(), "mid-header at " + cut);
      ByteBuffer rest = ByteBuffer.wrap(f, cut, f.length - cut);
      assertArrayEquals(new byte[] {1, 2, 3}, bytesOf(decoder.next(rest)));
      assertFalse(decoder.hasPartialFrame());
    }
  }

  @Test
  void shouldReportAPartialBodyAndGatherItWhenTheRestArrives() {
    byte[] f = frame(new byte[] {9, 8, 7, 6});
    FrameDecoder decoder = new FrameDecoder(MAX);
    assertNull(decoder.next(ByteBuffer.wrap(f, 0, 6)));
    assertTrue(decoder.hasPartialFrame());
    assertArrayEquals(new byte[] {9, 8, 7, 6}, bytesOf(decoder.next(ByteBuffer.wrap(f, 6, 2))));
    assertFalse(decoder.hasPartialFrame());
  }

  @Test
  void shouldDecodeZeroLengthFrames() {
    FrameDecoder decoder = new FrameDecoder(MAX);
    ByteBuffer in = ByteBuffer.wrap(new byte[12]);
    for (int i = 0; i < 3; i++) {
      assertEquals(0, decoder.next(in).remaining());
    }
    assertNull(decoder.next(in));
  }

  @Test
  void shouldAcceptALengthAtTheLimitAndRefuseOneOver() {
    FrameDecoder decoder = new FrameDecoder(100);
    assertEquals(100, decoder.next(ByteBuffer.wrap(frame(new byte[100]))).remaining());
    TooLongFrameException e = assertThrows(TooLongFrameException.class,
        () -> new FrameDecoder(100).next(ByteBuffer.wrap(frame(new byte[101]))));
    assertEquals(101, e.length());
    assertEquals(100, e.limit());
    assertTrue(e.getMessage().startsWith("frame length 101 exceeds max frame size 100"),
        e.getMessage());
  }

  @Test
  void shouldRefuseHugeLengthsAsUnsignedValuesBeforeAllocating() {
    for (long length : new long[] {0xFFFFFFFFL, 0x7FFFFFFFL, MAX + 1L, 0x80000000L}) {
      FrameDecoder decoder = new FrameDecoder(MAX);
      ByteBuffer header = ByteBuffer.allocate(4).putInt((int) length).flip();
      long before = Allocations.ofCurrentThread();
      TooLongFrameException e = assertThrows(TooLongFrameException.class,
          () -> decoder.next(header));
      long allocated = Allocations.ofCurrentThread() - before;
      assertEquals(length, e.length());
      assertEquals(MAX, e.limit());
      assertTrue(allocated < 64 * 1024, "allocated " + allocated + " refusing " + length);
    }
  }

  @Test
  void shouldNotAllocateTheAnnouncedLengthBeforeTheBytesArrive() {
    FrameDecoder decoder = new FrameDecoder(MAX);
    ByteBuffer start = ByteBuffer.allocate(104).putInt(MAX).put(new byte[100]).flip();
    long before = Allocations.ofCurrentThread();
    assertNull(decoder.next(start));
    long allocated = Allocations.ofCurrentThread() - before;
    assertTrue(allocated < 1024 * 1024,
        "16 MiB announced, 100 bytes sent: allocated " + allocated);
    assertTrue(decoder.hasPartialFrame());
  }

  @Test
  void shouldApplyANewLimitFromTheNextFrameOn() {
    FrameDecoder decoder = new FrameDecoder(4096);
    decoder.limit(4096, "pre-handshake max frame size");
    TooLongFrameException e = assertThrows(TooLongFrameException.class,
        () -> decoder.next(ByteBuffer.wrap(frame(new byte[5000]))));
    assertTrue(e.getMessage().contains("pre-handshake max frame size 4096"), e.getMessage());
    FrameDecoder raised = new FrameDecoder(4096);
    raised.limit(MAX, "max frame size");
    assertEquals(5000, raised.next(ByteBuffer.wrap(frame(new byte[5000]))).remaining());
    assertThrows(IllegalArgumentException.class, () -> raised.limit(-1, "x"));
  }

  /** The read loop's pattern: a fixed buffer, filled, drained by next(), cleared, refilled. */
  @Test
  void shouldDecodeLikeAReadLoopWithAFixedBuffer() {
    for (int round = 0; round < 100; round++) {
      Random random = new Random(1000 + round);
      List<byte[]> bodies = new ArrayList<>();
      ByteArrayOutputStream stream = new ByteArrayOutputStream();
      for (int i = 0; i < 60; i++) {
        byte[] b = body(random, random.nextBoolean() ? random.nextInt(200)
            : random.nextInt(20_000));
        bodies.add(b);
        stream.writeBytes(frame(b));
      }
      byte[] all = stream.toByteArray();
      ByteBuffer readBuffer = ByteBuffer.allocateDirect(4096);
      FrameDecoder decoder = new FrameDecoder(MAX);
      List<byte[]> decoded = new ArrayList<>();
      int offset = 0;
      while (offset < all.length) {
        readBuffer.clear();
        int n = Math.min(1 + random.nextInt(4096), all.length - offset);
        readBuffer.put(all, offset, n).flip();
        offset += n;
        ByteBuffer f;
        while ((f = decoder.next(readBuffer)) != null) {
          decoded.add(bytesOf(f));
        }
        assertFalse(readBuffer.hasRemaining());
      }
      assertEquals(bodies.size(), decoded.size(), "round " + round);
      for (int i = 0; i < bodies.size(); i++) {
        assertArrayEquals(bodies.get(i), decoded.get(i), "round " + round + " frame " + i);
      }
    }
  }
}
