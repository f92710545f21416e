package io.duplex.security;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.DuplexException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdentityTest {
  private static final HexFormat HEX = HexFormat.of();
  /** RFC 8032 section 7.1, test 1: the seed, its public key and its signature of "". */
  private static final byte[] SEED =
      HEX.parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  private static final byte[] PUBLIC_KEY =
      HEX.parseHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  private static final byte[] SIGNATURE_OF_EMPTY = HEX.parseHex(
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701"
          + "cf9b46bd25bf5f0595bbe24655141438e7a100b");
  /** The JDK's (and openssl's) PKCS#8 encoding of an Ed25519 key is this prefix and the seed. */
  private static final byte[] PKCS8_PREFIX = HEX.parseHex("302e020100300506032b657004220420");
  private static final byte[] X509_PREFIX = HEX.parseHex("302a300506032b6570032100");
  private static final byte[] SEED_DER = concat(PKCS8_PREFIX, SEED);
  private static final String SEED_PEM = pem("PRIVATE KEY", SEED_DER);

  @TempDir
  Path dir;

  @Test
  void shouldLoadTheIdentityItSaved() {
    Identity saved = Identity.generate();
    Path file = dir.resolve("node.key");
    saved.save(file);
    Identity loaded = Identity.load(file);

    assertEquals(saved.nodeId(), loaded.nodeId());
    assertArrayEquals(saved.publicKey(), loaded.publicKey());
    byte[] message = "hello".getBytes(StandardCharsets.UTF_8);
    assertTrue(Identity.verify(loaded.publicKey(), message, saved.sign(message)));
    assertTrue(Identity.verify(saved.publicKey(), message, loaded.sign(message)));
    assertArrayEquals(saved.sign(message), loaded.sign(message), "Ed25519 is deterministic");
    assertNotEquals(saved.nodeId(), Identity.generate().nodeId(), "generate makes a fresh key");
  }

  @Test
  void shouldSaveThePemFormatOpensslWrites() throws IOException {
    Path file = dir.resolve("node.key");
    Identity.fromSeed(SEED).save(file);
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    assertEquals(SEED_PEM, text);
    assertEquals("-----BEGIN PRIVATE KEY-----\n"
        + "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
        + "-----END PRIVATE KEY-----\n", text, "the base64 of the prefix and seed, 64 a line");
  }

  @Test
  void shouldMatchRfc8032TestVector1ByteForByte() {
    Identity identity = Identity.fromSeed(SEED);
    assertArrayEquals(PUBLIC_KEY, identity.publicKey());
    assertArrayEquals(SIGNATURE_OF_EMPTY, identity.sign(new byte[0]));
    assertTrue(Identity.verify(PUBLIC_KEY, new byte[0], SIGNATURE_OF_EMPTY));
    assertEquals(Identity.nodeIdOf(PUBLIC_KEY), identity.nodeId());
  }

  @Test
  void shouldMakeTheSameIdentityFromTheSameSeed() {
    byte[] seed = SEED.clone();
    Identity a = Identity.fromSeed(seed);
    seed[0] ^= 1;
    Identity b = Identity.fromSeed(SEED);
    assertEquals(a.nodeId(), b.nodeId());
    assertArrayEquals(a.publicKey(), b.publicKey());
    assertArrayEquals(PUBLIC_KEY, a.publicKey(), "fromSeed copied the seed before it changed");
    assertNotEquals(a.nodeId(), Identity.fromSeed(seed).nodeId(), "another seed, another key");
    byte[] message = {1, 2, 3};
    assertArrayEquals(a.sign(message), b.sign(message));
  }

  @Test
  void shouldRefuseASeedThatIsNot32BytesWithoutShowingIt() {
    byte[] seed31 = Arrays.copyOf(SEED, 31);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Identity.fromSeed(seed31));
    assertEquals("an Ed25519 seed must be 32 bytes: 31 bytes", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Identity.fromSeed(new byte[33]));
    assertThrows(IllegalArgumentException.class, () -> Identity.fromSeed(new byte[0]));
  }

  @Test
  void shouldVerifyOnlyTheMessageTheKeySigned() {
    Identity identity = Identity.fromSeed(SEED);
    byte[] message = "the message".getBytes(StandardCharsets.UTF_8);
    byte[] signature = identity.sign(message);
    assertEquals(64, signature.length);
    assertTrue(Identity.verify(PUBLIC_KEY, message, signature));

    for (int bit : new int[] {0, 7, 255, 256, 300, 511}) {
      assertFalse(Identity.verify(PUBLIC_KEY, message, flip(signature, bit)), "signature " + bit);
    }
    for (int bit : new int[] {0, 50, message.length * 8 - 1}) {
      assertFalse(Identity.verify(PUBLIC_KEY, flip(message, bit), signature), "message " + bit);
    }
    assertFalse(Identity.verify(Identity.generate().publicKey(), message, signature));
    assertFalse(Identity.verify(flip(PUBLIC_KEY, 3), message, signature));
  }

  @Test
  void shouldReturnFalseNotThrowForKeysAndSignaturesOfTheWrongLengthOrNoPoint() {
    byte[] message = {42};
    byte[] signature = Identity.fromSeed(SEED).sign(message);
    assertTrue(Identity.verify(PUBLIC_KEY, message, signature));
    assertFalse(Identity.verify(Arrays.copyOf(PUBLIC_KEY, 31), message, signature));
    assertFalse(Identity.verify(Arrays.copyOf(PUBLIC_KEY, 33), message, signature));
    assertFalse(Identity.verify(new byte[0], message, signature));
    assertFalse(Identity.verify(PUBLIC_KEY, message, Arrays.copyOf(signature, 63)));
    assertFalse(Identity.verify(PUBLIC_KEY, message, Arrays.copyOf(signature, 65)));
    assertFalse(Identity.verify(PUBLIC_KEY, message, new byte[0]));
    byte[] sTooLarge = signature.clone();
    Arrays.fill(sTooLarge, 32, 64, (byte) 0xFF);
    assertFalse(Identity.verify(PUBLIC_KEY, message, sTooLarge));

    byte[] allOnes = new byte[32];
    Arrays.fill(allOnes, (byte) 0xFF); // y above the field prime: no encoding of a point
    assertFalse(Identity.verify(allOnes, message, signature));
    assertFalse(Identity.verify(new byte[32], message, signature));
    Random random = new Random(8032);
    for (int i = 0; i < 200; i++) {
      byte[] garbage = new byte[32];
      random.nextBytes(garbage);
      assertFalse(Identity.verify(garbage, message, signature), HEX.formatHex(garbage));
    }
  }

  @Test
  void shouldDeriveTheNodeIdFromTheFirst20BytesOfThePublicKeysSha256() throws Exception {
    Identity identity = Identity.generate();
    byte[] sha256 = MessageDigest.getInstance("SHA-256").digest(identity.publicKey());
    assertEquals(20, identity.nodeId().length());
    assertArrayEquals(Arrays.copyOf(sha256, 20), identity.nodeId().toBytes());
    assertEquals(identity.nodeId(), Identity.nodeIdOf(identity.publicKey()));
    byte[] rfcSha256 = MessageDigest.getInstance("SHA-256").digest(PUBLIC_KEY);
    assertEquals(HEX.formatHex(rfcSha256, 0, 20), Identity.fromSeed(SEED).nodeId().toHex());

    assertEquals("an Ed25519 public key must be 32 bytes: 31 bytes",
        assertThrows(IllegalArgumentException.class, () -> Identity.nodeIdOf(new byte[31]))
            .getMessage());
    assertThrows(IllegalArgumentException.class, () -> Identity.nodeIdOf(new byte[33]));
  }

  @Test
  void shouldHandOutCopiesOfThePublicKey() {
    Identity identity = Identity.fromSeed(SEED);
    identity.publicKey()[0] ^= 1;
    assertArrayEquals(PUBLIC_KEY, identity.publicKey());
  }

  @Test
  void shouldShowTheNodeIdAndNoKeyMaterialInToString() {
    Identity identity = Identity.fromSeed(SEED);
    assertEquals("Identity[" + identity.nodeId().toHex() + "]", identity.toString());
    assertNoKeyMaterial(identity.toString());
  }

  @Test
  void shouldSignFromSeveralThreadsAtOnce() throws Exception {
    Identity identity = Identity.fromSeed(SEED);
    List<byte[]> messages = new ArrayList<>();
    List<byte[]> expected = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      byte[] message = ("message " + i).getBytes(StandardCharsets.UTF_8);
      messages.add(message);
      expected.add(identity.sign(message));
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<List<byte[]>>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        results.add(pool.submit(() -> {
          List<byte[]> signatures = new ArrayList<>();
          for (byte[] message : messages) {
            signatures.add(identity.sign(message));
          }
          return signatures;
        }));
      }
      for (Future<List<byte[]>> result : results) {
        List<byte[]> signatures = result.get(60, TimeUnit.SECONDS);
        for (int i = 0; i < messages.size(); i++) {
          assertArrayEquals(expected.get(i), signatures.get(i), "message " + i);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void shouldCreateTheKeyFileOwnerOnlyAndItsMissingDirectories() throws IOException {
    assumePosix();
    Path file = dir.resolve("a").resolve("b").resolve("node.key");
    Identity.fromSeed(SEED).save(file);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    try (Stream<Path> left = Files.list(file.getParent())) {
      assertEquals(List.of(file), left.toList(), "no temporary file is left beside it");
    }
    assertEquals(Identity.fromSeed(SEED).nodeId(), Identity.load(file).nodeId());
  }

  @Test
  void shouldRefuseAKeyFileOthersMayReadOrWrite() throws IOException {
    assumePosix();
    Path file = dir.resolve("node.key");
    Identity.fromSeed(SEED).save(file);
    for (String mode : new String[] {"rw-r--r--", "rw----r--", "rw--w----", "rw-rw-rw-"}) {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
      KeyFileException e = loadFails(file);
      assertTrue(e.getMessage().contains("has permissions " + mode), e.getMessage());
      assertTrue(e.getMessage().contains("run chmod 600 " + file), e.getMessage());
      assertThrows(KeyFileException.class, () -> Identity.loadOrGenerate(file));
    }
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    assertEquals(Identity.fromSeed(SEED).nodeId(), Identity.load(file).nodeId());
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--------"));
    assertEquals(Identity.fromSeed(SEED).nodeId(), Identity.load(file).nodeId(), "owner-only");
  }

  @Test
  void shouldSayHowToCreateAMissingKeyFile() {
    Path file = dir.resolve("absent.key");
    KeyFileException e = loadFails(file);
    assertEquals("no key file at " + file + ": create one with Identity.generate().save(" + file
        + "), or pass --key to a path that exists", e.getMessage());
  }

  @Test
  void shouldRefuseADirectoryAndAFileFarTooLargeForAKey() throws IOException {
    Path subdir = Files.createDirectory(dir.resolve("keys"));
    assertTrue(loadFails(subdir).getMessage().contains("is a directory"));

    Path large = writeKeyFile("large.key", SEED_PEM + " ".repeat(KeyFiles.MAX_FILE_BYTES));
    assertTrue(loadFails(large).getMessage().contains("is larger than 65536 bytes"));
  }

  @Test
  void shouldRefuseAFileItMayNotRead() throws IOException {
    assumePosix();
    Path file = writeKeyFile("node.key", SEED_PEM);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
    Assumptions.assumeFalse(Files.isReadable(file), "root reads any file");
    KeyFileException e = loadFails(file);
    assertTrue(e.getMessage().contains("cannot read key file " + file), e.getMessage());
  }

  @Test
  void shouldRefuseAFileThatIsNotPem() throws IOException {
    Path der = dir.resolve("node.der");
    Files.write(der, SEED_DER); // the key itself, in DER, not PEM
    restrict(der);
    assertTrue(loadFails(der).getMessage().contains(" is not PEM: it does not start with"
        + " -----BEGIN PRIVATE KEY-----; make an Ed25519 key with"));
    assertTrue(loadFails(writeKeyFile("empty.key", "")).getMessage().contains("is not PEM"));
    assertTrue(loadFails(writeKeyFile("text.key", "BEGIN PRIVATE KEY\n" + SEED_PEM))
        .getMessage().contains("is not PEM"));
    assertTrue(loadFails(writeKeyFile("noend.key", "-----BEGIN PRIVATE KEY\nabc"))
        .getMessage().contains("is not PEM"));
  }

  @Test
  void shouldRefuseAPemOfAnotherType() throws IOException {
    Path certificate = writeKeyFile("cert.pem", pem("CERTIFICATE", SEED_DER));
    assertTrue(loadFails(certificate).getMessage()
        .contains("holds a PEM CERTIFICATE, not a PRIVATE KEY: make an Ed25519 key with"));
    Path encrypted = writeKeyFile("enc.pem", pem("ENCRYPTED PRIVATE KEY", SEED_DER));
    assertTrue(loadFails(encrypted).getMessage().contains("holds an encrypted private key"
        + ", and duplex reads unencrypted ones only: decrypt it with openssl pkey -in "));
  }

  @Test
  void shouldRefuseCorruptBase64AndACutShortFile() throws IOException {
    String body = Base64.getEncoder().encodeToString(SEED_DER);
    Path corrupt = writeKeyFile("corrupt.key", "-----BEGIN PRIVATE KEY-----\n"
        + body.substring(0, 30) + "!" + body.substring(30) + "\n-----END PRIVATE KEY-----\n");
    assertTrue(loadFails(corrupt).getMessage().contains("has corrupt base64 between its BEGIN"
        + " and END lines: restore the file from a backup"));
    Path cut = writeKeyFile("cut.key", SEED_PEM.substring(0, SEED_PEM.length() - 10));
    assertTrue(loadFails(cut).getMessage().contains("does not end with -----END PRIVATE"
        + " KEY----- (cut short"));
    Path two = writeKeyFile("two.key", SEED_PEM + SEED_PEM.replace("PRIVATE KEY", "CERTIFICATE"));
    assertTrue(loadFails(two).getMessage().contains("does not end with -----END PRIVATE KEY"));
  }

  @Test
  void shouldRefuseCorruptDer() throws IOException {
    byte[] wrongOid = SEED_DER.clone();
    wrongOid[11] = 0x7F; // 1.3.101.112 (Ed25519) becomes 1.3.101.127, which nothing is
    Path unknown = writeKeyFile("oid.key", pem("PRIVATE KEY", wrongOid));
    assertTrue(loadFails(unknown).getMessage().contains("does not hold a valid PKCS#8 Ed25519"
        + " private key (its DER is corrupt, or of a key type duplex does not know)"));
    Path cut = writeKeyFile("cut.key", pem("PRIVATE KEY", Arrays.copyOf(SEED_DER, 47)));
    assertTrue(loadFails(cut).getMessage().contains("does not hold a valid PKCS#8 Ed25519"));
    Path empty = writeKeyFile("empty.key", pem("PRIVATE KEY", new byte[0]));
    assertTrue(loadFails(empty).getMessage().contains("does not hold a valid PKCS#8 Ed25519"));
  }

  @Test
  void shouldRefuseAnX25519Key() throws IOException, GeneralSecurityException {
    byte[] x25519 = KeyPairGenerator.getInstance("X25519").generateKeyPair().getPrivate()
        .getEncoded();
    Path file = writeKeyFile("x25519.key", pem("PRIVATE KEY", x25519));
    assertTrue(loadFails(file).getMessage()
        .contains("holds an X25519 private key, not an Ed25519 one: make an Ed25519 key with"));
  }

  @Test
  void shouldLoadAKeyFileWithCrlfLineEndsAndSurroundingWhitespace() throws IOException {
    Path file = writeKeyFile("crlf.key", "\r\n  \t" + SEED_PEM.replace("\n", "\r\n") + "\r\n\r\n");
    assertArrayEquals(PUBLIC_KEY, Identity.load(file).publicKey());
  }

  @Test
  void shouldNeverOverwriteAFile() throws IOException {
    Path file = dir.resolve("node.key");
    Identity first = Identity.generate();
    first.save(file);
    KeyFileException e =
        assertThrows(KeyFileException.class, () -> Identity.fromSeed(SEED).save(file));
    assertEquals(file + " already exists; delete it first or load it", e.getMessage());
    assertEquals(file, e.path());
    assertEquals(first.nodeId(), Identity.load(file).nodeId(), "the first key is still there");

    Path other = Files.writeString(dir.resolve("notes.txt"), "not a key");
    assertThrows(KeyFileException.class, () -> Identity.fromSeed(SEED).save(other));
    assertEquals("not a key", Files.readString(other));
  }

  @Test
  void shouldGenerateAKeyFileOnceAndThenLoadIt() throws IOException {
    Path file = dir.resolve("keys").resolve("node.key");
    Identity created = Identity.loadOrGenerate(file);
    assertTrue(Files.isRegularFile(file));
    Identity reloaded = Identity.loadOrGenerate(file);
    assertEquals(created.nodeId(), reloaded.nodeId());
    assertArrayEquals(created.publicKey(), reloaded.publicKey());
    assertEquals(created.nodeId(), Identity.load(file).nodeId());

    Path seeded = dir.resolve("seeded.key");
    Identity.fromSeed(SEED).save(seeded);
    assertArrayEquals(PUBLIC_KEY, Identity.loadOrGenerate(seeded).publicKey());
  }

  @Test
  void shouldCarryThePathAndTheCause() {
    Path file = dir.resolve("node.key");
    Throwable cause = new IOException("disk");
    KeyFileException withCause = new KeyFileException("message", file, cause);
    assertInstanceOf(DuplexException.class, withCause);
    assertEquals(file, withCause.path());
    assertSame(cause, withCause.getCause());
    KeyFileException without = new KeyFileException("message", file);
    assertEquals(file, without.path());
    assertNull(without.getCause());
    assertThrows(NullPointerException.class, () -> new KeyFileException("message", null));
  }

  @Test
  void shouldLoadAKeyOpensslMade() throws Exception {
    assumeOpenssl();
    Path file = dir.resolve("openssl.key");
    run("openssl", "genpkey", "-algorithm", "ed25519", "-out", file.toString());
    restrict(file);
    byte[] spki = run("openssl", "pkey", "-in", file.toString(), "-pubout", "-outform", "DER");
    assertEquals(44, spki.length);
    assertArrayEquals(X509_PREFIX, Arrays.copyOf(spki, 12));
    Identity identity = Identity.load(file);
    assertArrayEquals(Arrays.copyOfRange(spki, 12, 44), identity.publicKey());
    byte[] message = {1, 2, 3};
    assertTrue(Identity.verify(identity.publicKey(), message, identity.sign(message)));
  }

  @Test
  void shouldSaveAKeyOpensslReads() throws Exception {
    assumeOpenssl();
    Path file = dir.resolve("node.key");
    Identity.fromSeed(SEED).save(file);
    byte[] spki = run("openssl", "pkey", "-in", file.toString(), "-pubout", "-outform", "DER");
    assertArrayEquals(concat(X509_PREFIX, PUBLIC_KEY), spki);
  }

  /** Loads {@code file}, which must fail with a message naming it and holding no key. */
  private static KeyFileException loadFails(Path file) {
    KeyFileException e = assertThrows(KeyFileException.class, () -> Identity.load(file));
    assertEquals(file, e.path());
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    Throwable t = e;
    for (int depth = 0; t != null && depth < 10; depth++, t = t.getCause()) {
      assertNoKeyMaterial(String.valueOf(t.getMessage()));
      assertNoKeyMaterial(t.toString());
    }
    return e;
  }

  /** Fails if {@code text} holds 16 characters in a row of the seed in hex, base64 or PEM. */
  private static void assertNoKeyMaterial(String text) {
    String seedHex = HEX.formatHex(SEED);
    List<String> forms = List.of(seedHex, seedHex.toUpperCase(Locale.ROOT),
        Base64.getEncoder().encodeToString(SEED),
        Base64.getEncoder().encodeToString(SEED_DER).substring(24), // base64 of seed bytes only
        Arrays.toString(SEED));
    for (String form : forms) {
      for (int i = 0; i + 16 <= form.length(); i++) {
        assertFalse(text.contains(form.substring(i, i + 16)), "key material in: " + text);
      }
    }
  }

  private Path writeKeyFile(String name, String text) throws IOException {
    Path file = Files.writeString(dir.resolve(name), text, StandardCharsets.ISO_8859_1);
    restrict(file);
    return file;
  }

  /** Makes {@code file} owner-only, as a key file must be, where the file system can. */
  private void restrict(Path file) throws IOException {
    if (posix()) {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }
  }

  private boolean posix() throws IOException {
    return Files.getFileStore(dir).supportsFileAttributeView("posix");
  }

  private void assumePosix() throws IOException {
    Assumptions.assumeTrue(posix(), "the temporary directory's file store has no POSIX modes");
  }

  private void assumeOpenssl() throws Exception {
    boolean found;
    try {
      run("openssl", "version");
      found = true;
    } catch (IOException e) {
      found = false;
    }
    Assumptions.assumeTrue(found, "openssl is not on PATH");
  }

  /** Runs a command, which must end with status 0 within 60 s, and returns its standard output. */
  private byte[] run(String... command) throws IOException, InterruptedException {
    Path out = Files.createTempFile(dir, "out", ".bin");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process process = new ProcessBuilder(command)
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    boolean ended = process.waitFor(60, TimeUnit.SECONDS);
    if (!ended) {
      process.destroyForcibly();
    }
    assertTrue(ended, String.join(" ", command) + " did not end within 60 s");
    assertEquals(0, process.exitValue(), String.join(" ", command) + ": " + Files.readString(err));
    return Files.readAllBytes(out);
  }

  private static String pem(String label, byte[] der) {
    return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'})
        .encodeToString(der) + "\n-----END " + label + "-----\n";
  }

  private static byte[] flip(byte[] bytes, int bit) {
    byte[] flipped = bytes.clone();
    flipped[bit / 8] ^= (byte) (1 << (bit % 8));
    return flipped;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] both = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }
}
