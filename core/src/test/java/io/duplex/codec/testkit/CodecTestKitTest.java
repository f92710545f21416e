package io.duplex.codec.testkit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.codec.ByteArrayCodec;
import io.duplex.codec.Codec;
import io.duplex.codec.DecoderException;
import io.duplex.codec.PayloadSink;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The kit passes a correct codec and catches each kind of broken one. */
class CodecTestKitTest {

  /** A correct codec of strings: UTF-8, copied out of the borrowed buffer. */
  private static class Strings implements Codec<String> {
    @Override
    public String name() {
      return "strings";
    }

    @Override
    public void encode(String message, PayloadSink sink) {
      sink.writeUtf8(message);
    }

    @Override
    public String decode(ByteBuffer payload) {
      byte[] bytes = new byte[payload.remaining()];
      payload.get(bytes);
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  private static final List<String> SAMPLES = List.of("", "a", "hello, peers", "ü€𝄞".repeat(50));

  @Test
  void aCorrectCodecPasses() {
    CodecTestKit.of(new Strings()).checkAll(SAMPLES);
    CodecTestKit.of(ByteArrayCodec.instance()).equality(Arrays::equals)
        .checkAll(List.of(new byte[0], new byte[] {1, 2, 3}, new byte[70_000]));
  }

  @Test
  void aCodecThatIgnoresThePositionIsCaught() {
    Codec<String> fromZero = new Strings() {
      @Override
      public String decode(ByteBuffer payload) {
        return new String(payload.array(), 0, payload.remaining(), StandardCharsets.UTF_8);
      }
    };
    AssertionError e = assertThrows(AssertionError.class,
        () -> CodecTestKit.of(fromZero).checkBorrowedBuffer("hello"));
    assertTrue(e.getMessage().contains("payload at an offset"), e.getMessage());
  }

  @Test
  void aCodecThatKeepsTheBorrowedBufferIsCaught() {
    Codec<CharSequence> keeps = new Codec<>() {
      @Override
      public String name() {
        return "keeps";
      }

      @Override
      public void encode(CharSequence message, PayloadSink sink) {
        sink.writeUtf8(message.toString());
      }

      @Override
      public CharSequence decode(ByteBuffer payload) {
        return new Lazy(payload.duplicate()); // reads the bytes later, not now
      }
    };
    AssertionError e = assertThrows(AssertionError.class, () -> CodecTestKit.of(keeps)
        .equality((a, b) -> a.toString().equals(b.toString())).checkBorrowedBuffer("hello"));
    assertTrue(e.getMessage().contains("overwritten"), e.getMessage());
  }

  /** A message that decodes its bytes only when read: the bug of keeping a borrowed buffer. */
  private record Lazy(ByteBuffer bytes) implements CharSequence {
    @Override
    public String toString() {
      return StandardCharsets.ISO_8859_1.decode(bytes.duplicate()).toString();
    }

    @Override
    public int length() {
      return toString().length();
    }

    @Override
    public char charAt(int index) {
      return toString().charAt(index);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return toString().subSequence(start, end);
    }
  }

  @Test
  void aCodecThatThrowsTheWrongExceptionOnBadInputIsCaught() {
    Codec<String> sloppy = new Strings() {
      @Override
      public String decode(ByteBuffer payload) {
        int n = payload.get(); // a length byte, unchecked: BufferUnderflowException on ""
        byte[] bytes = new byte[n]; // NegativeArraySizeException on a negative byte
        payload.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
      }

      @Override
      public void encode(String message, PayloadSink sink) {
        byte[] b = message.getBytes(StandardCharsets.UTF_8);
        sink.write(b.length);
        sink.write(b);
      }
    };
    AssertionError e = assertThrows(AssertionError.class,
        () -> CodecTestKit.of(sloppy).checkTruncationsAndGarbage("hello"));
    assertTrue(e.getMessage().contains("must throw DecoderException"), e.getMessage());
  }

  @Test
  void aCodecWithSharedStateIsCaught() {
    Codec<String> shared = new Strings() {
      private int calls; // per-call state in a field: a bug, whatever the threads do

      @Override
      public void encode(String message, PayloadSink sink) {
        sink.writeUtf8(calls++ == 0 ? message : message + " again");
      }
    };
    AssertionError e = assertThrows(AssertionError.class,
        () -> CodecTestKit.of(shared).checkConcurrentEncoding("a message long enough to race"));
    assertTrue(e.getMessage().contains("four threads"), e.getMessage());
  }

  @Test
  void aCodecThatLosesMessagesInTheStreamIsCaught() {
    Codec<String> dropsEmpty = new Strings() {
      @Override
      public String decode(ByteBuffer payload) {
        if (!payload.hasRemaining()) {
          throw new DecoderException("empty");
        }
        return super.decode(payload);
      }
    };
    AssertionError e = assertThrows(AssertionError.class,
        () -> CodecTestKit.of(dropsEmpty).checkByteAtATime(List.of("a", "", "b")));
    assertTrue(e.getMessage().contains("byte at a time"), e.getMessage());
  }

  @Test
  void aNameTooLongForTheHandshakeIsCaught() {
    Codec<String> longName = new Strings() {
      @Override
      public String name() {
        return "x".repeat(256);
      }
    };
    assertThrows(AssertionError.class, () -> CodecTestKit.of(longName).checkName());
  }
}
