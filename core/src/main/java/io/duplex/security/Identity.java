package io.duplex.security;

import io.duplex.NodeId;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.SecureRandomSpi;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A node's identity: an Ed25519 key pair (RFC 8032). Its {@link #nodeId() node id} is the first
 * 20 bytes of the SHA-256 of the 32-byte raw public key, as a CometBFT address is.
 *
 * <p>Make one with {@link #generate()}, keep it in a key file with {@link #save(Path)} and read it
 * back with {@link #load(Path)}, or do both with {@link #loadOrGenerate(Path)}. The key file is
 * PEM PKCS#8, the format {@code openssl genpkey -algorithm ed25519} writes, and must be readable
 * and writable by its owner only. {@link #fromSeed(byte[])} makes the identity of a known seed,
 * for tests and documented transcripts.
 *
 * <p>Every operation is the JDK's own ({@code java.security}: Ed25519, SHA-256, PKCS#8 and X.509
 * key encodings). {@link #toString()} and every message name the node id, never key material.
 *
 * <p>Immutable and safe to share between threads: {@link #sign(byte[])} creates a {@link
 * Signature} per call, so any number of threads may sign with one identity at once.
 */
public final class Identity {
  /** The bytes of an Ed25519 seed (private key) and of a raw public key. */
  static final int KEY_LENGTH = 32;
  /** The bytes of an Ed25519 signature. */
  static final int SIGNATURE_LENGTH = 64;
  /** The bytes of a node id: the first 20 of the public key's SHA-256. */
  static final int NODE_ID_LENGTH = 20;

  private static final String ALGORITHM = "Ed25519";
  /** The JDK's PKCS#8 encoding of an Ed25519 private key is this prefix and the 32-byte seed. */
  private static final byte[] PKCS8_PREFIX =
      HexFormat.of().parseHex("302e020100300506032b657004220420");
  /** The JDK's X.509 encoding of an Ed25519 public key is this prefix and the 32-byte key. */
  private static final byte[] X509_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

  private final PrivateKey privateKey;
  private final byte[] publicKey;
  private final NodeId nodeId;

  private Identity(KeyPair pair) {
    this.privateKey = pair.getPrivate();
    this.publicKey = rawPublicKey(pair.getPublic());
    this.nodeId = nodeIdOf(publicKey);
  }

  /** A new identity: a fresh key pair from the JDK's Ed25519 generator and its SecureRandom. */
  public static Identity generate() {
    try {
      return new Identity(KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair());
    } catch (NoSuchAlgorithmException e) {
      throw noEd25519(e);
    }
  }

  /**
   * The identity whose private key is the 32-byte RFC 8032 seed {@code seed32}: the same seed
   * always gives the same keys. For fixed-key tests and documented transcripts; a node's own key
   * comes from {@link #generate()}. IllegalArgumentException if the seed is not 32 bytes.
   */
  public static Identity fromSeed(byte[] seed32) {
    if (seed32.length != KEY_LENGTH) {
      throw new IllegalArgumentException(
          "an Ed25519 seed must be " + KEY_LENGTH + " bytes: " + seed32.length + " bytes");
    }
    byte[] pkcs8 = new byte[PKCS8_PREFIX.length + KEY_LENGTH];
    System.arraycopy(PKCS8_PREFIX, 0, pkcs8, 0, PKCS8_PREFIX.length);
    System.arraycopy(seed32, 0, pkcs8, PKCS8_PREFIX.length, KEY_LENGTH);
    try {
      return of(keyFactory().generatePrivate(new PKCS8EncodedKeySpec(pkcs8)));
    } catch (InvalidKeySpecException e) {
      throw new IllegalStateException("the JDK refused its own PKCS#8 form of an Ed25519 key", e);
    }
  }

  /**
   * The identity in the PEM key file {@code file} ({@code -----BEGIN PRIVATE KEY-----}, base64
   * PKCS#8, {@code -----END PRIVATE KEY-----}, as {@link #save(Path)} and {@code openssl genpkey
   * -algorithm ed25519} write it; CRLF line ends and surrounding whitespace are fine).
   *
   * <p>Where the file system has POSIX permissions, a file that its group or other users may read
   * or write is refused: run {@code chmod 600} on it. KeyFileException, with a message that names
   * the file and says what to do, if the file is missing, unreadable, open to others, not PEM, a
   * PEM of another type, not an Ed25519 key, or corrupt.
   */
  public static Identity load(Path file) {
    return of(KeyFiles.readPrivateKey(file));
  }

  /**
   * Writes this identity's private key to the new file {@code file}, in the PEM format {@link
   * #load(Path)} reads (64-character base64 lines), creating missing parent directories.
   *
   * <p>Where the file system has POSIX permissions, the file is created readable and writable by
   * its owner only ({@code rw-------}); elsewhere it gets the directory's defaults. The key is
   * written to a temporary file in the same directory, flushed to disk and then moved into place
   * in one step, so a reader never sees half a key. KeyFileException if {@code file} already
   * exists (this never overwrites a key) or cannot be written.
   */
  public void save(Path file) {
    KeyFiles.writePrivateKey(file, privateKey);
  }

  /**
   * The identity in {@code file} if it exists ({@link #load(Path)}), otherwise a new one ({@link
   * #generate()}) saved there ({@link #save(Path)}): what a node started with {@code --key FILE}
   * uses, to keep its node id from one run to the next. If another process saves a key at {@code
   * file} first, that key is loaded and returned. KeyFileException as load and save throw it.
   */
  public static Identity loadOrGenerate(Path file) {
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      Identity fresh = generate();
      try {
        fresh.save(file);
        return fresh;
      } catch (KeyFileException e) {
        if (!Files.exists(file)) {
          throw e;
        }
        // Another process saved a key there since we looked: use it, as that process does.
      }
    }
    return load(file);
  }

  /** This node's id: the first 20 bytes of the SHA-256 of {@link #publicKey()}. */
  public NodeId nodeId() {
    return nodeId;
  }

  /** A copy of the 32-byte raw RFC 8032 public key, which peers verify signatures with. */
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /**
   * The 64-byte Ed25519 signature of {@code message}. Ed25519 is deterministic: the same message
   * always gets the same signature. Safe to call from several threads at once.
   */
  public byte[] sign(byte[] message) {
    Objects.requireNonNull(message, "message");
    try {
      Signature signature = Signature.getInstance(ALGORITHM);
      signature.initSign(privateKey);
      signature.update(message);
      return signature.sign();
    } catch (NoSuchAlgorithmException e) {
      throw noEd25519(e);
    } catch (InvalidKeyException | SignatureException e) {
      throw new IllegalStateException("the JDK could not sign with " + this, e);
    }
  }

  /**
   * Whether {@code signature} is a valid Ed25519 signature of {@code message} by the 32-byte raw
   * public key {@code publicKey32}. False, never an exception, for a key or signature of the wrong
   * length, a key that is not a point on the curve, or a signature that does not verify;
   * NullPointerException for a null argument.
   */
  public static boolean verify(byte[] publicKey32, byte[] message, byte[] signature) {
    Objects.requireNonNull(message, "message");
    if (publicKey32.length != KEY_LENGTH || signature.length != SIGNATURE_LENGTH) {
      return false;
    }
    byte[] x509 = new byte[X509_PREFIX.length + KEY_LENGTH];
    System.arraycopy(X509_PREFIX, 0, x509, 0, X509_PREFIX.length);
    System.arraycopy(publicKey32, 0, x509, X509_PREFIX.length, KEY_LENGTH);
    try {
      PublicKey key = keyFactory().generatePublic(new X509EncodedKeySpec(x509));
      Signature verifier = Signature.getInstance(ALGORITHM);
      verifier.initVerify(key);
      verifier.update(message);
      return verifier.verify(signature);
    } catch (NoSuchAlgorithmException e) {
      throw noEd25519(e);
    } catch (InvalidKeySpecException | InvalidKeyException | SignatureException e) {
      return false; // not a point on the curve, or a signature no key makes (s too large)
    }
  }

  /**
   * The node id of the 32-byte raw public key {@code publicKey32}: the first 20 bytes of its
   * SHA-256. IllegalArgumentException if the key is not 32 bytes.
   */
  public static NodeId nodeIdOf(byte[] publicKey32) {
    if (publicKey32.length != KEY_LENGTH) {
      throw new IllegalArgumentException("an Ed25519 public key must be " + KEY_LENGTH
          + " bytes: " + publicKey32.length + " bytes");
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(publicKey32);
      return NodeId.of(Arrays.copyOf(digest, NODE_ID_LENGTH));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JDK has no SHA-256, which every JDK must have", e);
    }
  }

  /** {@code Identity[}node id in hex{@code ]}: never key material. */
  @Override
  public String toString() {
    return "Identity[" + nodeId.toHex() + "]";
  }

  /**
   * The identity of the Ed25519 private key {@code key}. JDK 17 has no call that computes the
   * public key of a private one; its key pair generator does, from the 32-byte seed it draws from
   * its SecureRandom. {@link SeedRandom} hands it {@code key}'s seed as those bytes, and the pair
   * it makes is checked to hold that seed.
   */
  private static Identity of(PrivateKey key) {
    byte[] seed = key instanceof EdECPrivateKey ed ? ed.getBytes().orElse(null) : null;
    if (seed == null || seed.length != KEY_LENGTH) {
      throw new IllegalStateException("the JDK's Ed25519 key factory made a key without a seed: "
          + key.getClass().getName());
    }
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance(ALGORITHM);
      generator.initialize(NamedParameterSpec.ED25519, new SeedRandom(seed));
      KeyPair pair = generator.generateKeyPair();
      byte[] used = pair.getPrivate() instanceof EdECPrivateKey ed
          ? ed.getBytes().orElse(new byte[0]) : new byte[0];
      if (!MessageDigest.isEqual(used, seed)) {
        throw new IllegalStateException(
            "the JDK's Ed25519 key pair generator did not use the seed it was given");
      }
      return new Identity(pair);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot make an Ed25519 key pair from a seed", e);
    }
  }

  /** The 32 bytes after the JDK's X.509 prefix of an Ed25519 public key. */
  private static byte[] rawPublicKey(PublicKey key) {
    byte[] encoded = key.getEncoded();
    if (encoded == null || encoded.length != X509_PREFIX.length + KEY_LENGTH
        || !Arrays.equals(encoded, 0, X509_PREFIX.length, X509_PREFIX, 0, X509_PREFIX.length)) {
      throw new IllegalStateException("the JDK encoded an Ed25519 public key in an unknown form");
    }
    return Arrays.copyOfRange(encoded, X509_PREFIX.length, encoded.length);
  }

  static KeyFactory keyFactory() {
    try {
      return KeyFactory.getInstance(ALGORITHM);
    } catch (NoSuchAlgorithmException e) {
      throw noEd25519(e);
    }
  }

  private static IllegalStateException noEd25519(NoSuchAlgorithmException e) {
    return new IllegalStateException("this JDK has no Ed25519 (every JDK 15 or newer has)", e);
  }

  /**
   * Not random at all: hands out one 32-byte seed once and refuses any other request, so that
   * the JDK's key pair generator computes the key pair of a known seed. Used for nothing else.
   */
  private static final class SeedRandom extends SecureRandom {
    private static final long serialVersionUID = 1L;

    SeedRandom(byte[] seed) {
      super(new OneSeed(seed), null);
    }
  }

  /** The engine of {@link SeedRandom}. */
  private static final class OneSeed extends SecureRandomSpi {
    private static final long serialVersionUID = 1L;

    private transient byte[] seed;

    OneSeed(byte[] seed) {
      this.seed = seed;
    }

    @Override
    protected void engineNextBytes(byte[] bytes) {
      if (seed == null || bytes.length != seed.length) {
        throw new IllegalStateException("the Ed25519 key pair generator asked for "
            + bytes.length + " random bytes, not one " + KEY_LENGTH + "-byte seed");
      }
      System.arraycopy(seed, 0, bytes, 0, bytes.length);
      seed = null;
    }

    @Override
    protected void engineSetSeed(byte[] ignored) {
      // Seeding a source of one fixed seed changes nothing.
    }

    @Override
    protected byte[] engineGenerateSeed(int numBytes) {
      throw new IllegalStateException("not a source of seeds: " + numBytes + " bytes asked");
    }
  }
}
