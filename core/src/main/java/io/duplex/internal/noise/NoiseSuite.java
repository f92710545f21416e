package io.duplex.internal.noise;

/**
 * The two Noise cipher functions duplex speaks, each with X25519 and SHA-256 (Noise Protocol
 * Framework, revision 34, section 12): the protocol name, the JDK's cipher for it and its nonce
 * encoding.
 */
public enum NoiseSuite {
  /** {@code Noise_XX_25519_ChaChaPoly_SHA256}: the nonce is 4 zero bytes, then n little-endian. */
  CHACHA_POLY("ChaChaPoly", "ChaCha20-Poly1305", false),
  /** {@code Noise_XX_25519_AESGCM_SHA256}: the nonce is 4 zero bytes, then n big-endian. */
  AES_GCM("AESGCM", "AES/GCM/NoPadding", true);

  private final String noiseName;
  private final String transformation;
  private final boolean bigEndianNonce;

  NoiseSuite(String noiseName, String transformation, boolean bigEndianNonce) {
    this.noiseName = noiseName;
    this.transformation = transformation;
    this.bigEndianNonce = bigEndianNonce;
  }

  /** The full protocol name, such as {@code Noise_XX_25519_ChaChaPoly_SHA256}. */
  public String protocolName() {
    return "Noise_XX_25519_" + noiseName + "_SHA256";
  }

  /** The JDK {@code Cipher} transformation. */
  String transformation() {
    return transformation;
  }

  /** Writes the 12-byte nonce for counter {@code n} into {@code out} (which it fills). */
  void nonce(long n, byte[] out) {
    out[0] = out[1] = out[2] = out[3] = 0;
    for (int i = 0; i < 8; i++) {
      out[bigEndianNonce ? 11 - i : 4 + i] = (byte) (n >>> (8 * i));
    }
  }

  /** The suite whose {@link #protocolName()} is {@code name}, or null. */
  public static NoiseSuite byProtocolName(String name) {
    for (NoiseSuite s : values()) {
      if (s.protocolName().equals(name)) {
        return s;
      }
    }
    return null;
  }
}
