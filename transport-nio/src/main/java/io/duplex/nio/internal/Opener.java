package io.duplex.nio.internal;

import io.duplex.internal.Records;
import io.duplex.internal.noise.CipherState;
import io.duplex.internal.noise.NoiseException;
import io.duplex.security.RecordException;
import java.nio.ByteBuffer;

/**
 * The receiving half of a secure connection: it cuts the bytes read into records, opens each
 * with its cipher state and hands its plaintext to the frame decoder. A record split across
 * reads waits in {@code partial} (allocated the first time one is). Read loop only.
 */
final class Opener {
  /** Plaintext of the record being decoded; valid until the next {@link #next} on the loop. */
  private static final ThreadLocal<ByteBuffer> PLAIN =
      ThreadLocal.withInitial(() -> ByteBuffer.allocate(Records.MAX_PLAINTEXT));
  /**
   * A record read into the loop's direct buffer, copied before it is opened: the JDK's
   * ChaCha20-Poly1305 opens a direct buffer through temporary arrays (some four times the record
   * in garbage, per record), a heap one in place.
   */
  private static final ThreadLocal<ByteBuffer> SEALED =
      ThreadLocal.withInitial(() -> ByteBuffer.allocate(Records.MAX_CIPHERTEXT));
  private static final byte[] NO_AD = new byte[0];

  private final CipherState state;
  private ByteBuffer partial; // a record's first bytes, read so far; null or empty if none

  Opener(CipherState state) {
    this.state = state;
  }

  /** Whether a record is partly read. */
  boolean hasPartialRecord() {
    return partial != null && partial.position() > 0;
  }

  /**
   * The plaintext of the next whole record in {@code src} (and what {@code partial} holds), or
   * null once {@code src} holds no whole record more (its rest is kept in {@code partial}).
   *
   * @throws RecordException if a record's length is impossible or it does not authenticate
   */
  ByteBuffer next(ByteBuffer src) {
    if (hasPartialRecord()) {
      if (!complete(src)) {
        return null;
      }
      partial.flip().position(Records.LENGTH_SIZE);
      ByteBuffer plain = open(partial);
      partial.clear();
      return plain;
    }
    if (src.remaining() < Records.LENGTH_SIZE) {
      keep(src);
      return null;
    }
    int length = length(src.getShort(src.position()));
    if (src.remaining() < Records.LENGTH_SIZE + length) {
      keep(src);
      return null;
    }
    // Copied out of the read buffer (the loop's direct one) first (see SEALED).
    ByteBuffer sealed = SEALED.get().clear();
    src.position(src.position() + Records.LENGTH_SIZE);
    int limit = src.limit();
    src.limit(src.position() + length);
    sealed.put(src).flip();
    src.limit(limit);
    return open(sealed);
  }

  /** Adds bytes of {@code src} to the partial record until it is whole; true if it is. */
  private boolean complete(ByteBuffer src) {
    if (partial.position() < Records.LENGTH_SIZE) {
      take(src, Records.LENGTH_SIZE - partial.position());
      if (partial.position() < Records.LENGTH_SIZE) {
        return false;
      }
    }
    int whole = Records.LENGTH_SIZE + length(partial.getShort(0));
    take(src, whole - partial.position());
    return partial.position() == whole;
  }

  private void keep(ByteBuffer src) {
    if (partial == null) {
      partial = ByteBuffer.allocate(Records.LENGTH_SIZE + Records.MAX_CIPHERTEXT);
    }
    partial.put(src);
  }

  private void take(ByteBuffer src, int n) {
    int k = Math.min(n, src.remaining());
    int limit = src.limit();
    src.limit(src.position() + k);
    partial.put(src);
    src.limit(limit);
  }

  private static int length(short field) {
    int length = field & 0xFFFF;
    if (length < Records.MIN_CIPHERTEXT) {
      throw new RecordException(RecordException.Reason.LENGTH, "record refused: its length "
          + length + " is below the smallest record (" + Records.MIN_CIPHERTEXT + " bytes: one"
          + " byte of plaintext and the tag); the peer is broken or the stream was altered");
    }
    return length;
  }

  /** Opens {@code sealed}'s remaining bytes, a heap buffer, into the loop's plaintext buffer. */
  private ByteBuffer open(ByteBuffer sealed) {
    ByteBuffer plain = PLAIN.get();
    plain.clear();
    Records.rekeyIfDue(state);
    try {
      int n = state.decryptWithAd(NO_AD, sealed.array(), sealed.arrayOffset() + sealed.position(),
          sealed.remaining(), plain.array(), 0);
      plain.limit(n);
      return plain;
    } catch (NoiseException e) {
      throw new RecordException(RecordException.Reason.AUTHENTICATION, "record refused: "
          + e.getMessage() + "; nothing of it is delivered and the connection closes", e);
    }
  }
}
