package io.duplex.codec.testkit;

import io.duplex.codec.Codec;
import io.duplex.codec.Codecs;
import io.duplex.codec.DecoderException;
import io.duplex.codec.FrameDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;

/**
 * Checks a {@link io.duplex.codec.Codec} against the codec contract, for codec authors. It needs
 * no test framework: every check throws an {@link AssertionError} that names the message and
 * what went wrong, so it works from JUnit, TestNG or a {@code main}.
 *
 * <pre>{@code
 * CodecTestKit.of(new GossipCodec())
 *     .equality(Gossip::sameAs)            // only if equals() is not value equality
 *     .checkAll(List.of(new Heartbeat("a", 7, 1), new Rumor(1, 0, "hello")));
 * }</pre>
 *
 * <p>What {@link #checkAll} checks, each also callable alone:
 * <ul>
 *   <li>{@link #checkName}: the name fits the handshake (1 to 255 bytes of UTF-8).</li>
 *   <li>{@link #checkRoundTrip}: decode(encode(m)) equals m.</li>
 *   <li>{@link #checkBorrowedBuffer}: decode reads only the payload's remaining bytes (the
 *       payload sits at an offset, between junk bytes) and keeps none of them (the buffer is
 *       overwritten after the call, as a read loop would, and the message must not change).</li>
 *   <li>{@link #checkByteAtATime}: the messages, framed with the length prefix, fed to a {@link
 *       FrameDecoder} one byte at a time, come out whole and in order.</li>
 *   <li>{@link #checkTruncationsAndGarbage}: every strict prefix of a payload, and random
 *       garbage, either decodes or throws {@link DecoderException}; any other exception is a bug
 *       (the transport closes the connection either way, but only a {@code DecoderException}
 *       says why).</li>
 *   <li>{@link #checkConcurrentEncoding}: four threads encoding at once produce the same bytes
 *       as one (a codec is shared by every sender of a transport).</li>
 * </ul>
 *
 * <p>Shipped in the {@code duplex-core} test-jar ({@code <type>test-jar</type>}).
 *
 * @param <T> the codec's message type
 */
public final class CodecTestKit<T> {
  private final Codec<T> codec;
  private BiPredicate<T, T> equality = Objects::equals;
  private int garbageSamples = 2_000;

  private CodecTestKit(Codec<T> codec) {
    this.codec = Objects.requireNonNull(codec, "codec");
  }

  /** A kit for {@code codec}, comparing messages with {@code equals}. */
  public static <T> CodecTestKit<T> of(Codec<T> codec) {
    return new CodecTestKit<>(codec);
  }

  /**
   * How to compare a decoded message with the original, for types whose {@code equals} is not
   * value equality (for example a record with a {@code byte[]} component).
   */
  public CodecTestKit<T> equality(BiPredicate<T, T> equality) {
    this.equality = Objects.requireNonNull(equality, "equality");
    return this;
  }

  /** How many random garbage payloads {@link #checkTruncationsAndGarbage} tries (default 2000). */
  public CodecTestKit<T> garbageSamples(int count) {
    if (count < 0) {
      throw new IllegalArgumentException("garbage samples must be 0 or more, not " + count);
    }
    this.garbageSamples = count;
    return this;
  }

  /** Runs every check on every sample; {@code samples} should cover each message type. */
  public void checkAll(List<T> samples) {
    if (samples.isEmpty()) {
      throw new IllegalArgumentException("give at least one sample message");
    }
    checkName();
    for (T m : samples) {
      checkRoundTrip(m);
      checkBorrowedBuffer(m);
      checkTruncationsAndGarbage(m);
      checkConcurrentEncoding(m);
    }
    checkByteAtATime(samples);
  }

  /** The codec's name is 1 to 255 bytes of UTF-8. */
  public void checkName() {
    String name = codec.name();
    int bytes = name == null ? 0 : name.getBytes(StandardCharsets.UTF_8).length;
    if (bytes < 1 || bytes > 255) {
      throw new AssertionError("codec name must be 1 to 255 bytes of UTF-8 for the handshake,"
          + " was " + (name == null ? "null" : bytes + " bytes: " + name));
    }
  }

  /** decode(encode(message)) equals message. */
  public void checkRoundTrip(T message) {
    byte[] payload = encode(message);
    T decoded = decode(ByteBuffer.wrap(payload), message, "round trip");
    same(message, decoded, "round trip");
  }

  /** Decoding reads only the remaining bytes and keeps no reference to them. */
  public void checkBorrowedBuffer(T message) {
    byte[] payload = encode(message);
    byte[] framed = new byte[payload.length + 14];
    Arrays.fill(framed, (byte) 0xA5);
    System.arraycopy(payload, 0, framed, 7, payload.length);
    ByteBuffer borrowed = ByteBuffer.wrap(framed, 7, payload.length).slice();
    T decoded = decode(borrowed, message, "payload at an offset between junk bytes");
    same(message, decoded, "payload at an offset between junk bytes");
    Arrays.fill(framed, (byte) 0x5A); // the read loop reuses its buffer
    same(message, decoded, "after the borrowed buffer was overwritten (copy what you keep)");
  }

  /** Framed messages fed one byte at a time come out whole and in order. */
  public void checkByteAtATime(List<T> messages) {
    List<byte[]> payloads = new ArrayList<>();
    int total = 0;
    int largest = 0;
    for (T m : messages) {
      byte[] p = encode(m);
      payloads.add(p);
      total += FrameDecoder.LENGTH_SIZE + p.length;
      largest = Math.max(largest, p.length);
    }
    ByteBuffer stream = ByteBuffer.allocate(total);
    for (byte[] p : payloads) {
      stream.putInt(p.length).put(p);
    }
    FrameDecoder frames = new FrameDecoder(Math.max(1, largest));
    byte[] all = stream.array();
    int next = 0;
    for (int i = 0; i < all.length; i++) {
      ByteBuffer oneByte = ByteBuffer.wrap(all, i, 1);
      ByteBuffer frame;
      while ((frame = frames.next(oneByte)) != null) {
        if (next == messages.size()) {
          throw new AssertionError("more frames than messages after byte " + i);
        }
        T expected = messages.get(next);
        same(expected, decode(frame, expected, "byte at a time"), "byte at a time, message "
            + next);
        next++;
      }
    }
    if (next != messages.size()) {
      throw new AssertionError("byte at a time: " + next + " of " + messages.size()
          + " messages came out of " + all.length + " bytes");
    }
  }

  /** Truncated payloads and random bytes decode or throw {@link DecoderException}, nothing else. */
  public void checkTruncationsAndGarbage(T message) {
    byte[] payload = encode(message);
    int step = Math.max(1, payload.length / 512); // every prefix of small payloads
    for (int n = 0; n < payload.length; n += step) {
      tryDecode(Arrays.copyOf(payload, n), "its first " + n + " of " + payload.length
          + " bytes of " + message);
    }
    SplittableRandom random = new SplittableRandom(payload.length);
    for (int i = 0; i < garbageSamples; i++) {
      byte[] garbage = i % 2 == 0 ? new byte[random.nextInt(Math.max(2, payload.length * 2))]
          : payload.clone();
      if (i % 2 == 0) {
        random.nextBytes(garbage);
      } else if (garbage.length > 0) {
        garbage[random.nextInt(garbage.length)] = (byte) random.nextInt(256); // one flipped byte
      }
      tryDecode(garbage, "garbage sample " + i + " (" + garbage.length + " bytes)");
    }
  }

  /** Four threads encoding {@code message} at once produce the bytes one thread does. */
  public void checkConcurrentEncoding(T message) {
    byte[] expected = encode(message);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<byte[]>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        results.add(pool.submit(() -> {
          byte[] last = null;
          for (int i = 0; i < 500; i++) {
            byte[] b = Codecs.encode(codec, message);
            if (!Arrays.equals(expected, b)) {
              return b;
            }
            last = b;
          }
          return last;
        }));
      }
      for (Future<byte[]> f : results) {
        byte[] b = f.get(30, TimeUnit.SECONDS);
        if (!Arrays.equals(expected, b)) {
          throw new AssertionError("encoding " + message + " on four threads at once gave"
              + " different bytes than on one: the codec keeps per-call state in a field");
        }
      }
    } catch (AssertionError e) {
      throw e;
    } catch (Exception e) {
      throw new AssertionError("encoding " + message + " on four threads failed: " + e, e);
    } finally {
      pool.shutdownNow();
    }
  }

  private byte[] encode(T message) {
    try {
      return Codecs.encode(codec, message);
    } catch (RuntimeException e) {
      throw new AssertionError("encoding " + message + " failed: " + e, e);
    }
  }

  private T decode(ByteBuffer payload, T original, String check) {
    try {
      T decoded = codec.decode(payload);
      if (decoded == null) {
        throw new AssertionError(check + ": decode returned null for " + original
            + "; a codec returns a message or throws DecoderException");
      }
      return decoded;
    } catch (RuntimeException e) {
      throw new AssertionError(check + ": decoding " + original + " failed: " + e, e);
    }
  }

  private void tryDecode(byte[] bytes, String what) {
    try {
      codec.decode(ByteBuffer.wrap(bytes));
    } catch (DecoderException expected) {
      // The contract: bad bytes are a DecoderException.
    } catch (RuntimeException | StackOverflowError e) {
      throw new AssertionError("decoding " + what + " threw " + e + "; bad input must throw"
          + " DecoderException (or a subclass), so the peer's connection closes with a reason",
          e);
    }
  }

  private void same(T expected, T actual, String check) {
    if (!equality.test(expected, actual)) {
      throw new AssertionError(check + ": expected " + expected + " but got " + actual);
    }
  }
}
