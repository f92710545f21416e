package io.duplex.internal.noise;

import java.security.GeneralSecurityException;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A Noise CipherState (section 5.1): a key {@code k} and a 64-bit nonce counter {@code n}, over
 * the JDK's AEAD cipher for the suite. Not thread-safe: after {@code Split()} the write half owns
 * the sending state and the read half the receiving one, each on one thread at a time.
 */
public final class CipherState {
  /** Bytes in an authentication tag. */
  public static final int TAG_SIZE = 16;
  /** The nonce value Noise reserves (2^64 - 1): never used to encrypt a message. */
  private static final long MAX_NONCE = -1L;

  private final NoiseSuite suite;
  private final Cipher cipher;
  private final byte[] nonce = new byte[12];
  private byte[] key; // null while empty
  private SecretKeySpec keySpec;
  private long n;
  private boolean failed;

  public CipherState(NoiseSuite suite) {
    this.suite = suite;
    try {
      this.cipher = Cipher.getInstance(suite.transformation());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no " + suite.transformation() + " cipher,"
          + " which " + suite.protocolName() + " needs; use JDK 17 or newer", e);
    }
  }

  /** The suite this state encrypts with. */
  public NoiseSuite suite() {
    return suite;
  }

  /** InitializeKey(k): sets the key (copied) and resets the nonce to 0. */
  public void initializeKey(byte[] k) {
    if (k.length != 32) {
      throw new IllegalArgumentException("a Noise key is 32 bytes, not " + k.length);
    }
    destroy();
    key = k.clone();
    keySpec = new SecretKeySpec(key, suite == NoiseSuite.AES_GCM ? "AES" : "ChaCha20");
    n = 0;
  }

  /** HasKey(). */
  public boolean hasKey() {
    return key != null;
  }

  /** SetNonce(n). */
  public void setNonce(long nonce) {
    n = nonce;
  }

  /** The next nonce this state will use. */
  public long nonce() {
    return n;
  }

  /**
   * EncryptWithAd: encrypts {@code len} bytes of {@code in} at {@code off} into {@code out} at
   * {@code outOff}, returning the bytes written ({@code len + 16}); without a key, copies them.
   */
  public int encryptWithAd(byte[] ad, byte[] in, int off, int len, byte[] out, int outOff) {
    if (key == null && !failed) { // before any key (a handshake's first message): as is
      System.arraycopy(in, off, out, outOff, len);
      return len;
    }
    next(Cipher.ENCRYPT_MODE);
    try {
      if (ad.length > 0) {
        cipher.updateAAD(ad);
      }
      int written = cipher.doFinal(in, off, len, out, outOff);
      n++;
      return written;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK's " + suite.transformation() + " failed to"
          + " encrypt: " + e.getClass().getSimpleName(), e);
    }
  }

  /**
   * DecryptWithAd: decrypts {@code len} bytes of {@code in} at {@code off} into {@code out} at
   * {@code outOff}, returning the plaintext length; without a key, copies them.
   *
   * @throws NoiseException if the tag does not verify; the state is then unusable
   */
  public int decryptWithAd(byte[] ad, byte[] in, int off, int len, byte[] out, int outOff) {
    if (key == null && !failed) { // before any key (a handshake's first message): as is
      System.arraycopy(in, off, out, outOff, len);
      return len;
    }
    if (len < TAG_SIZE) {
      throw new NoiseException("a sealed message of " + len + " bytes is shorter than its "
          + TAG_SIZE + "-byte authentication tag");
    }
    next(Cipher.DECRYPT_MODE);
    try {
      if (ad.length > 0) {
        cipher.updateAAD(ad);
      }
      int written = cipher.doFinal(in, off, len, out, outOff);
      n++;
      return written;
    } catch (AEADBadTagException e) {
      throw badTag();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK's " + suite.transformation() + " failed to"
          + " decrypt: " + e.getClass().getSimpleName(), e);
    }
  }

  /**
   * Rekey(): the key becomes the first 32 bytes of ENCRYPT(k, 2^64 - 1, empty, 32 zero bytes);
   * the nonce is unchanged.
   */
  public void rekey() {
    byte[] next = new byte[32 + TAG_SIZE];
    init(Cipher.ENCRYPT_MODE, MAX_NONCE);
    try {
      cipher.doFinal(new byte[32], 0, 32, next, 0);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK's " + suite.transformation() + " failed to"
          + " rekey: " + e.getClass().getSimpleName(), e);
    }
    long keep = n;
    initializeKey(Arrays.copyOf(next, 32));
    Arrays.fill(next, (byte) 0);
    n = keep;
  }

  /** Forgets the key (zeroing this state's copy of it). */
  public void destroy() {
    if (key != null) {
      Arrays.fill(key, (byte) 0);
      key = null;
      keySpec = null;
    }
  }

  /** Inits the cipher for the next message at nonce {@code n}, which must not be the last. */
  private void next(int mode) {
    if (failed) {
      throw new NoiseException("this cipher state already refused a record; the connection is"
          + " closing");
    }
    if (n == MAX_NONCE) {
      throw new NoiseException("the nonce counter is exhausted (2^64 - 1 messages under one"
          + " key); the connection must be closed");
    }
    init(mode, n);
  }

  private void init(int mode, long nonceValue) {
    suite.nonce(nonceValue, nonce);
    AlgorithmParameterSpec params = suite == NoiseSuite.AES_GCM
        ? new GCMParameterSpec(TAG_SIZE * 8, nonce) : new IvParameterSpec(nonce);
    try {
      cipher.init(mode, keySpec, params);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK's " + suite.transformation() + " refused a key:"
          + " " + e.getClass().getSimpleName(), e);
    }
  }

  /**
   * A failed open ends the state: the connection it serves is closed, and the JDK's ChaCha20
   * refuses to be initialised twice with one key and nonce anyway.
   */
  private NoiseException badTag() {
    destroy();
    failed = true;
    return new NoiseException("authentication failed: the record was altered, replayed, reordered"
        + " or sealed under another key");
  }

  /** Never shows the key. */
  @Override
  public String toString() {
    return "CipherState[" + suite + (key == null ? ", empty" : ", n=" + Long.toUnsignedString(n))
        + "]";
  }
}
