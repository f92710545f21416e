package io.duplex.internal.noise;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A Noise SymmetricState (section 5.2) with SHA-256: the chaining key {@code ck}, the handshake
 * hash {@code h} and a {@link CipherState}. HKDF is HMAC-SHA256 as section 4.3 defines it.
 */
final class SymmetricState {
  static final int HASH_LEN = 32;

  private final NoiseSuite suite;
  private final CipherState cipher;
  private byte[] ck;
  private byte[] h;

  /** InitializeSymmetric(protocol_name). */
  SymmetricState(NoiseSuite suite) {
    this.suite = suite;
    this.cipher = new CipherState(suite);
    byte[] name = suite.protocolName().getBytes(StandardCharsets.US_ASCII);
    h = name.length <= HASH_LEN ? Arrays.copyOf(name, HASH_LEN) : sha256(name);
    ck = h.clone();
  }

  void mixKey(byte[] ikm) {
    byte[][] out = hkdf(ck, ikm, 2);
    ck = out[0];
    cipher.initializeKey(out[1]);
    Arrays.fill(out[1], (byte) 0);
  }

  void mixHash(byte[] data) {
    MessageDigest d = digest();
    d.update(h);
    d.update(data);
    h = d.digest();
  }

  /** EncryptAndHash: the ciphertext (or the plaintext, before any key) mixed into h. */
  byte[] encryptAndHash(byte[] plaintext) {
    byte[] out = new byte[plaintext.length + (cipher.hasKey() ? CipherState.TAG_SIZE : 0)];
    cipher.encryptWithAd(h, plaintext, 0, plaintext.length, out, 0);
    mixHash(out);
    return out;
  }

  /** DecryptAndHash over {@code len} bytes of {@code in} at {@code off}. */
  byte[] decryptAndHash(byte[] in, int off, int len) {
    int tag = cipher.hasKey() ? CipherState.TAG_SIZE : 0;
    if (len < tag) {
      throw new NoiseException("a handshake field of " + len + " bytes is shorter than its tag");
    }
    byte[] ciphertext = Arrays.copyOfRange(in, off, off + len);
    byte[] out = new byte[len - tag];
    cipher.decryptWithAd(h, ciphertext, 0, len, out, 0);
    mixHash(ciphertext);
    return out;
  }

  boolean hasKey() {
    return cipher.hasKey();
  }

  byte[] handshakeHash() {
    return h.clone();
  }

  /** Split(): the initiator's sending state first, then the responder's. */
  CipherState[] split() {
    byte[][] out = hkdf(ck, new byte[0], 2);
    CipherState c1 = new CipherState(suite);
    CipherState c2 = new CipherState(suite);
    c1.initializeKey(out[0]);
    c2.initializeKey(out[1]);
    Arrays.fill(out[0], (byte) 0);
    Arrays.fill(out[1], (byte) 0);
    destroy();
    return new CipherState[] {c1, c2};
  }

  /** Forgets the chaining key and the handshake cipher's key. */
  void destroy() {
    Arrays.fill(ck, (byte) 0);
    cipher.destroy();
  }

  /** HKDF(chaining_key, input_key_material, num_outputs) with HMAC-SHA256. */
  static byte[][] hkdf(byte[] chainingKey, byte[] ikm, int outputs) {
    byte[] temp = hmac(chainingKey, ikm);
    byte[][] out = new byte[outputs][];
    byte[] previous = new byte[0];
    for (int i = 0; i < outputs; i++) {
      byte[] input = Arrays.copyOf(previous, previous.length + 1);
      input[previous.length] = (byte) (i + 1);
      out[i] = hmac(temp, input);
      previous = out[i];
    }
    Arrays.fill(temp, (byte) 0);
    return out;
  }

  private static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no HmacSHA256", e);
    }
  }

  private static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no SHA-256", e);
    }
  }

  private static byte[] sha256(byte[] data) {
    return digest().digest(data);
  }
}
