package io.duplex.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The decoder gets the same streams in every way a network can cut them (Okio's idea: one byte
 * at a time is "likely to trigger bugs"), and above all the way the read loop feeds it: one fixed
 * read buffer, filled, flipped, drained with {@code next()}, compacted and filled again.
 *
 * <p>Every call goes through {@link #next}, which checks the Netty decoder contract: {@code null}
 * only once the input is used up, and never a frame without consuming input.
 */
class FrameDecoderTest {
  private static final int KIB = 1024;
  private static final int MIB = 1024 * KIB;
  private static final int MAX = 16 * MIB;
  /** The read buffer of the read-loop feedings: smaller than many of the frames. */
  private static final int READ_BUFFER_SIZE = 4 * KIB;

  /** How a stream reaches the decoder. */
  enum Feeding {
    /** The whole stream in one heap buffer. */
    WHOLE,
    /** One heap buffer per byte. */
    ONE_BYTE_AT_A_TIME,
    /** Cut at random points (empty pieces too), each piece a slice with a non-zero offset. */
    RANDOM_SPLITS,
    /** Cut at random points into little-endian buffers that start mid-array. */
    LITTLE_ENDIAN_PIECES,
    /** A read loop on a fixed 4 KiB direct buffer: read, flip, drain every frame, compact. */
    READ_LOOP,
    /**
     * A read loop on a fixed 4 KiB heap buffer that takes 1 to 3 frames per pass and compacts,
     * so undecoded bytes stay in the buffer and compact moves them to its front.
     */
    READ_LOOP_FEW_FRAMES_PER_PASS
  }

  // ---- helpers --------------------------------------------------------------------------------

  private static byte[] frame(byte[] body) {
    return ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array();
  }

  private static byte[] header(long length) {
    return ByteBuffer.allocate(4).putInt((int) length).array();
  }

  private static byte[] body(Random random, int size) {
    byte[] b = new byte[size];
    random.nextBytes(b);
    return b;
  }

  private static byte[] streamOf(List<byte[]> bodies) {
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    for (byte[] b : bodies) {
      stream.writeBytes(frame(b));
    }
    return stream.toByteArray();
  }

  private static byte[] bytesOf(ByteBuffer frame) {
    byte[] b = new byte[frame.remaining()];
    frame.get(b);
    return b;
  }

  /** One call of {@code decoder.next(in)}, checking the decoder contract. */
  private static ByteBuffer next(FrameDecoder decoder, ByteBuffer in) {
    int before = in.position();
    ByteBuffer frame = decoder.next(in);
    if (frame == null) {
      assertFalse(in.hasRemaining(), "null before the input was used up");
    } else {
      assertTrue(in.position() > before, "a frame returned without consuming input");
    }
    return frame;
  }

  /**
   * Takes up to {@code maxFrames} frames from {@code in}, copying each at once (a frame is valid
   * only until the next call); true if the decoder returned null (the input is used up).
   */
  private static boolean drain(FrameDecoder decoder, ByteBuffer in, List<byte[]> out,
      int maxFrames) {
    // Every frame consumes at least one byte, so remaining + 1 calls always end in a null.
    int calls = Math.min(maxFrames, in.remaining() + 1);
    for (int i = 0; i < calls; i++) {
      ByteBuffer frame = next(decoder, in);
      if (frame == null) {
        return true;
      }
      out.add(bytesOf(frame));
    }
    return false;
  }

  private static List<byte[]> decode(Feeding feeding, FrameDecoder decoder, byte[] stream,
      Random random) {
    List<byte[]> out = new ArrayList<>();
    switch (feeding) {
      case WHOLE:
        assertTrue(drain(decoder, ByteBuffer.wrap(stream), out, Integer.MAX_VALUE));
        break;
      case ONE_BYTE_AT_A_TIME:
        for (int i = 0; i < stream.length; i++) {
          assertTrue(drain(decoder, ByteBuffer.wrap(stream, i, 1), out, Integer.MAX_VALUE));
        }
        break;
      case RANDOM_SPLITS:
      case LITTLE_ENDIAN_PIECES:
        int[] cuts = randomCuts(random, stream.length);
        for (int i = 0; i + 1 < cuts.length; i++) {
          ByteBuffer piece = ByteBuffer.wrap(stream, cuts[i], cuts[i + 1] - cuts[i]);
          if (feeding == Feeding.LITTLE_ENDIAN_PIECES) {
            piece.order(ByteOrder.LITTLE_ENDIAN);
          } else {
            piece = piece.slice();
          }
          assertTrue(drain(decoder, piece, out, Integer.MAX_VALUE));
        }
        break;
      case READ_LOOP:
        readLoop(decoder, stream, ByteBuffer.allocateDirect(READ_BUFFER_SIZE), random, false, out);
        break;
      case READ_LOOP_FEW_FRAMES_PER_PASS:
        readLoop(decoder, stream, ByteBuffer.allocate(READ_BUFFER_SIZE), random, true, out);
        break;
      default:
        throw new AssertionError(feeding);
    }
    return out;
  }

  /** 0, the sorted random cut points (repeats make empty pieces), {@code length}. */
  private static int[] randomCuts(Random random, int length) {
    int n = random.nextInt(Math.min(length, 300) + 1);
    int[] cuts = new int[n + 2];
    for (int i = 1; i <= n; i++) {
      cuts[i] = random.nextInt(length + 1);
    }
    cuts[n + 1] = length;
    Arrays.sort(cuts, 1, n + 1);
    return cuts;
  }

  /**
   * The read loop's pattern on one reused buffer: the "network" delivers 1 byte up to what fits,
   * the loop flips, takes frames, compacts, and reads again until the stream is used up.
   */
  private static void readLoop(FrameDecoder decoder, byte[] stream, ByteBuffer buffer,
      Random random, boolean fewFramesPerPass, List<byte[]> out) {
    int offset = 0;
    buffer.clear();
    // Each pass reads at least one byte or (buffer full) decodes at least one: bounded.
    int passes = 2 * stream.length + 2;
    for (int pass = 0; pass < passes; pass++) {
      int n = Math.min(buffer.remaining() == 0 ? 0 : 1 + random.nextInt(buffer.remaining()),
          stream.length - offset);
      buffer.put(stream, offset, n);
      offset += n;
      buffer.flip();
      boolean usedUp = drain(decoder, buffer, out,
          fewFramesPerPass ? 1 + random.nextInt(3) : Integer.MAX_VALUE);
      assertTrue(usedUp || fewFramesPerPass, "a full drain leaves nothing in the buffer");
      buffer.compact();
      if (offset == stream.length && buffer.position() == 0) {
        return;
      }
    }
    fail("the read loop did not finish in " + passes + " passes");
  }

  private static void assertFrames(List<byte[]> expected, List<byte[]> actual, String what) {
    assertEquals(expected.size(), actual.size(), what + ": frame count");
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i), actual.get(i), what + ": frame " + i);
    }
  }

  /** Sizes around every boundary the decoder has: the header, 4 KiB, 8 KiB, 64 KiB. */
  private static List<byte[]> edgeSizedBodies(Random random) {
    int[] sizes = {0, 1, 3, 4, 5, 0, 0, 100, 4091, 4092, 4096, 4097, 8191, 8192, 8193, 0, 10_000,
        65_535, 65_536, 65_537, 2, 200_000, 1, 0, 300, 70_000, 7};
    List<byte[]> bodies = new ArrayList<>();
    for (int size : sizes) {
      bodies.add(body(random, size));
    }
    return bodies;
  }

  /** Bodies from 0 to 10,000 bytes, a quarter of them empty. */
  private static List<byte[]> randomBodies(Random random, int count) {
    List<byte[]> bodies = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      bodies.add(body(random, random.nextInt(4) == 0 ? 0 : random.nextInt(10_001)));
    }
    return bodies;
  }

  // ---- every feeding ---------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(Feeding.class)
  void shouldDecodeFramesAroundEveryBufferBoundaryWhateverTheFeeding(Feeding feeding) {
    Random random = new Random(42);
    List<byte[]> bodies = edgeSizedBodies(random);
    byte[] stream = streamOf(bodies);
    FrameDecoder decoder = new FrameDecoder(MAX);
    assertFrames(bodies, decode(feeding, decoder, stream, random), feeding.name());
    assertFalse(decoder.hasPartialFrame());
  }

  @ParameterizedTest
  @EnumSource(value = Feeding.class,
      names = {"RANDOM_SPLITS", "LITTLE_ENDIAN_PIECES", "READ_LOOP",
          "READ_LOOP_FEW_FRAMES_PER_PASS"})
  void shouldDecodeRandomStreamsCutAtRandomPoints(Feeding feeding) {
    for (int round = 0; round < 500; round++) {
      Random random = new Random(round);
      List<byte[]> bodies = randomBodies(random, 1 + random.nextInt(50));
      FrameDecoder decoder = new FrameDecoder(MAX);
      List<byte[]> decoded = decode(feeding, decoder, streamOf(bodies), random);
      assertFrames(bodies, decoded, feeding + " round " + round + " (seed " + round + ")");
      assertFalse(decoder.hasPartialFrame(), "round " + round);
    }
  }

  // ---- splits ----------------------------------------------------------------------------------

  @Test
  void shouldReturnEachFrameOnItsLastByteWhenFedOneByteAtATime() {
    Random random = new Random(7);
    List<byte[]> bodies = List.of(body(random, 0), body(random, 1), body(random, 300),
        body(random, 70_000), body(random, 0), body(random, 5));
    byte[] stream = streamOf(bodies);
    FrameDecoder decoder = new FrameDecoder(MAX);
    int frame = 0;
    int frameEnd = 4 + bodies.get(0).length;
    for (int i = 0; i < stream.length; i++) {
      ByteBuffer f = next(decoder, ByteBuffer.wrap(stream, i, 1));
      if (i + 1 == frameEnd) {
        assertNotNull(f, "frame " + frame + " is complete at byte " + i);
        assertArrayEquals(bodies.get(frame), bytesOf(f), "frame " + frame);
        assertFalse(decoder.hasPartialFrame(), "between frames after byte " + i);
        frame++;
        frameEnd += frame < bodies.size() ? 4 + bodies.get(frame).length : 0;
      } else {
        assertNull(f, "byte " + i + " of frame " + frame);
        assertTrue(decoder.hasPartialFrame(), "mid-frame after byte " + i);
      }
    }
    assertEquals(bodies.size(), frame);
  }

  @Test
  void shouldCarryAHeaderSplitAtEveryOffset() {
    Random random = new Random(3);
    for (int size : new int[] {0, 3, 5000}) {
      byte[] body = body(random, size);
      byte[] previous = frame(new byte[] {9, 9});
      byte[] f = frame(body);
      for (int cut = 1; cut < 4; cut++) {
        FrameDecoder decoder = new FrameDecoder(MAX);
        // A whole frame, then the first bytes of the next header, in one read.
        ByteBuffer first = ByteBuffer.allocate(previous.length + cut)
            .put(previous).put(f, 0, cut).flip();
        assertArrayEquals(new byte[] {9, 9}, bytesOf(next(decoder, first)));
        assertNull(next(decoder, first), "size " + size + " cut " + cut);
        assertTrue(decoder.hasPartialFrame(), "mid-header at " + cut);
        ByteBuffer rest = ByteBuffer.wrap(f, cut, f.length - cut);
        assertArrayEquals(body, bytesOf(next(decoder, rest)), "size " + size + " cut " + cut);
        assertFalse(decoder.hasPartialFrame());
        assertFalse(rest.hasRemaining());
      }
    }
  }

  @Test
  void shouldCarryAHeaderSplitIntoEveryCombinationOfPieces() {
    byte[] f = frame(new byte[] {1, 2, 3});
    // Every way to cut the 4 header bytes (3 cut points, each present or not).
    for (int mask = 0; mask < 8; mask++) {
      FrameDecoder decoder = new FrameDecoder(MAX);
      int from = 0;
      for (int cut = 1; cut < 4; cut++) {
        if ((mask & (1 << (cut - 1))) != 0) {
          assertNull(next(decoder, ByteBuffer.wrap(f, from, cut - from)), "mask " + mask);
          from = cut;
        }
      }
      assertArrayEquals(new byte[] {1, 2, 3},
          bytesOf(next(decoder, ByteBuffer.wrap(f, from, f.length - from))), "mask " + mask);
    }
  }

  @Test
  void shouldReturnASplitFrameOnlyOnceTheRestArrives() {
    byte[] body = body(new Random(11), 10_000);
    byte[] first = frame(body);
    byte[] second = frame(new byte[] {5, 6});
    FrameDecoder decoder = new FrameDecoder(MAX);
    assertNull(next(decoder, ByteBuffer.wrap(first, 0, 4 + 3000)));
    assertTrue(decoder.hasPartialFrame(), "mid-body");
    assertNull(next(decoder, ByteBuffer.allocate(0)), "an empty read changes nothing");
    assertNull(next(decoder, ByteBuffer.wrap(first, 4 + 3000, 5000)));
    assertTrue(decoder.hasPartialFrame());
    ByteBuffer last = ByteBuffer.allocate(2000 + second.length)
        .put(first, 4 + 8000, 2000).put(second).flip();
    assertArrayEquals(body, bytesOf(next(decoder, last)));
    assertFalse(decoder.hasPartialFrame());
    assertEquals(2000, last.position(), "the next frame's bytes stay in the input");
    assertArrayEquals(new byte[] {5, 6}, bytesOf(next(decoder, last)));
    assertNull(next(decoder, last));
  }

  @Test
  void shouldReportAPartialFrameMidHeaderAndMidBodyButNotBetweenFrames() {
    FrameDecoder decoder = new FrameDecoder(MAX);
    assertFalse(decoder.hasPartialFrame(), "new decoder");
    byte[] f = frame(new byte[] {1, 2, 3, 4});
    assertNull(next(decoder, ByteBuffer.wrap(f, 0, 1)));
    assertTrue(decoder.hasPartialFrame(), "mid-header");
    assertNull(next(decoder, ByteBuffer.wrap(f, 1, 3)));
    assertTrue(decoder.hasPartialFrame(), "header complete, no body yet");
    assertNull(next(decoder, ByteBuffer.wrap(f, 4, 2)));
    assertTrue(decoder.hasPartialFrame(), "mid-body");
    assertNotNull(next(decoder, ByteBuffer.wrap(f, 6, 2)));
    assertFalse(decoder.hasPartialFrame(), "between frames");
    assertNotNull(next(decoder, ByteBuffer.wrap(f)));
    assertFalse(decoder.hasPartialFrame(), "after a whole frame");
  }

  // ---- whole frames ----------------------------------------------------------------------------

  @Test
  void shouldDecodeManyFramesFromOneBuffer() {
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    for (int i = 0; i < 1000; i++) {
      stream.writeBytes(frame(new byte[] {(byte) i, (byte) (i >> 8), (byte) (i % 3)}));
    }
    ByteBuffer in = ByteBuffer.wrap(stream.toByteArray());
    FrameDecoder decoder = new FrameDecoder(MAX);
    for (int i = 0; i < 1000; i++) {
      ByteBuffer f = next(decoder, in);
      assertArrayEquals(new byte[] {(byte) i, (byte) (i >> 8), (byte) (i % 3)}, bytesOf(f));
      assertEquals((i + 1) * 7, in.position(), "consumed exactly frame " + i);
    }
    assertNull(next(decoder, in));
  }

  @Test
  void shouldReturnAWholeFrameAsAViewOfTheInputWithoutAllocating() {
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    for (int i = 0; i < 1000; i++) {
      stream.writeBytes(frame(new byte[] {(byte) i, (byte) (i >> 8)}));
    }
    byte[] bytes = stream.toByteArray();
    ByteBuffer in = ByteBuffer.wrap(bytes);
    FrameDecoder decoder = new FrameDecoder(MAX);
    ByteBuffer first = next(decoder, in); // makes the decoder's one view of this input
    bytes[4] = 42;
    assertEquals(42, first.get(first.position()), "a view of the input, not a copy");
    long before = Allocations.ofCurrentThread();
    int sum = 0;
    for (int i = 1; i < 1000; i++) {
      ByteBuffer f = decoder.next(in);
      sum += f.remaining() + f.get(f.position()) - (byte) i;
    }
    long allocated = Allocations.ofCurrentThread() - before;
    assertEquals(2 * 999, sum);
    assertTrue(allocated < 8 * KIB, "999 whole frames allocated " + allocated + " bytes");
  }

  @Test
  void shouldNotAllocatePerFrameWhenTheReadLoopReusesItsBuffer() {
    byte[] chunk = streamOf(List.of(new byte[100], new byte[200], new byte[0], new byte[50]));
    ByteBuffer buffer = ByteBuffer.allocateDirect(READ_BUFFER_SIZE);
    FrameDecoder decoder = new FrameDecoder(MAX);
    int frames = 0;
    int bytes = 0;
    long before = 0;
    for (int pass = 0; pass < 201; pass++) {
      if (pass == 1) {
        before = Allocations.ofCurrentThread(); // pass 0 made the view of this buffer
      }
      buffer.put(chunk).flip();
      ByteBuffer f;
      while ((f = decoder.next(buffer)) != null) {
        frames++;
        bytes += f.remaining();
      }
      buffer.compact();
    }
    long allocated = Allocations.ofCurrentThread() - before;
    assertEquals(201 * 4, frames);
    assertEquals(201 * 350, bytes);
    assertTrue(allocated < 8 * KIB, "800 frames through one read buffer allocated " + allocated);
  }

  @Test
  void shouldDecodeZeroLengthFrames() {
    FrameDecoder decoder = new FrameDecoder(MAX);
    ByteBuffer in = ByteBuffer.wrap(new byte[12]);
    for (int i = 0; i < 3; i++) {
      ByteBuffer f = next(decoder, in);
      assertNotNull(f, "empty frame " + i);
      assertEquals(0, f.remaining());
    }
    assertNull(next(decoder, in));
    // A zero-length frame is complete with its header: no further read is needed.
    assertNull(next(decoder, ByteBuffer.wrap(new byte[3])));
    assertEquals(0, next(decoder, ByteBuffer.wrap(new byte[1])).remaining());
    assertFalse(decoder.hasPartialFrame());
    // Even under a limit of 0.
    assertEquals(0, next(new FrameDecoder(0), ByteBuffer.wrap(new byte[4])).remaining());
  }

  @Test
  void shouldReadTheLengthBigEndianWhateverTheInputsByteOrder() {
    byte[] body = {0x11, 0x22, 0x33, 0x44, 0x55};
    byte[] stream = streamOf(List.of(body, new byte[300], body));
    for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
      ByteBuffer heap = ByteBuffer.wrap(stream).order(order);
      ByteBuffer direct = ByteBuffer.allocateDirect(stream.length).put(stream).flip().order(order);
      for (ByteBuffer in : new ByteBuffer[] {heap, direct}) {
        FrameDecoder decoder = new FrameDecoder(MAX);
        ByteBuffer f = next(decoder, in);
        assertEquals(5, f.remaining(), order + (in.isDirect() ? " direct" : " heap"));
        assertEquals(0x11223344, f.getInt(), "the frame reads big-endian: " + order);
        assertEquals(300, next(decoder, in).remaining(), order.toString());
        assertArrayEquals(body, bytesOf(next(decoder, in)), order.toString());
      }
    }
  }

  @Test
  void shouldHandAGatheredFrameBackBigEndian() {
    byte[] f = frame(new byte[] {0x11, 0x22, 0x33, 0x44});
    FrameDecoder decoder = new FrameDecoder(MAX);
    assertNull(next(decoder, ByteBuffer.wrap(f, 0, 6).order(ByteOrder.LITTLE_ENDIAN)));
    ByteBuffer frame = next(decoder, ByteBuffer.wrap(f, 6, 2).order(ByteOrder.LITTLE_ENDIAN));
    assertEquals(0x11223344, frame.getInt());
  }

  // ---- limits ----------------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(value = Feeding.class, names = {"WHOLE", "ONE_BYTE_AT_A_TIME", "READ_LOOP"})
  void shouldAcceptALengthExactlyAtTheLimit(Feeding feeding) {
    Random random = new Random(5);
    List<byte[]> bodies = List.of(body(random, 5000), body(random, 4999), body(random, 0));
    assertFrames(bodies,
        decode(feeding, new FrameDecoder(5000), streamOf(bodies), random), feeding.name());
  }

  @Test
  void shouldRejectALengthOneOverTheLimitNamingLengthAndLimit() {
    FrameDecoder decoder = new FrameDecoder(100);
    TooLongFrameException e = assertThrows(TooLongFrameException.class,
        () -> decoder.next(ByteBuffer.wrap(frame(new byte[101]))));
    assertEquals(101, e.length());
    assertEquals(100, e.limit());
    assertTrue(e.getMessage().startsWith("frame length 101 exceeds max frame size 100"),
        e.getMessage());
  }

  @Test
  void shouldRejectALengthAsSoonAsItsFourthByteArrives() {
    FrameDecoder decoder = new FrameDecoder(100);
    byte[] header = header(101);
    for (int i = 0; i < 3; i++) {
      assertNull(next(decoder, ByteBuffer.wrap(header, i, 1)));
    }
    TooLongFrameException e = assertThrows(TooLongFrameException.class,
        () -> decoder.next(ByteBuffer.wrap(header, 3, 1)), "no body byte needed");
    assertEquals(101, e.length());
  }

  @Test
  void shouldRejectLengthsFarOverTheLimitAsUnsignedValues() {
    long[] lengths = {MAX + 1L, 100L * MAX, 0x7FFFFFFFL, 0x80000000L, 0xFFFFFFFFL};
    for (long length : lengths) {
      for (boolean split : new boolean[] {false, true}) {
        FrameDecoder decoder = new FrameDecoder(MAX);
        byte[] header = header(length);
        if (split) {
          assertNull(next(decoder, ByteBuffer.wrap(header, 0, 2)));
        }
        ByteBuffer rest = ByteBuffer.wrap(header, split ? 2 : 0, split ? 2 : 4);
        TooLongFrameException e = assertThrows(TooLongFrameException.class,
            () -> decoder.next(rest));
        assertEquals(length, e.length(), "length " + length + (split ? " split" : ""));
        assertEquals(MAX, e.limit());
        assertTrue(e.getMessage().startsWith("frame length " + length
            + " exceeds max frame size " + MAX), e.getMessage());
      }
    }
    TooLongFrameException all = assertThrows(TooLongFrameException.class,
        () -> new FrameDecoder(MAX).next(ByteBuffer.wrap(header(0xFFFFFFFFL))));
    assertEquals(4294967295L, all.length(), "0xFFFFFFFF is read unsigned");
  }

  @Test
  void shouldRejectLengthOverLimitBeforeAllocating() {
    rejectMeasuringAllocation(new FrameDecoder(MAX), header(MAX + 1L), false); // warm-up
    for (long length : new long[] {MAX + 1L, 0x7FFFFFFFL, 0x80000000L, 0xFFFFFFFFL}) {
      for (boolean split : new boolean[] {false, true}) {
        long allocated = rejectMeasuringAllocation(new FrameDecoder(MAX), header(length), split);
        assertTrue(allocated < 64 * KIB, "refusing " + length + (split ? " (split)" : "")
            + " allocated " + allocated + " bytes, exception included");
      }
    }
  }

  /** Bytes allocated by the call that reads the last header byte and throws. */
  private static long rejectMeasuringAllocation(FrameDecoder decoder, byte[] header,
      boolean split) {
    if (split) {
      assertNull(decoder.next(ByteBuffer.wrap(header, 0, 3)));
    }
    ByteBuffer last = ByteBuffer.wrap(header, split ? 3 : 0, split ? 1 : 4);
    TooLongFrameException thrown = null;
    long before = Allocations.ofCurrentThread();
    try {
      decoder.next(last);
    } catch (TooLongFrameException e) {
      thrown = e;
    }
    long allocated = Allocations.ofCurrentThread() - before;
    assertNotNull(thrown, "over the limit");
    return allocated;
  }

  @Test
  void shouldNotAllocateTheAnnouncedLengthBeforeTheBytesArrive() {
    ByteBuffer warmUp = ByteBuffer.allocate(104).putInt(MAX).put(new byte[100]).flip();
    assertNull(new FrameDecoder(MAX).next(warmUp));

    FrameDecoder decoder = new FrameDecoder(MAX);
    ByteBuffer start = ByteBuffer.allocate(104).putInt(MAX).put(new byte[100]).flip();
    long before = Allocations.ofCurrentThread();
    ByteBuffer f = decoder.next(start);
    long allocated = Allocations.ofCurrentThread() - before;
    assertNull(f);
    assertTrue(decoder.hasPartialFrame());
    assertTrue(allocated < MIB, "16 MiB announced, 100 bytes sent: allocated " + allocated);
  }

  @Test
  void shouldNotAllocateAnythingLikeTheLengthEvenUnderTheLargestLimit() {
    FrameDecoder decoder = new FrameDecoder(Integer.MAX_VALUE);
    ByteBuffer start = ByteBuffer.allocate(104).putInt(Integer.MAX_VALUE).put(new byte[100]).flip();
    long before = Allocations.ofCurrentThread();
    assertNull(decoder.next(start));
    long allocated = Allocations.ofCurrentThread() - before;
    assertTrue(allocated < MIB, "2 GiB announced, 100 bytes sent: allocated " + allocated);
  }

  @Test
  void shouldGrowTheGatheringBufferWithTheBytesThatArrive() {
    int length = MAX;
    byte[] stream = new byte[4 + length];
    ByteBuffer.wrap(stream).putInt(length);
    for (int i = 0; i < length; i++) {
      stream[4 + i] = (byte) (i * 31 + (i >>> 13));
    }
    int piece = 64 * KIB;
    FrameDecoder decoder = new FrameDecoder(MAX);
    long before = Allocations.ofCurrentThread();
    for (int i = 0; i < 16; i++) { // 1 MiB of the 16 MiB announced
      assertNull(decoder.next(ByteBuffer.wrap(stream, i * piece, piece)));
    }
    long allocated = Allocations.ofCurrentThread() - before;
    assertTrue(allocated < 4 * MIB, "1 MiB of a 16 MiB frame arrived: allocated " + allocated);

    ByteBuffer frame = null;
    int pieces = (stream.length + piece - 1) / piece;
    for (int i = 16; i < pieces && frame == null; i++) {
      int from = i * piece;
      frame = decoder.next(ByteBuffer.wrap(stream, from, Math.min(piece, stream.length - from)));
    }
    assertNotNull(frame, "the frame completes with its last byte");
    assertEquals(length, frame.remaining());
    assertEquals(ByteBuffer.wrap(stream, 4, length), frame, "every byte of the 16 MiB frame");
    assertFalse(decoder.hasPartialFrame());
  }

  /** Feeds {@code frame} in 64 KiB pieces (split, so it is gathered) and returns it. */
  private static ByteBuffer gathered(FrameDecoder decoder, byte[] frame) {
    ByteBuffer out = null;
    for (int from = 0; from < frame.length; from += 64 * KIB) {
      assertNull(out, "the frame completed before its last piece");
      out = decoder.next(ByteBuffer.wrap(frame, from, Math.min(64 * KIB, frame.length - from)));
    }
    assertNotNull(out, "the frame completes with its last piece");
    return out;
  }

  @Test
  void shouldReuseOneGatheringBufferForAStreamOfLargeFrames() {
    Random random = new Random(5);
    byte[] first = body(random, MIB);
    byte[] second = body(random, MIB - 1000);
    FrameDecoder decoder = new FrameDecoder(MAX);
    ByteBuffer a = gathered(decoder, frame(first));
    byte[] arrayOfFirst = a.array();
    assertArrayEquals(first, bytesOf(a));
    assertEquals(arrayOfFirst.length, decoder.spareCapacity(), "kept for the next frame");

    byte[] secondFrame = frame(second);
    long before = Allocations.ofCurrentThread();
    ByteBuffer b = gathered(decoder, secondFrame);
    long allocated = Allocations.ofCurrentThread() - before;
    assertArrayEquals(second, bytesOf(b), "every byte of the second frame, none of the first");
    assertSame(arrayOfFirst, b.array(), "the second large frame reuses the first one's buffer");
    assertTrue(allocated < 64 * KIB, "a second 1 MiB frame allocated " + allocated);
  }

  @Test
  void shouldLetALargeGatheringBufferGoAtTheFirstSmallFrame() {
    Random random = new Random(6);
    for (boolean smallIsSplit : new boolean[] {false, true}) {
      FrameDecoder decoder = new FrameDecoder(MAX);
      byte[] arrayOfLarge = gathered(decoder, frame(body(random, MIB))).array();
      byte[] small = body(random, 100 * KIB); // under a quarter of 1 MiB
      ByteBuffer s = smallIsSplit ? gathered(decoder, frame(small))
          : decoder.next(ByteBuffer.wrap(frame(small)));
      assertArrayEquals(small, bytesOf(s));
      assertTrue(decoder.spareCapacity() < MIB, "the 1 MiB buffer was let go (small frame split: "
          + smallIsSplit + "), spare " + decoder.spareCapacity());
      assertNotSame(arrayOfLarge, gathered(decoder, frame(body(random, MIB))).array());
    }
  }

  @Test
  void shouldLetAKeptLargeBufferGoWhenAskedAndKeepASmallOne() {
    Random random = new Random(9);
    FrameDecoder decoder = new FrameDecoder(MAX);
    gathered(decoder, frame(body(random, MIB)));
    assertEquals(MIB, decoder.spareCapacity());
    assertEquals(MIB, decoder.releaseLargeSpare());
    assertEquals(0, decoder.spareCapacity());
    assertEquals(0, decoder.releaseLargeSpare());
    byte[] next = body(random, MIB);
    assertArrayEquals(next, bytesOf(gathered(decoder, frame(next))), "decodes on, with a new one");

    FrameDecoder small = new FrameDecoder(MAX);
    byte[] f = frame(body(random, 10 * KIB));
    small.next(ByteBuffer.wrap(f, 0, 5000));
    small.next(ByteBuffer.wrap(f, 5000, f.length - 5000));
    int spare = small.spareCapacity();
    assertTrue(spare > 0);
    assertEquals(0, small.releaseLargeSpare());
    assertEquals(spare, small.spareCapacity(), "a small spare stays");
  }

  @Test
  void shouldKeepASmallGatheringBufferAcrossWholeSmallFrames() {
    Random random = new Random(8);
    FrameDecoder decoder = new FrameDecoder(MAX);
    byte[] split = body(random, 10 * KIB);
    byte[] f = frame(split);
    assertNull(decoder.next(ByteBuffer.wrap(f, 0, 5000)));
    assertArrayEquals(split, bytesOf(decoder.next(ByteBuffer.wrap(f, 5000, f.length - 5000))));
    int spare = decoder.spareCapacity();
    assertTrue(spare > 0 && spare <= 64 * KIB, "a small spare: " + spare);
    byte[] whole = body(random, 100);
    assertArrayEquals(whole, bytesOf(decoder.next(ByteBuffer.wrap(frame(whole)))));
    assertEquals(spare, decoder.spareCapacity(), "a whole small frame keeps the small spare");
  }

  @Test
  void shouldNeverKeepAGatheringBufferLargerThanTheRetainLimit() {
    FrameDecoder decoder = new FrameDecoder(MAX);
    Random random = new Random(7);
    int over = FrameDecoder.RETAIN_LARGE_CAPACITY + 1;
    byte[] arrayOfFirst = gathered(decoder, frame(body(random, over))).array();
    assertEquals(0, decoder.spareCapacity());
    assertNotSame(arrayOfFirst, gathered(decoder, frame(body(random, over))).array());
  }

  @Test
  void shouldApplyARaisedLimitFromTheNextFrameOn() {
    Random random = new Random(13);
    byte[] handshake = body(random, 4 * KIB);
    byte[] message = body(random, 5000);
    ByteBuffer in = ByteBuffer.wrap(streamOf(List.of(handshake, message)));
    FrameDecoder decoder = new FrameDecoder(4 * KIB);
    decoder.limit(4 * KIB, "pre-handshake max frame size");
    assertEquals(4 * KIB, decoder.limit());
    assertArrayEquals(handshake, bytesOf(next(decoder, in)), "at the pre-handshake limit");
    decoder.limit(MAX, "max frame size");
    assertEquals(MAX, decoder.limit());
    assertArrayEquals(message, bytesOf(next(decoder, in)), "over 4 KiB once raised");
  }

  @Test
  void shouldNameThePreHandshakeLimitWhenAFrameBreaksIt() {
    FrameDecoder decoder = new FrameDecoder(MAX);
    decoder.limit(4 * KIB, "pre-handshake max frame size");
    TooLongFrameException e = assertThrows(TooLongFrameException.class,
        () -> decoder.next(ByteBuffer.wrap(frame(new byte[4 * KIB + 1]))));
    assertEquals(4 * KIB, e.limit());
    assertTrue(e.getMessage().startsWith(
        "frame length 4097 exceeds pre-handshake max frame size 4096"), e.getMessage());
  }

  @Test
  void shouldApplyANewLimitToAHeaderStillIncomplete() {
    FrameDecoder decoder = new FrameDecoder(MAX);
    byte[] f = frame(new byte[200]);
    assertNull(next(decoder, ByteBuffer.wrap(f, 0, 2)));
    decoder.limit(100, "lowered");
    TooLongFrameException e = assertThrows(TooLongFrameException.class,
        () -> decoder.next(ByteBuffer.wrap(f, 2, f.length - 2)));
    assertEquals(100, e.limit());
  }

  @Test
  void shouldFinishAFrameWhoseLengthWasAcceptedBeforeTheLimitChanged() {
    FrameDecoder decoder = new FrameDecoder(MAX);
    byte[] body = body(new Random(17), 200);
    byte[] f = frame(body);
    assertNull(next(decoder, ByteBuffer.wrap(f, 0, 10)));
    decoder.limit(100, "lowered");
    assertArrayEquals(body, bytesOf(next(decoder, ByteBuffer.wrap(f, 10, f.length - 10))));
    assertThrows(TooLongFrameException.class, () -> decoder.next(ByteBuffer.wrap(f)),
        "the next frame meets the new limit");
  }

  @Test
  void shouldRefuseANegativeLimitNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new FrameDecoder(-1));
    assertEquals("maxFrameLength < 0: -1", e.getMessage());
    FrameDecoder decoder = new FrameDecoder(100);
    assertThrows(IllegalArgumentException.class, () -> decoder.limit(Integer.MIN_VALUE, "x"));
    assertEquals(100, decoder.limit(), "a refused limit leaves the old one");
  }
}
