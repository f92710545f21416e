package io.duplex.codec.binary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.codec.Codecs;
import io.duplex.codec.CorruptedFrameException;
import io.duplex.codec.DecoderException;
import io.duplex.codec.EncoderException;
import io.duplex.codec.message.Messages;
import io.duplex.codec.message.ConsensusMessage;
import io.duplex.codec.message.Status;
import io.duplex.codec.message.Vote;
import io.duplex.codec.message.VoteType;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ConsensusBinaryCodecTest {
  private final ConsensusBinaryCodec codec = ConsensusBinaryCodec.instance();

  @Test
  void shouldRoundTripEveryMessageType() {
    for (ConsensusMessage m : Messages.samples()) {
      byte[] bytes = Codecs.encode(codec, m);
      assertEquals(m, Codecs.decode(codec, bytes));
      // From a slice with an array offset, a direct buffer, and a read-only buffer.
      ByteBuffer padded = ByteBuffer.allocate(bytes.length + 10);
      padded.position(7);
      padded.put(bytes);
      padded.position(7).limit(7 + bytes.length);
      assertEquals(m, codec.decode(padded.slice()));
      assertEquals(m, codec.decode(ByteBuffer.allocateDirect(bytes.length).put(bytes).flip()));
      assertEquals(m, codec.decode(ByteBuffer.wrap(bytes).asReadOnlyBuffer()));
    }
  }

  @Test
  void shouldEncodeAVoteCompactly() {
    Vote v = new Vote(7, 0, VoteType.PREVOTE, "ab".repeat(32), "validator-1", 1);
    assertEquals(1 + 8 + 4 + 1 + 2 + 64 + 2 + 11 + 8, Codecs.encode(codec, v).length);
  }

  @Test
  void shouldRejectEveryTruncationWithATypedError() {
    for (ConsensusMessage m : Messages.samples()) {
      byte[] bytes = Codecs.encode(codec, m);
      int step = Math.max(1, bytes.length / 500);
      for (int n = 0; n < bytes.length; n += step) {
        byte[] cut = Arrays.copyOf(bytes, n);
        DecoderException e = assertThrows(DecoderException.class,
            () -> Codecs.decode(codec, cut), "prefix of " + n + " bytes of " + m);
        assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("tag"),
            e.getMessage());
      }
    }
  }

  @Test
  void shouldRejectAnUnknownTag() {
    DecoderException e = assertThrows(DecoderException.class,
        () -> Codecs.decode(codec, new byte[] {9, 0, 0}));
    assertTrue(e.getMessage().contains("unknown message tag 9"), e.getMessage());
    assertTrue(e.getMessage().contains("2 (vote)"), e.getMessage());
  }

  @Test
  void shouldRejectAHugeDeclaredLengthWithoutAllocatingIt() {
    ByteBuffer b = ByteBuffer.allocate(64);
    b.put((byte) 1).putLong(1).putInt(0).putShort((short) 1).put((byte) 'p')
        .putShort((short) 1).put((byte) 'h').putInt(0xFFFFFFFF);
    byte[] payload = Arrays.copyOf(b.array(), b.position());
    // Allocating first would throw NegativeArraySizeException (or OutOfMemoryError) instead.
    CorruptedFrameException e = assertThrows(CorruptedFrameException.class,
        () -> Codecs.decode(codec, payload));
    assertTrue(e.getMessage().contains("4294967295"), e.getMessage());
  }

  @Test
  void shouldRejectTrailingBytesBadVoteTypesAndInvalidUtf8() {
    byte[] status = Codecs.encode(codec, new Status(1, "n"));
    byte[] longer = Arrays.copyOf(status, status.length + 1);
    assertThrows(CorruptedFrameException.class, () -> Codecs.decode(codec, longer));

    byte[] vote = Codecs.encode(codec, new Vote(1, 0, VoteType.PREVOTE, "h", "v", 0));
    vote[13] = 5; // the vote type byte
    DecoderException bad = assertThrows(DecoderException.class, () -> Codecs.decode(codec, vote));
    assertTrue(bad.getMessage().contains("vote type 5"), bad.getMessage());

    byte[] utf8 = Codecs.encode(codec, new Status(1, "n"));
    utf8[utf8.length - 1] = (byte) 0xC3; // a lone lead byte
    DecoderException notUtf8 = assertThrows(DecoderException.class,
        () -> Codecs.decode(codec, utf8));
    assertTrue(notUtf8.getMessage().contains("UTF-8"), notUtf8.getMessage());

    byte[] negative = Codecs.encode(codec, new Status(1, "n"));
    negative[1] = (byte) 0x80; // height < 0
    DecoderException invalid = assertThrows(DecoderException.class,
        () -> Codecs.decode(codec, negative));
    assertTrue(invalid.getMessage().contains("height < 0"), invalid.getMessage());
  }

  @Test
  void shouldFailAnOversizedMessageWithTheSinksEncoderException() {
    EncoderException e = assertThrows(EncoderException.class,
        () -> Codecs.encode(codec, Messages.samples().get(4), 1024));
    assertTrue(e.getMessage().contains("1024"), e.getMessage());
    assertThrows(EncoderException.class,
        () -> Codecs.encode(codec, new Status(1, "x".repeat(70_000))));
  }
}
