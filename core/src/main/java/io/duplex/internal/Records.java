package io.duplex.internal;

import io.duplex.internal.noise.CipherState;

/**
 * The record layer of the secure channel (docs/PROTOCOL.md, "Records"): after the handshake each
 * direction is a sequence of records, {@code u16 length, ciphertext}, each a Noise transport
 * message sealing up to {@link #MAX_PLAINTEXT} bytes of the frame stream. Frames run across
 * records freely; a record holds at least one byte of plaintext.
 */
public final class Records {
  private Records() {}

  /** Bytes in a record's length field. */
  public static final int LENGTH_SIZE = 2;
  /** The largest ciphertext a record holds: a Noise message's limit. */
  public static final int MAX_CIPHERTEXT = 65535;
  /** The most plaintext one record seals. */
  public static final int MAX_PLAINTEXT = MAX_CIPHERTEXT - CipherState.TAG_SIZE;
  /** The smallest ciphertext accepted: one byte of plaintext and the tag. */
  public static final int MIN_CIPHERTEXT = 1 + CipherState.TAG_SIZE;
  /**
   * Records per key: after this many records in one direction, both sides call {@code Rekey()}
   * on that direction's cipher state (sender before sealing, receiver before opening the record
   * whose nonce is a non-zero multiple of it).
   */
  public static final long REKEY_INTERVAL = 1L << 20;

  /** Rekeys {@code state} if its next nonce starts a new key period. */
  public static void rekeyIfDue(CipherState state) {
    long n = state.nonce();
    if (n != 0 && (n & (REKEY_INTERVAL - 1)) == 0) {
      state.rekey();
    }
  }
}
