package io.duplex.nio.internal;

import io.duplex.internal.Records;
import io.duplex.internal.noise.CipherState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * The sending half of a secure connection: its cipher state, which seals gathered plaintext into
 * records, and the sealed bytes the socket did not take yet. Belongs to the write role holder
 * (the compare-and-set that hands the role over orders its fields); installed by the holder when
 * the last plaintext handshake frame is written.
 *
 * <p>A sealed byte is committed: it goes out before anything sealed later, and is never sealed
 * again; the frames it came from count as written once the whole record is written (see {@link
 * SocketWriter}). {@code pending} holds at most one gather of records
 * ({@link #GATHER} bytes of plaintext, sealed), allocated the first time the socket fills.
 */
final class Sealer {
  /** Plaintext sealed per write system call: one full record. */
  static final int GATHER = Records.MAX_PLAINTEXT;

  /**
   * The sealed record, per writing thread. Heap, not direct: the JDK's ciphers run fastest on
   * arrays (through a direct buffer, ChaCha20 copies the record to the heap first, and AES-GCM
   * is a third slower: docs/benchmarks/aead-and-tls.md); the channel copies it out once.
   */
  private static final ThreadLocal<ByteBuffer> SEALED = ThreadLocal.withInitial(
      () -> ByteBuffer.allocate(Records.LENGTH_SIZE + Records.MAX_CIPHERTEXT));

  private static final byte[] NO_AD = new byte[0];
  /** Where the holder gathers plaintext to seal, per writing thread (heap, as {@link #SEALED}). */
  private static final ThreadLocal<ByteBuffer> PLAIN =
      ThreadLocal.withInitial(() -> ByteBuffer.allocate(GATHER));

  /** This thread's plaintext gather buffer. */
  static ByteBuffer plainBuffer() {
    return PLAIN.get();
  }

  private final CipherState state;
  private final SocketChannel channel;
  private ByteBuffer pending; // sealed bytes not yet written: flipped, or null/empty

  Sealer(CipherState state, SocketChannel channel) {
    this.state = state;
    this.channel = channel;
  }

  /** Whether sealed bytes wait for the socket. */
  boolean hasPending() {
    return pending != null && pending.hasRemaining();
  }

  /** Writes the sealed bytes that wait; true once none is left. */
  boolean writePending() throws IOException {
    channel.write(pending);
    return !pending.hasRemaining();
  }

  /**
   * Seals {@code plain}'s remaining bytes (at most {@link #GATHER}; a heap buffer) as one record
   * and writes it; what the socket does not take waits in {@code pending}. Returns true if all
   * was written.
   */
  boolean sealAndWrite(ByteBuffer plain) throws IOException {
    ByteBuffer out = SEALED.get();
    Records.rekeyIfDue(state);
    int n = plain.remaining();
    byte[] sealed = out.array();
    sealed[0] = (byte) ((n + CipherState.TAG_SIZE) >>> 8);
    sealed[1] = (byte) (n + CipherState.TAG_SIZE);
    int length = state.encryptWithAd(NO_AD, plain.array(), plain.arrayOffset() + plain.position(),
        n, sealed, Records.LENGTH_SIZE);
    plain.position(plain.limit());
    out.clear().limit(Records.LENGTH_SIZE + length);
    channel.write(out);
    if (!out.hasRemaining()) {
      return true;
    }
    if (pending == null) {
      pending = ByteBuffer.allocate(out.capacity());
    }
    pending.clear();
    pending.put(out).flip();
    return false;
  }

  /** Forgets the key. Role holder, at the end. */
  void destroy() {
    state.destroy();
  }
}
