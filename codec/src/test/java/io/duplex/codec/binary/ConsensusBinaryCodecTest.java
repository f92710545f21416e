package io.duplex.codec.binary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.duplex.codec.Codecs;
import io.duplex.codec.CorruptedFrameException;
import io.duplex.codec.DecoderException;
import io.duplex.codec.EncoderException;
import io.duplex.codec.message.ConsensusMessage;
import io.duplex.codec.message.Proposal;
import io.duplex.codec.message.Status;
import io.duplex.codec.message.Vote;
import io.duplex.codec.message.VoteType;
import io.duplex.codec.testing.Allocations;
import io.duplex.codec.testing.Messages;
import io.duplex.codec.testing.Payloads;
import io.duplex.codec.testing.RecordingSink;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ConsensusBinaryCodecTest {
  private final ConsensusBinaryCodec codec = ConsensusBinaryCodec.instance();

  private static byte[] hex(String s) {
    return HexFormat.of().parseHex(s.replace(" ", ""));
  }

  private static void assertMentions(Exception e, String... words) {
    for (String word : words) {
      assertTrue(e.getMessage().contains(word), "'" + word + "' not in: " + e.getMessage());
    }
  }

  @Test
  void shouldBeOneNamedInstance() {
    assertSame(codec, ConsensusBinaryCodec.instance());
    assertEquals("consensus-binary/1", codec.name());
  }

  @Test
  void shouldRoundTripEveryMessageTypeFromEveryKindOfBuffer() {
    for (ConsensusMessage m : Messages.samples()) {
      byte[] bytes = Codecs.encode(codec, m);
      assertEquals(m, Codecs.decode(codec, bytes), m.toString());
      for (Map.Entry<String, ByteBuffer> view : Payloads.views(bytes).entrySet()) {
        ByteBuffer buffer = view.getValue();
        int position = buffer.position();
        assertEquals(m, codec.decode(buffer), view.getKey() + ": " + m);
        assertEquals(position, buffer.position(), view.getKey() + ": position moved");
      }
      ByteBuffer littleEndian = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
      assertEquals(m, codec.decode(littleEndian), "the caller's byte order does not matter");
    }
  }

  @Test
  void shouldWriteTheDocumentedLayout() {
    assertArrayEquals(hex("03 000000000000002A 0002 6E31"),
        Codecs.encode(codec, new Status(42, "n1")));
    assertArrayEquals(hex("02 0000000000000007 00000001 01 0002 6162 0001 76 FFFFFFFFFFFFFFFB"),
        Codecs.encode(codec, new Vote(7, 1, VoteType.PRECOMMIT, "ab", "v", -5)));
    assertArrayEquals(hex("01 0000000000000001 00000002 0001 70 0002 C3A9 00000003 0102FF"),
        Codecs.encode(codec, new Proposal(1, 2, "p", "é", new byte[] {1, 2, -1})));
    Vote typical = new Vote(7, 0, VoteType.PREVOTE, "ab".repeat(32), "validator-1", 1);
    assertEquals(101, Codecs.encode(codec, typical).length);
  }

  @Test
  void shouldRejectEveryTruncationOfEveryMessage() {
    for (ConsensusMessage m : Messages.samples()) { // the 256 KiB proposal too: every prefix
      byte[] bytes = Codecs.encode(codec, m);
      for (int n = 0; n < bytes.length; n++) {
        ByteBuffer prefix = ByteBuffer.wrap(bytes, 0, n);
        try {
          codec.decode(prefix);
          fail("a prefix of " + n + " of " + bytes.length + " bytes decoded: " + m);
        } catch (CorruptedFrameException expected) {
          if (!expected.getMessage().startsWith("truncated message: ")) {
            fail("prefix of " + n + " bytes: " + expected.getMessage());
          }
        } catch (RuntimeException e) {
          fail("prefix of " + n + " bytes of " + m + " threw " + e, e);
        }
      }
    }
  }

  @Test
  void shouldNameTheTruncatedField() {
    byte[] vote = Codecs.encode(codec, new Vote(1, 0, VoteType.PREVOTE, "hash", "v", 0));
    CorruptedFrameException e = assertThrows(CorruptedFrameException.class,
        () -> codec.decode(ByteBuffer.wrap(vote, 0, 18)));
    assertEquals("truncated message: blockHash needs 4 bytes at byte 16, only 2 left",
        e.getMessage());
    assertEquals("truncated message: tag needs 1 bytes at byte 0, only 0 left",
        assertThrows(CorruptedFrameException.class, () -> codec.decode(ByteBuffer.allocate(0)))
            .getMessage());
  }

  @Test
  void shouldRejectAnUnknownTagListingTheKnownOnes() {
    for (int tag : new int[] {0, 4, 0x7F, 0xFF}) {
      DecoderException e = assertThrows(DecoderException.class,
          () -> Codecs.decode(codec, new byte[] {(byte) tag, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
      assertEquals("unknown message tag " + tag + "; known tags: 1 (proposal), 2 (vote),"
          + " 3 (status)", e.getMessage());
    }
  }

  @Test
  void shouldRejectAHugeDeclaredLengthWithoutAllocatingIt() {
    for (long declared : new long[] {0xFFFFFFFFL, 0x7FFFFFFFL, 0x7FFFFFF0L, 1 << 20}) {
      ByteBuffer b = ByteBuffer.allocate(64);
      b.put((byte) 1).putLong(1).putInt(0).putShort((short) 1).put((byte) 'p')
          .putShort((short) 1).put((byte) 'h').putInt((int) declared).put(new byte[20]);
      byte[] payload = Arrays.copyOf(b.array(), b.position());
      long before = Allocations.ofCurrentThread();
      CorruptedFrameException e = assertThrows(CorruptedFrameException.class,
          () -> Codecs.decode(codec, payload));
      long allocated = Allocations.ofCurrentThread() - before;
      assertEquals("truncated message: block needs " + declared + " bytes at byte 23, only 20"
          + " left", e.getMessage());
      assertTrue(allocated < 256 * 1024, "allocated " + allocated + " bytes for " + declared);
    }
  }

  @Test
  void shouldRejectAStringLongerThanThePayload() {
    byte[] status = hex("03 0000000000000001 FFFF 6E");
    CorruptedFrameException e = assertThrows(CorruptedFrameException.class,
        () -> Codecs.decode(codec, status));
    assertEquals("truncated message: nodeId needs 65535 bytes at byte 11, only 1 left",
        e.getMessage());
  }

  @Test
  void shouldRejectTrailingBytes() {
    byte[] status = Codecs.encode(codec, new Status(1, "n"));
    for (int extra = 1; extra < 4; extra++) {
      byte[] longer = Arrays.copyOf(status, status.length + extra);
      CorruptedFrameException e = assertThrows(CorruptedFrameException.class,
          () -> Codecs.decode(codec, longer));
      assertEquals(extra + " bytes left over after a complete status of 12 bytes; a payload is"
          + " exactly one message", e.getMessage());
    }
  }

  @Test
  void shouldRejectAnUnknownVoteType() {
    byte[] vote = Codecs.encode(codec, new Vote(1, 0, VoteType.PREVOTE, "h", "v", 0));
    for (int type : new int[] {2, 5, 0xFF}) {
      vote[13] = (byte) type;
      DecoderException e = assertThrows(DecoderException.class, () -> Codecs.decode(codec, vote));
      assertEquals("unknown vote type " + type + "; known: 0 (PREVOTE), 1 (PRECOMMIT)",
          e.getMessage());
    }
  }

  @Test
  void shouldRejectInvalidUtf8StrictlyFromEveryKindOfBuffer() {
    String[] invalid = {"C3", "C0AF", "E080AF", "EDA080", "F4908080", "80", "FF", "E282"};
    for (String sequence : invalid) {
      byte[] utf8 = hex(sequence);
      ByteBuffer b = ByteBuffer.allocate(11 + utf8.length);
      b.put((byte) 3).putLong(1).putShort((short) utf8.length).put(utf8);
      for (Map.Entry<String, ByteBuffer> view : Payloads.views(b.array()).entrySet()) {
        DecoderException e = assertThrows(DecoderException.class,
            () -> codec.decode(view.getValue()), sequence + " in " + view.getKey());
        assertTrue(e.getMessage().startsWith("nodeId (" + utf8.length + " bytes at byte 11) is"
            + " not valid UTF-8"), e.getMessage());
      }
    }
  }

  @Test
  void shouldRejectFieldsTheMessageRefuses() {
    byte[] status = Codecs.encode(codec, new Status(1, "n"));
    status[1] = (byte) 0x80; // the sign bit of the height
    DecoderException height = assertThrows(DecoderException.class,
        () -> Codecs.decode(codec, status));
    assertEquals("invalid status: height < 0: " + (Long.MIN_VALUE + 1), height.getMessage());
    byte[] vote = Codecs.encode(codec, new Vote(1, 0, VoteType.PREVOTE, "h", "v", 0));
    vote[9] = (byte) 0xFF; // round becomes negative
    DecoderException round = assertThrows(DecoderException.class, () -> Codecs.decode(codec, vote));
    assertTrue(round.getMessage().startsWith("invalid vote: round < 0: "), round.getMessage());
  }

  @Test
  void shouldOnlyEverThrowDecoderExceptionsForCorruptedBytes() {
    Random random = new Random(99);
    int decoded = 0;
    for (int i = 0; i < 50_000; i++) {
      byte[] bytes = Codecs.encode(codec, Messages.random(random));
      int flips = 1 + random.nextInt(3);
      for (int f = 0; f < flips; f++) {
        bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
      }
      try {
        codec.decode(ByteBuffer.wrap(bytes));
        decoded++;
      } catch (DecoderException expected) {
        assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty());
      } catch (RuntimeException e) {
        fail("corrupted payload " + HexFormat.of().formatHex(bytes) + " threw " + e, e);
      }
    }
    assertTrue(decoded > 0 && decoded < 50_000, "some mutations stay valid: " + decoded);
  }

  @Test
  void shouldPassTheSinksSizeLimitThrough() {
    ConsensusMessage big = Messages.samples().get(Messages.samples().size() - 1);
    EncoderException e = assertThrows(EncoderException.class,
        () -> Codecs.encode(codec, big, 1024));
    assertTrue(e.getMessage().startsWith("message payload of more than 1024 bytes"),
        e.getMessage());
    assertNull(e.getCause());
  }

  @Test
  void shouldRefuseAStringItsLengthCannotSayBeforeWritingAnything() {
    RecordingSink sink = new RecordingSink(Integer.MAX_VALUE);
    EncoderException e = assertThrows(EncoderException.class,
        () -> codec.encode(new Vote(1, 0, VoteType.PREVOTE, "h", "é".repeat(40_000), 0), sink));
    assertEquals("voter is 80000 bytes of UTF-8, more than the 65535 its u16 length can say",
        e.getMessage());
    assertEquals(0, sink.size());
    Status longest = new Status(1, "x".repeat(0xFFFF));
    assertEquals(longest, Codecs.decode(codec, Codecs.encode(codec, longest)));
  }
}
