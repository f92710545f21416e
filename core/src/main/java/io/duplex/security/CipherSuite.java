package io.duplex.security;

/**
 * The cipher that seals a secure connection's handshake and records. Both Noise protocols use
 * X25519 and SHA-256 and differ only in the AEAD; both sides of a connection must use the same
 * one (a mismatch fails the handshake on both sides, naming the two). Every cipher here comes
 * from the JDK.
 */
public enum CipherSuite {
  /** {@code Noise_XX_25519_ChaChaPoly_SHA256}: ChaCha20-Poly1305. */
  CHACHA20_POLY1305(1, "Noise_XX_25519_ChaChaPoly_SHA256"),
  /** {@code Noise_XX_25519_AESGCM_SHA256}: AES-256-GCM. */
  AES_256_GCM(2, "Noise_XX_25519_AESGCM_SHA256");

  private final int code;
  private final String protocolName;

  CipherSuite(int code, String protocolName) {
    this.code = code;
    this.protocolName = protocolName;
  }

  /** The suite's byte in the connection preface (docs/PROTOCOL.md). */
  public int code() {
    return code;
  }

  /** The Noise protocol name, such as {@code Noise_XX_25519_ChaChaPoly_SHA256}. */
  public String protocolName() {
    return protocolName;
  }

  /** The suite whose preface byte is {@code code}, or null if there is none. */
  public static CipherSuite ofCode(int code) {
    for (CipherSuite s : values()) {
      if (s.code == code) {
        return s;
      }
    }
    return null;
  }
}
