package io.duplex.internal.noise;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.XECPrivateKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.security.spec.XECPrivateKeySpec;
import java.util.Arrays;
import javax.crypto.KeyAgreement;

/**
 * X25519 (RFC 7748) through the JDK's XDH: key pairs, the 32-byte public key encoding Noise puts
 * on the wire, and DH(). Nothing here computes a curve operation itself.
 */
public final class X25519 {
  /** Bytes in a public key, a private key and a shared secret. */
  public static final int KEY_SIZE = 32;

  /** The DER prefix of the JDK's X.509 encoding of an X25519 public key; the raw key follows. */
  private static final byte[] X509_PREFIX = {
      0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00};
  /** u = 9, the base point: DH(private, base point) is the public key. */
  private static final byte[] BASE_POINT = new byte[KEY_SIZE];

  static {
    BASE_POINT[0] = 9;
  }

  private X25519() {}

  /** A fresh key pair from the JDK's generator. */
  public static KeyPair generate() {
    try {
      return KeyPairGenerator.getInstance("X25519").generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no X25519; use JDK 17 or newer", e);
    }
  }

  /** The key pair of the 32-byte private key {@code scalar} (for fixed-key tests). */
  public static KeyPair fromPrivate(byte[] scalar) {
    if (scalar.length != KEY_SIZE) {
      throw new IllegalArgumentException("an X25519 private key is 32 bytes, not " + scalar.length);
    }
    try {
      KeyFactory factory = KeyFactory.getInstance("XDH");
      PrivateKey priv = factory.generatePrivate(
          new XECPrivateKeySpec(NamedParameterSpec.X25519, scalar.clone()));
      PublicKey pub = publicKey(dh(priv, BASE_POINT));
      return new KeyPair(pub, priv);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no X25519; use JDK 17 or newer", e);
    }
  }

  /** The 32-byte wire encoding of {@code key}. */
  public static byte[] encode(PublicKey key) {
    byte[] der = key.getEncoded();
    if (der.length != X509_PREFIX.length + KEY_SIZE
        || !Arrays.equals(der, 0, X509_PREFIX.length, X509_PREFIX, 0, X509_PREFIX.length)) {
      throw new IllegalArgumentException("not an X25519 public key: " + key.getAlgorithm());
    }
    return Arrays.copyOfRange(der, X509_PREFIX.length, der.length);
  }

  /** The public key whose wire encoding is {@code raw} (32 bytes). */
  public static PublicKey publicKey(byte[] raw) {
    if (raw.length != KEY_SIZE) {
      throw new NoiseException("an X25519 public key is 32 bytes, not " + raw.length);
    }
    byte[] der = Arrays.copyOf(X509_PREFIX, X509_PREFIX.length + KEY_SIZE);
    System.arraycopy(raw, 0, der, X509_PREFIX.length, KEY_SIZE);
    try {
      return KeyFactory.getInstance("XDH").generatePublic(new X509EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new NoiseException("the peer's X25519 public key is not valid", e);
    }
  }

  /**
   * DH(private, public): the 32-byte shared secret.
   *
   * @throws NoiseException if {@code publicRaw} is a small-order point (the secret would be all
   *     zeros: the JDK refuses it), or otherwise unusable
   */
  public static byte[] dh(PrivateKey priv, byte[] publicRaw) {
    try {
      KeyAgreement agreement = KeyAgreement.getInstance("XDH");
      agreement.init(priv);
      agreement.doPhase(publicKey(publicRaw), true);
      return agreement.generateSecret();
    } catch (InvalidKeyException e) {
      throw new NoiseException("the peer's X25519 public key is a small-order point or otherwise"
          + " unusable; a hostile or broken peer", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK's X25519 failed: " + e.getClass().getSimpleName(),
          e);
    }
  }

  /** Whether {@code priv} is an X25519 key with its scalar available (for tests). */
  static boolean hasScalar(PrivateKey priv) {
    return priv instanceof XECPrivateKey && ((XECPrivateKey) priv).getScalar().isPresent();
  }
}
