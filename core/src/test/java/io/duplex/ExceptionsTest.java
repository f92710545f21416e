package io.duplex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.HandshakeException.Field;
import io.duplex.codec.CodecException;
import io.duplex.codec.CorruptedFrameException;
import io.duplex.codec.DecoderException;
import io.duplex.codec.EncoderException;
import io.duplex.codec.TooLongFrameException;
import org.junit.jupiter.api.Test;

class ExceptionsTest {

  @Test
  void shouldFollowNettysCodecExceptionTree() {
    TooLongFrameException tooLong = new TooLongFrameException(5, 4, "limit");
    assertInstanceOf(DecoderException.class, tooLong);
    assertInstanceOf(DecoderException.class, new CorruptedFrameException("x"));
    assertInstanceOf(CodecException.class, new DecoderException("x"));
    assertInstanceOf(CodecException.class, new EncoderException("x"));
    assertInstanceOf(DuplexException.class, new CodecException("x"));
    assertInstanceOf(DuplexException.class, new HandshakeException(Field.FORMAT, "x"));
    assertInstanceOf(DuplexException.class, new BackpressureException(1, 2, 3));
  }

  @Test
  void shouldCarryTheLengthAndLimitOfATooLongFrame() {
    TooLongFrameException e = new TooLongFrameException(0xFFFFFFFFL, 16 << 20, "max frame size");
    assertEquals(4294967295L, e.length());
    assertEquals(16 << 20, e.limit());
    assertTrue(e.getMessage().startsWith("frame length 4294967295 exceeds max frame size 16777216"),
        e.getMessage());
  }

  @Test
  void shouldNameTheMismatchedFieldAndBothValues() {
    HandshakeException e = HandshakeException.mismatch(Field.NETWORK_ID, "main", "test");
    assertEquals(Field.NETWORK_ID, e.field());
    assertTrue(e.getMessage().startsWith(
        "handshake failed: network id differs (ours 'main', peer's 'test')"), e.getMessage());
    assertTrue(HandshakeException.mismatch(Field.CODEC, "json", "bytes").getMessage()
        .startsWith("handshake failed: codec differs (ours 'json', peer's 'bytes')"));
    Throwable cause = new IllegalStateException();
    assertSame(cause, new HandshakeException(Field.TIMEOUT, "late", cause).getCause());
  }

  @Test
  void shouldTellWhatABackpressureRefusalWasAbout() {
    BackpressureException e = new BackpressureException(1000, 200, 1100);
    assertEquals(1000, e.pendingBytes());
    assertEquals(200, e.frameBytes());
    assertEquals(1100, e.hardLimit());
    assertTrue(e.getMessage().startsWith("send refused: 1000 bytes already queued + 200 bytes of"
        + " frame exceeds the outbound hard limit 1100"), e.getMessage());
    assertTrue(e.getMessage().contains("raise outboundHardLimit"), e.getMessage());
  }
}
