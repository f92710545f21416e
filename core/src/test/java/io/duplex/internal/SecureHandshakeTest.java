package io.duplex.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.duplex.HandshakeException;
import io.duplex.HandshakeException.Field;
import io.duplex.NodeId;
import io.duplex.PeerInfo;
import io.duplex.internal.noise.CipherState;
import io.duplex.internal.noise.HandshakeState;
import io.duplex.internal.noise.NoiseSuite;
import io.duplex.internal.noise.X25519;
import io.duplex.security.CipherSuite;
import io.duplex.security.Identity;
import io.duplex.security.PeerAuthorizer;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Two {@link SecureHandshake}s driven against each other in memory, both suites: the happy path,
 * and every check that refuses a peer made to refuse, with the {@link Field} it names. A peer
 * that must send what an honest one never would is a {@link Forger}: the Noise messages written
 * with {@link HandshakeState} directly and a payload built field by field ({@link Payload}).
 * Every key and seed in this class is fixed and noted, and no refusal's message (or its causes')
 * shows any of them.
 */
class SecureHandshakeTest {
  private static final int MAX = 4096;
  private static final String NETWORK = "duplex";
  private static final String CODEC = "bytes";
  /** RFC 7748 section 6.1: u-coordinates whose X25519 result is all zeros. */
  private static final String[] SMALL_ORDER = {
      "0000000000000000000000000000000000000000000000000000000000000000",
      "0100000000000000000000000000000000000000000000000000000000000000",
      "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"};

  /** Every private or public key and seed this class made: no message may show one. */
  private static final List<byte[]> SECRETS = new CopyOnWriteArrayList<>();
  private static final AtomicInteger KEYS = new AtomicInteger();

  // ---- fixtures ------------------------------------------------------------------------------

  private static byte[] fixed(int n) {
    byte[] b = new byte[32];
    for (int i = 0; i < 32; i++) {
      b[i] = (byte) (n * 131 + i * 29 + 7);
    }
    return b;
  }

  /** A new identity from a fixed seed; its seed and public key are noted as secrets. */
  private static Identity identity() {
    byte[] seed = fixed(KEYS.incrementAndGet());
    Identity id = Identity.fromSeed(seed);
    SECRETS.add(seed);
    SECRETS.add(id.publicKey());
    return id;
  }

  /** A new X25519 key pair from a fixed scalar; both halves are noted as secrets. */
  private static KeyPair x25519() {
    byte[] scalar = fixed(1000 + KEYS.incrementAndGet());
    KeyPair pair = X25519.fromPrivate(scalar);
    SECRETS.add(scalar);
    SECRETS.add(X25519.encode(pair.getPublic()));
    return pair;
  }

  /** A key pair whose public half is the small-order point {@code hex} (and any private key). */
  private static KeyPair smallOrder(String hex) {
    return new KeyPair(X25519.publicKey(HexFormat.of().parseHex(hex)), x25519().getPrivate());
  }

  /** One node: its identity, its static key and what it says about itself. */
  private static final class Side {
    final Identity identity;
    final KeyPair staticPair;
    final SecureHandshake.StaticKey key;
    PeerInfo info;

    Side(String network, String codec, int port, int maxFrameSize) {
      this(identity(), network, codec, port, maxFrameSize);
    }

    Side(Identity identity, String network, String codec, int port, int maxFrameSize) {
      this.identity = identity;
      this.staticPair = x25519();
      this.key = SecureHandshake.StaticKey.of(identity, staticPair);
      this.info = new PeerInfo(identity.nodeId(), network, port, codec, maxFrameSize);
    }

    static Side plain() {
      return new Side(NETWORK, CODEC, 0, 16 << 20);
    }

    SecureHandshake initiator(CipherSuite suite) {
      return initiator(suite, null, null);
    }

    SecureHandshake initiator(CipherSuite suite, NodeId expected, PeerAuthorizer authorizer) {
      return new SecureHandshake(true, suite, info, key, expected, authorizer, MAX, x25519());
    }

    SecureHandshake responder(CipherSuite suite) {
      return responder(suite, null);
    }

    SecureHandshake responder(CipherSuite suite, PeerAuthorizer authorizer) {
      return new SecureHandshake(false, suite, info, key, null, authorizer, MAX, x25519());
    }

    /** The honest payload of this side, to alter field by field. */
    Payload payload() {
      return new Payload(identity, staticPair);
    }
  }

  /**
   * A payload of message 2 or 3 written field by field: identity key, signature over the static
   * key, network id, listen port, codec, max frame size, extensions (declared length apart).
   */
  private static final class Payload {
    byte[] identityKey;
    byte[] signature;
    byte[] network = utf8(NETWORK);
    int port = 0;
    byte[] codec = utf8(CODEC);
    int maxFrameSize = 16 << 20;
    byte[] extensions = new byte[0];
    int declaredExtensions = -1; // -1: extensions.length
    int cut = -1; // -1: the whole payload; else its first `cut` bytes

    Payload(Identity identity, KeyPair staticPair) {
      identityKey = identity.publicKey();
      signature = identity.sign(SecureHandshake.signed(X25519.encode(staticPair.getPublic())));
    }

    Payload with(java.util.function.Consumer<Payload> change) {
      change.accept(this);
      return this;
    }

    byte[] bytes() {
      byte[] whole = ByteBuffer.allocate(identityKey.length + signature.length + 1
              + network.length + 2 + 1 + codec.length + 4 + 2 + extensions.length)
          .put(identityKey).put(signature)
          .put((byte) network.length).put(network).putShort((short) port)
          .put((byte) codec.length).put(codec).putInt(maxFrameSize)
          .putShort((short) (declaredExtensions < 0 ? extensions.length : declaredExtensions))
          .put(extensions)
          .array();
      assertTrue(cut < whole.length, "a cut inside the payload: " + cut);
      return cut < 0 ? whole : Arrays.copyOf(whole, cut);
    }
  }

  /**
   * A peer that writes its Noise messages itself, with any static and ephemeral key, preface and
   * payload: what a hostile or broken peer can send.
   */
  private static final class Forger {
    final HandshakeState noise;
    final byte[] preface;

    private Forger(HandshakeState noise, byte[] preface) {
      this.noise = noise;
      this.preface = preface;
    }

    /** An initiator whose preface (and prologue) is {@code suite}'s. */
    static Forger initiator(CipherSuite suite, KeyPair s, KeyPair e) {
      byte[] preface = SecureHandshake.preface(suite);
      return new Forger(HandshakeState.initiator(noise(suite), preface, s, e), preface);
    }

    /** A responder to the initiator whose first bytes were {@code initiatorBytes}. */
    static Forger responder(CipherSuite suite, byte[] initiatorBytes, KeyPair s, KeyPair e) {
      byte[] prologue = Arrays.copyOf(initiatorBytes, SecureHandshake.PREFACE_SIZE);
      Forger f = new Forger(HandshakeState.responder(noise(suite), prologue, s, e),
          SecureHandshake.preface(suite));
      f.noise.readMessage(Arrays.copyOfRange(initiatorBytes, SecureHandshake.PREFACE_SIZE + 2,
          initiatorBytes.length));
      return f;
    }

    /** The next message, {@code payload} sealed in it, with its length. */
    byte[] write(byte[] payload) {
      return framed(noise.writeMessage(payload));
    }

    /** The payload of the peer's framed message {@code framed}. */
    byte[] read(byte[] framed) {
      return noise.readMessage(Arrays.copyOfRange(framed, 2, framed.length));
    }
  }

  private static NoiseSuite noise(CipherSuite suite) {
    return suite == CipherSuite.AES_256_GCM ? NoiseSuite.AES_GCM : NoiseSuite.CHACHA_POLY;
  }

  private static byte[] framed(byte[] message) {
    return ByteBuffer.allocate(2 + message.length).putShort((short) message.length).put(message)
        .array();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] bytes(ByteBuffer b) {
    if (b == null) {
      return new byte[0];
    }
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /**
   * Feeds {@code in} to {@code side} in pieces of {@code piece} bytes until it is complete,
   * writing its answers to {@code out}; returns the bytes it left (what follows the handshake).
   */
  private static byte[] feed(SecureHandshake side, byte[] in, int piece,
      ByteArrayOutputStream out) {
    int at = 0;
    for (int calls = 0; at < in.length && !side.isComplete(); calls++) {
      assertTrue(calls < 100_000, "the handshake takes no bytes: " + side + " at " + at + " of "
          + in.length + ", pieces of " + piece);
      ByteBuffer src = ByteBuffer.wrap(in, at, Math.min(piece, in.length - at));
      int before = src.position();
      out.writeBytes(bytes(read(side, src)));
      at += src.position() - before;
    }
    return Arrays.copyOfRange(in, at, in.length);
  }

  /** Runs a whole handshake, bytes in pieces of {@code piece}; returns what each side left. */
  private static void handshake(SecureHandshake i, SecureHandshake r, int piece) {
    ByteArrayOutputStream toI = new ByteArrayOutputStream();
    ByteArrayOutputStream toR = new ByteArrayOutputStream();
    toR.writeBytes(bytes(i.start()));
    toI.writeBytes(bytes(r.start()));
    for (int round = 0; round < 4 && !(i.isComplete() && r.isComplete()); round++) {
      byte[] forR = toR.toByteArray();
      toR.reset();
      assertEquals(0, feed(r, forR, piece, toI).length, "the responder leaves no bytes");
      byte[] forI = toI.toByteArray();
      toI.reset();
      assertEquals(0, feed(i, forI, piece, toR).length, "the initiator leaves no bytes");
    }
    assertTrue(i.isComplete() && r.isComplete(), "both sides complete in 4 rounds");
  }

  /**
   * {@link SecureHandshake#read}, throwing the side's refusal once it is complete: a side that
   * refuses an authenticated peer (settings, authorizer) completes the handshake first, to tell
   * the peer why in a sealed CLOSE, and the transport never opens the connection.
   */
  private static ByteBuffer read(SecureHandshake side, ByteBuffer src) {
    ByteBuffer answer = side.read(src);
    if (side.isComplete() && side.refusal() != null) {
      throw side.refusal();
    }
    return answer;
  }

  /** What {@code step} throws, which must be a HandshakeException of {@code field}. */
  private static HandshakeException refused(Field field, Runnable step) {
    HandshakeException e = assertThrows(HandshakeException.class, step::run);
    assertEquals(field, e.field(), e.getMessage());
    assertTrue(e.getMessage().startsWith("handshake failed"), e.getMessage());
    assertNoSecrets(e);
    return e;
  }

  /** No message or string in {@code e}'s cause chain holds 8 bytes in a row of any secret. */
  private static void assertNoSecrets(Throwable e) {
    List<String> texts = new ArrayList<>();
    for (Throwable t = e; t != null; t = t.getCause()) {
      texts.add(String.valueOf(t.getMessage()));
      texts.add(t.toString());
    }
    assertNoSecrets(String.join("\n", texts));
  }

  private static void assertNoSecrets(String text) {
    String lower = text.toLowerCase(Locale.ROOT);
    for (byte[] secret : SECRETS) {
      String hex = HexFormat.of().formatHex(secret);
      for (int at = 0; at + 16 <= hex.length(); at += 2) {
        String window = hex.substring(at, at + 16);
        if (lower.contains(window)) {
          fail("a message shows key material (" + window + "...): " + text);
        }
      }
      String base64 = Base64.getEncoder().encodeToString(secret);
      assertFalse(text.contains(base64.substring(0, 16)), "a message shows a key in base64");
    }
  }

  // ---- the happy path ------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void bothSidesCompleteSeeEachOthersIdsAgreeOnTheHashAndOpenEachOthersRecords(CipherSuite suite) {
    for (int piece : new int[] {1, 7, Integer.MAX_VALUE}) {
      Side a = new Side(NETWORK, CODEC, 0, 1 << 20);
      Side b = new Side(NETWORK, CODEC, 9000, 16 << 20);
      SecureHandshake i = a.initiator(suite, b.identity.nodeId(), null);
      SecureHandshake r = b.responder(suite);
      assertFalse(i.isComplete() || r.isComplete());
      assertThrows(IllegalStateException.class, i::split);
      handshake(i, r, piece);

      assertEquals(b.info, i.peer(), "the initiator sees the responder as it is");
      assertEquals(a.info, r.peer(), "the responder sees the initiator as it is");
      assertEquals(b.identity.nodeId(), i.peer().nodeId());
      assertEquals(a.identity.nodeId(), r.peer().nodeId());
      assertArrayEquals(b.identity.publicKey(), i.peerIdentityKey());
      assertArrayEquals(a.identity.publicKey(), r.peerIdentityKey());
      assertEquals(32, i.handshakeHash().length);
      assertArrayEquals(i.handshakeHash(), r.handshakeHash());

      CipherState[] is = i.split();
      CipherState[] rs = r.split();
      for (int n = 0; n < 3; n++) {
        assertArrayEquals(utf8("up " + n), open(rs[1], seal(is[0], utf8("up " + n))));
        assertArrayEquals(utf8("down " + n), open(is[1], seal(rs[0], utf8("down " + n))));
      }
      ByteBuffer own = seal(is[0], utf8("mine"));
      assertThrows(RuntimeException.class, () -> open(is[1], own),
          "a side cannot open its own records: one key per direction");
      assertNoSecrets(i + " " + r + " " + a.key + " " + b.key);
    }
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void recordsRekeyInStepEvery2To20Records(CipherSuite suite) {
    Side a = Side.plain();
    Side b = Side.plain();
    SecureHandshake i = a.initiator(suite);
    SecureHandshake r = b.responder(suite);
    handshake(i, r, Integer.MAX_VALUE);
    CipherState send = i.split()[0];
    CipherState receive = r.split()[1];
    send.setNonce(Records.REKEY_INTERVAL - 2);
    receive.setNonce(Records.REKEY_INTERVAL - 2);
    for (int n = 0; n < 4; n++) { // nonces 2^20 - 2 .. 2^20 + 1: one rekey on each side
      Records.rekeyIfDue(send);
      ByteBuffer record = seal(send, utf8("r" + n));
      Records.rekeyIfDue(receive);
      assertArrayEquals(utf8("r" + n), open(receive, record));
    }
    // A receiver that does not rekey at the boundary cannot open what follows it.
    SecureHandshake i2 = a.initiator(suite);
    SecureHandshake r2 = b.responder(suite);
    handshake(i2, r2, Integer.MAX_VALUE);
    i2.split()[0].setNonce(Records.REKEY_INTERVAL);
    r2.split()[1].setNonce(Records.REKEY_INTERVAL);
    Records.rekeyIfDue(i2.split()[0]);
    ByteBuffer rekeyed = seal(i2.split()[0], utf8("x"));
    assertThrows(RuntimeException.class, () -> open(r2.split()[1], rekeyed));
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void theRecordsAfterTheLastMessageAreLeftForTheRecordLayer(CipherSuite suite) {
    SecureHandshake i = Side.plain().initiator(suite);
    SecureHandshake r = Side.plain().responder(suite);
    byte[] preface = bytes(r.start());
    byte[] m2 = bytes(read(r, ByteBuffer.wrap(bytes(i.start()))));
    byte[] m3 = bytes(read(i, ByteBuffer.wrap(concat(preface, m2))));
    assertTrue(i.isComplete());
    ByteBuffer record = seal(i.split()[0], utf8("first record"));
    byte[] tail = bytes(record);
    ByteBuffer both = ByteBuffer.wrap(concat(m3, tail));
    assertNull(read(r, both), "the responder has nothing to answer to message 3");
    assertTrue(r.isComplete());
    assertEquals(m3.length, both.position(), "it stops at the end of message 3");
    assertArrayEquals(utf8("first record"), open(r.split()[1], both));
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void unknownExtensionsAreIgnored(CipherSuite suite) {
    Side real = Side.plain();
    Side forged = Side.plain();
    byte[] extensions = ByteBuffer.allocate(4 + 3 + 4).putShort((short) 0x7001).putShort((short) 3)
        .put(new byte[] {1, 2, 3}).putShort((short) 0x7002).putShort((short) 0).array();
    SecureHandshake r = real.responder(suite);
    Forger f = Forger.initiator(suite, forged.staticPair, x25519());
    byte[] m2 = bytes(read(r, ByteBuffer.wrap(concat(f.preface, f.write(new byte[0])))));
    f.read(m2);
    assertNull(read(r, ByteBuffer.wrap(f.write(
        forged.payload().with(p -> p.extensions = extensions).bytes()))));
    assertTrue(r.isComplete());
    assertEquals(forged.identity.nodeId(), r.peer().nodeId());
  }

  private static ByteBuffer seal(CipherState state, byte[] plain) {
    byte[] out = new byte[plain.length + CipherState.TAG_SIZE];
    state.encryptWithAd(new byte[0], plain, 0, plain.length, out, 0);
    return ByteBuffer.wrap(out);
  }

  private static byte[] open(CipherState state, ByteBuffer sealed) {
    byte[] out = new byte[sealed.remaining()];
    int n = state.decryptWithAd(new byte[0], sealed.array(),
        sealed.arrayOffset() + sealed.position(), sealed.remaining(), out, 0);
    sealed.position(sealed.limit());
    return Arrays.copyOf(out, n);
  }

  // ---- the preface ---------------------------------------------------------------------------

  /** The responder refuses the initiator's first bytes {@code first}, and says {@code field}. */
  private static HandshakeException responderRefusesPreface(CipherSuite suite, byte[] first,
      Field field) {
    SecureHandshake r = Side.plain().responder(suite);
    r.start();
    return refused(field, () -> read(r, ByteBuffer.wrap(first)));
  }

  /** The initiator refuses the responder's first bytes {@code first}. */
  private static HandshakeException initiatorRefusesPreface(CipherSuite suite, byte[] first,
      Field field) {
    SecureHandshake i = Side.plain().initiator(suite);
    i.start();
    return refused(field, () -> read(i, ByteBuffer.wrap(first)));
  }

  private static byte[] preface(int version, int mode, int suite) {
    return new byte[] {'D', 'P', 'L', 'X', (byte) (version >> 8), (byte) version, (byte) mode,
        (byte) suite};
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void anotherMagicIsRefused(CipherSuite suite) {
    for (String first : new String[] {"DPLY\0\2\1\1", "GET / HTTP/1.1\r\n", "\u0016\u0003\u0001\u0002\0\1\0\1"}) {
      byte[] b = first.getBytes(StandardCharsets.ISO_8859_1);
      assertTrue(responderRefusesPreface(suite, b, Field.MAGIC).getMessage()
          .contains("not a duplex peer"));
      assertTrue(initiatorRefusesPreface(suite, b, Field.MAGIC).getMessage()
          .contains("not a duplex peer"));
    }
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void aPlaintextHandshakeFrameIsRefusedAsInsecure(CipherSuite suite) {
    FrameBuffer buffer = FrameBuffer.forFrames(128, 4096);
    Handshake.encode(new PeerInfo(NodeId.of("plain"), NETWORK, 0, CODEC, 1 << 20), buffer);
    byte[] frame = bytes(buffer.finishFrame(Wire.HANDSHAKE));
    for (HandshakeException e : List.of(
        responderRefusesPreface(suite, frame, Field.SECURITY),
        initiatorRefusesPreface(suite, frame, Field.SECURITY))) {
      assertTrue(e.getMessage().contains("insecure plaintext"), e.getMessage());
      assertTrue(e.getMessage().contains("both sides must agree"), e.getMessage());
    }
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void anotherVersionIsRefused(CipherSuite suite) {
    for (int version : new int[] {0, 1, 3, 0x0102, 0xFFFF}) {
      byte[] p = preface(version, SecureHandshake.MODE_NOISE_XX, suite.code());
      for (HandshakeException e : List.of(responderRefusesPreface(suite, p, Field.VERSION),
          initiatorRefusesPreface(suite, p, Field.VERSION))) {
        assertTrue(e.getMessage().contains("ours '2', peer's '" + version + "'"), e.getMessage());
      }
    }
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void anotherSecurityModeIsRefused(CipherSuite suite) {
    for (int mode : new int[] {0, 2, 255}) {
      byte[] p = preface(SecureHandshake.VERSION, mode, suite.code());
      for (HandshakeException e : List.of(responderRefusesPreface(suite, p, Field.SECURITY),
          initiatorRefusesPreface(suite, p, Field.SECURITY))) {
        assertTrue(e.getMessage().contains("mode " + mode), e.getMessage());
      }
    }
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void anotherCipherSuiteIsRefusedByBothSidesNamingBoth(CipherSuite suite) {
    CipherSuite other = suite == CipherSuite.AES_256_GCM ? CipherSuite.CHACHA20_POLY1305
        : CipherSuite.AES_256_GCM;
    SecureHandshake i = Side.plain().initiator(suite);
    SecureHandshake r = Side.plain().responder(other);
    byte[] fromI = bytes(i.start());
    byte[] fromR = bytes(r.start());
    HandshakeException atR = refused(Field.CIPHER_SUITE, () -> read(r, ByteBuffer.wrap(fromI)));
    HandshakeException atI = refused(Field.CIPHER_SUITE, () -> read(i, ByteBuffer.wrap(fromR)));
    for (HandshakeException e : List.of(atR, atI)) {
      assertTrue(e.getMessage().contains(suite.name()) && e.getMessage().contains(other.name()),
          e.getMessage());
    }
    assertTrue(atR.getMessage().contains("ours '" + other + "', peer's '" + suite + "'"));
    HandshakeException unknown = responderRefusesPreface(suite,
        preface(SecureHandshake.VERSION, SecureHandshake.MODE_NOISE_XX, 9), Field.CIPHER_SUITE);
    assertTrue(unknown.getMessage().contains("unknown suite 9"), unknown.getMessage());
  }

  // ---- message lengths -----------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void aMessageOverTheLimitIsRefusedFromItsLength(CipherSuite suite) {
    byte[] preface = SecureHandshake.preface(suite);
    for (int length : new int[] {MAX + 1, 65535}) {
      byte[] announce = concat(preface, new byte[] {(byte) (length >> 8), (byte) length});
      HandshakeException e = responderRefusesPreface(suite, announce, Field.FORMAT);
      assertTrue(e.getMessage().contains(length + " bytes is over the limit " + MAX),
          e.getMessage());
      initiatorRefusesPreface(suite, announce, Field.FORMAT);
    }
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void aFirstMessageThatIsNotExactlyAnEphemeralKeyIsRefused(CipherSuite suite) {
    for (int length : new int[] {0, 1, 31, 33, 32 + 16, MAX}) {
      byte[] first = concat(SecureHandshake.preface(suite),
          framed(Arrays.copyOf(fixed(length), length)));
      HandshakeException e = responderRefusesPreface(suite, first, Field.FORMAT);
      assertTrue(e.getMessage().contains("has " + length + " bytes"), e.getMessage());
    }
  }

  // ---- tampering and keys --------------------------------------------------------------------

  private static void flipBit(byte[] b, int at, int bit) {
    b[at] ^= (byte) (1 << bit);
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void aBitFlippedAnywhereInMessage2Or3FailsAuthentication(CipherSuite suite) {
    Side a = Side.plain();
    Side b = Side.plain();
    int m2Length = 0;
    for (int at = 2; m2Length == 0 || at < m2Length; at += 3) { // every third byte, any bit
      SecureHandshake i = a.initiator(suite);
      SecureHandshake r = b.responder(suite);
      byte[] preface = bytes(r.start());
      byte[] m2 = bytes(read(r, ByteBuffer.wrap(bytes(i.start()))));
      m2Length = m2.length;
      flipBit(m2, at, at % 8);
      HandshakeException e = refused(Field.AUTHENTICATION,
          () -> read(i, ByteBuffer.wrap(concat(preface, m2))));
      assertTrue(e.getMessage().contains("tampered with"), e.getMessage());
    }
    int m3Length = 0;
    for (int at = 2; m3Length == 0 || at < m3Length; at += 3) {
      SecureHandshake i = a.initiator(suite);
      SecureHandshake r = b.responder(suite);
      byte[] preface = bytes(r.start());
      byte[] m2 = bytes(read(r, ByteBuffer.wrap(bytes(i.start()))));
      byte[] m3 = bytes(read(i, ByteBuffer.wrap(concat(preface, m2))));
      m3Length = m3.length;
      flipBit(m3, at, (at + 5) % 8);
      refused(Field.AUTHENTICATION, () -> read(r, ByteBuffer.wrap(m3)));
      assertFalse(r.isComplete());
    }
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void aTamperedFirstMessageFailsTheInitiatorAtMessage2(CipherSuite suite) {
    SecureHandshake i = Side.plain().initiator(suite);
    SecureHandshake r = Side.plain().responder(suite);
    byte[] preface = bytes(r.start());
    byte[] m1 = bytes(i.start());
    flipBit(m1, SecureHandshake.PREFACE_SIZE + 2 + 5, 4); // another (valid) ephemeral key
    byte[] m2 = bytes(read(r, ByteBuffer.wrap(m1)));
    refused(Field.AUTHENTICATION, () -> read(i, ByteBuffer.wrap(concat(preface, m2))));
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void aPrefaceAlteredOnTheWayFailsTheHandshakeThroughThePrologue(CipherSuite suite) {
    // A relay that shows the responder another initiator preface (say, another suite's) and
    // answers as a responder that took it: the two prologues differ, so message 2 fails.
    CipherSuite other = suite == CipherSuite.AES_256_GCM ? CipherSuite.CHACHA20_POLY1305
        : CipherSuite.AES_256_GCM;
    Side b = Side.plain();
    SecureHandshake i = Side.plain().initiator(suite);
    byte[] first = bytes(i.start());
    byte[] seen = concat(SecureHandshake.preface(other),
        Arrays.copyOfRange(first, SecureHandshake.PREFACE_SIZE, first.length));
    Forger f = Forger.responder(suite, seen, b.staticPair, x25519());
    byte[] m2 = concat(f.preface, f.write(b.payload().bytes()));
    refused(Field.AUTHENTICATION, () -> read(i, ByteBuffer.wrap(m2)));
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void smallOrderEphemeralKeysAreRefused(CipherSuite suite) {
    for (String point : SMALL_ORDER) {
      // In message 1: the responder's DH(e, re) is all zeros.
      byte[] m1 = concat(SecureHandshake.preface(suite), framed(HexFormat.of().parseHex(point)));
      HandshakeException e = responderRefusesPreface(suite, m1, Field.AUTHENTICATION);
      assertTrue(e.getMessage().contains("small-order"), e.getMessage());

      // In message 2: the initiator's DH(e, re) is.
      Side b = Side.plain();
      SecureHandshake i = Side.plain().initiator(suite);
      byte[] first = bytes(i.start());
      Forger f = Forger.responder(suite, first, b.staticPair, smallOrder(point));
      byte[] m2 = concat(f.preface, f.write(b.payload().bytes()));
      refused(Field.AUTHENTICATION, () -> read(i, ByteBuffer.wrap(m2)));
    }
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void smallOrderStaticKeysAreRefused(CipherSuite suite) {
    for (String point : SMALL_ORDER) {
      KeyPair bad = smallOrder(point);
      // As the responder's static key in message 2: the initiator's DH(e, rs) is all zeros.
      Side b = Side.plain();
      SecureHandshake i = Side.plain().initiator(suite);
      Forger f = Forger.responder(suite, bytes(i.start()), bad, x25519());
      byte[] m2 = concat(f.preface, f.write(new Payload(b.identity, bad).bytes()));
      refused(Field.AUTHENTICATION, () -> read(i, ByteBuffer.wrap(m2)));

      // As the initiator's static key in message 3: the responder's DH(e, rs) is.
      Side a = Side.plain();
      SecureHandshake r = Side.plain().responder(suite);
      Forger g = Forger.initiator(suite, bad, x25519());
      g.read(bytes(read(r, ByteBuffer.wrap(concat(g.preface, g.write(new byte[0]))))));
      byte[] m3 = g.write(new Payload(a.identity, bad).bytes());
      refused(Field.AUTHENTICATION, () -> read(r, ByteBuffer.wrap(m3)));
    }
  }

  // ---- payloads: a forged message 2 to a real initiator, a forged message 3 to a responder ---

  /** What a real initiator says of message 2 from a forged responder {@code b}. */
  private static HandshakeException initiatorRefuses(CipherSuite suite, Side b,
      Function<Payload, Payload> alter, Field field) {
    return initiatorRefuses(suite, Side.plain().initiator(suite), b, alter, field);
  }

  private static HandshakeException initiatorRefuses(CipherSuite suite, SecureHandshake i,
      Side b, Function<Payload, Payload> alter, Field field) {
    Forger f = Forger.responder(suite, bytes(i.start()), b.staticPair, x25519());
    byte[] m2 = concat(f.preface, f.write(alter.apply(b.payload()).bytes()));
    HandshakeException e = refused(field, () -> read(i, ByteBuffer.wrap(m2)));
    assertEquals(toldInASealedClose(field), i.isComplete(), "completes only to say why");
    return e;
  }

  /** What a real responder says of message 3 from a forged initiator {@code a}. */
  private static HandshakeException responderRefuses(CipherSuite suite, Side a,
      Function<Payload, Payload> alter, Field field) {
    return responderRefuses(suite, Side.plain().responder(suite), a, alter, field);
  }

  private static HandshakeException responderRefuses(CipherSuite suite, SecureHandshake r,
      Side a, Function<Payload, Payload> alter, Field field) {
    r.start();
    Forger f = Forger.initiator(suite, a.staticPair, x25519());
    f.read(bytes(read(r, ByteBuffer.wrap(concat(f.preface, f.write(new byte[0]))))));
    byte[] m3 = f.write(alter.apply(a.payload()).bytes());
    HandshakeException e = refused(field, () -> read(r, ByteBuffer.wrap(m3)));
    assertEquals(toldInASealedClose(field), r.isComplete(), "completes only to say why");
    return e;
  }

  /**
   * Whether a side that refuses for {@code field} completes the handshake to tell the peer, which
   * proved its identity, why (a sealed CLOSE): settings and the authorizer; not a peer that
   * proved nothing, or not the identity expected.
   */
  private static boolean toldInASealedClose(Field field) {
    return field == Field.NETWORK_ID || field == Field.CODEC || field == Field.NODE_ID
        || field == Field.UNAUTHORIZED;
  }

  /** Both: a forged message 2 and a forged message 3 with the same alteration. */
  private static List<HandshakeException> bothRefuse(CipherSuite suite,
      Function<Payload, Payload> alter, Field field) {
    return List.of(initiatorRefuses(suite, Side.plain(), alter, field),
        responderRefuses(suite, Side.plain(), alter, field));
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void theForgerSucceedsWhenItAltersNothing(CipherSuite suite) {
    // The harness itself: an unaltered forged message passes, so each refusal below is the
    // alteration's doing.
    Side b = Side.plain();
    SecureHandshake i = Side.plain().initiator(suite);
    Forger f = Forger.responder(suite, bytes(i.start()), b.staticPair, x25519());
    byte[] m3 = bytes(read(i, ByteBuffer.wrap(concat(f.preface, f.write(b.payload().bytes())))));
    assertTrue(i.isComplete());
    assertEquals(b.info, i.peer());
    f.read(m3);

    Side a = Side.plain();
    SecureHandshake r = Side.plain().responder(suite);
    Forger g = Forger.initiator(suite, a.staticPair, x25519());
    g.read(bytes(read(r, ByteBuffer.wrap(concat(g.preface, g.write(new byte[0]))))));
    assertNull(read(r, ByteBuffer.wrap(g.write(a.payload().bytes()))));
    assertTrue(r.isComplete());
    assertEquals(a.info, r.peer());
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void anIdentitySignatureThatDoesNotBindTheStaticKeyIsRefused(CipherSuite suite) {
    KeyPair other = x25519();
    Identity stranger = identity();
    byte[] offCurve = new byte[32];
    Arrays.fill(offCurve, (byte) 0xFF); // y = 2^255 - 1 is above p: not a point
    List<Function<Payload, Payload>> forgeries = List.of(
        // a valid signature by this identity, over another static key than the one in use
        p -> p.with(x -> x.signature = stranger.sign(
            SecureHandshake.signed(X25519.encode(other.getPublic())))),
        // the right message, one bit of the signature flipped (in R, then in S)
        p -> p.with(x -> flipBit(x.signature, 3, 1)),
        p -> p.with(x -> flipBit(x.signature, 40, 6)),
        // another identity's key with this one's signature: an identity it holds no key for
        p -> p.with(x -> x.identityKey = stranger.publicKey()),
        p -> p.with(x -> x.identityKey = offCurve),
        p -> p.with(x -> x.signature = new byte[64]));
    for (Function<Payload, Payload> forge : forgeries) {
      for (HandshakeException e : bothRefuse(suite, forge, Field.IDENTITY)) {
        assertTrue(e.getMessage().contains("signature"), e.getMessage());
      }
    }
    // The right key signed without the context string: a signature made for another purpose.
    Side b = Side.plain();
    initiatorRefuses(suite, Side.plain().initiator(suite), b, p -> p.with(x -> x.signature =
        b.identity.sign(X25519.encode(b.staticPair.getPublic()))), Field.IDENTITY);
    Side a = Side.plain();
    responderRefuses(suite, Side.plain().responder(suite), a, p -> p.with(x -> x.signature =
        a.identity.sign(X25519.encode(a.staticPair.getPublic()))), Field.IDENTITY);
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void aMalformedPayloadIsRefusedAsFormat(CipherSuite suite) {
    List<Function<Payload, Payload>> malformed = new ArrayList<>();
    // truncated: at 0, inside the identity, after it, inside each field, before the last
    // (the honest payload is 96 + 1 + 6 + 2 + 1 + 5 + 4 + 2 = 117 bytes)
    for (int cut : new int[] {0, 20, 95, 96, 97, 99, 103, 105, 108, 112, 113, 115, 116}) {
      malformed.add(p -> p.with(x -> x.cut = cut));
    }
    malformed.add(p -> p.with(x -> x.network = new byte[] {(byte) 0xC0, (byte) 0x80}));
    malformed.add(p -> p.with(x -> x.codec = new byte[] {'b', (byte) 0xFF}));
    malformed.add(p -> p.with(x -> x.network = new byte[0]));
    malformed.add(p -> p.with(x -> x.codec = new byte[0]));
    malformed.add(p -> p.with(x -> x.maxFrameSize = 0));
    malformed.add(p -> p.with(x -> x.maxFrameSize = Integer.MIN_VALUE));
    malformed.add(p -> p.with(x -> x.maxFrameSize = -1));
    // extensions: declared 5 with 3 following, 0 with 4 following, an entry past the end
    malformed.add(p -> p.with(x -> {
      x.extensions = new byte[3];
      x.declaredExtensions = 5;
    }));
    malformed.add(p -> p.with(x -> {
      x.extensions = new byte[] {0, 1, 0, 0};
      x.declaredExtensions = 0;
    }));
    malformed.add(p -> p.with(x -> x.extensions = new byte[] {0, 1, 0, 100, 7}));
    malformed.add(p -> p.with(x -> x.extensions = new byte[] {0, 1, 0}));
    for (Function<Payload, Payload> m : malformed) {
      for (HandshakeException e : bothRefuse(suite, m, Field.FORMAT)) {
        assertTrue(e.getMessage().contains("malformed secure handshake payload"),
            e.getMessage());
      }
    }
  }

  // ---- settings, identity, authorization -----------------------------------------------------

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void anotherNetworkOrCodecIsRefusedByBothSides(CipherSuite suite) {
    // honest sides configured apart: the initiator sees it first, in message 2
    HandshakeException network = refused(Field.NETWORK_ID, () -> handshake(
        Side.plain().initiator(suite),
        new Side("testnet", CODEC, 0, 1 << 20).responder(suite), Integer.MAX_VALUE));
    assertTrue(network.getMessage().contains("ours 'duplex', peer's 'testnet'"),
        network.getMessage());
    HandshakeException codec = refused(Field.CODEC, () -> handshake(
        Side.plain().initiator(suite),
        new Side(NETWORK, "json", 0, 1 << 20).responder(suite), Integer.MAX_VALUE));
    assertTrue(codec.getMessage().contains("ours 'bytes', peer's 'json'"), codec.getMessage());
    // and the responder, in message 3
    bothRefuse(suite, p -> p.with(x -> x.network = utf8("testnet")), Field.NETWORK_ID);
    bothRefuse(suite, p -> p.with(x -> x.codec = utf8("json")), Field.CODEC);
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void ourOwnIdentityOnTheOtherSideIsRefused(CipherSuite suite) {
    Identity shared = identity();
    Side a = new Side(shared, NETWORK, CODEC, 0, 1 << 20);
    Side b = new Side(shared, NETWORK, CODEC, 0, 1 << 20); // same identity, another static key
    HandshakeException e = refused(Field.NODE_ID,
        () -> handshake(a.initiator(suite), b.responder(suite), Integer.MAX_VALUE));
    assertTrue(e.getMessage().contains("our own node id"), e.getMessage());
    responderRefuses(suite, b.responder(suite), a, p -> p, Field.NODE_ID);
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void anotherNodeThanTheOneExpectedIsRefused(CipherSuite suite) {
    Side a = Side.plain();
    Side b = Side.plain();
    NodeId expected = identity().nodeId();
    SecureHandshake i = a.initiator(suite, expected, null);
    HandshakeException e = refused(Field.IDENTITY,
        () -> handshake(i, b.responder(suite), Integer.MAX_VALUE));
    assertTrue(e.getMessage().contains("dialed node " + expected.toHex() + " and reached node "
        + b.identity.nodeId().toHex()), e.getMessage());
    assertNull(i.peer(), "nothing of the peer is kept");
    // The expected one passes (and a forged responder cannot pass as it: see the signature test).
    SecureHandshake right = a.initiator(suite, b.identity.nodeId(), null);
    handshake(right, b.responder(suite), Integer.MAX_VALUE);
    assertEquals(b.identity.nodeId(), right.peer().nodeId());
    // A forger that shows the expected node's identity key without its signature over its own
    // static key is refused for the signature, before the node id is compared.
    initiatorRefuses(suite, a.initiator(suite, b.identity.nodeId(), null), Side.plain(),
        p -> p.with(x -> x.identityKey = b.identity.publicKey()), Field.IDENTITY);
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void anAuthorizerThatSaysNoOrThrowsRefusesThePeer(CipherSuite suite) {
    Side a = Side.plain();
    Side b = Side.plain();
    List<String> asked = new CopyOnWriteArrayList<>();
    PeerAuthorizer no = (peer, inbound) -> {
      asked.add(peer.nodeId().toHex() + (inbound ? " in" : " out"));
      return false;
    };
    // the responder's authorizer, on message 3
    HandshakeException e = refused(Field.UNAUTHORIZED,
        () -> handshake(a.initiator(suite), b.responder(suite, no), Integer.MAX_VALUE));
    assertTrue(e.getMessage().contains(a.identity.nodeId().toHex()), e.getMessage());
    assertEquals(List.of(a.identity.nodeId().toHex() + " in"), asked,
        "asked once, with the authenticated id, inbound");
    // the initiator's, on message 2
    asked.clear();
    SecureHandshake i = a.initiator(suite, null, no);
    refused(Field.UNAUTHORIZED, () -> handshake(i, b.responder(suite), Integer.MAX_VALUE));
    assertEquals(List.of(b.identity.nodeId().toHex() + " out"), asked);
    assertEquals(Field.UNAUTHORIZED, i.refusal().field(), "refused, to be told in a CLOSE");
    assertEquals(io.duplex.CloseCodes.UNAUTHORIZED, i.refusalCode());
    // one that throws
    IllegalStateException boom = new IllegalStateException("validator set unavailable");
    PeerAuthorizer throwing = (peer, inbound) -> {
      throw boom;
    };
    HandshakeException t = refused(Field.UNAUTHORIZED,
        () -> handshake(a.initiator(suite), b.responder(suite, throwing), Integer.MAX_VALUE));
    assertSame(boom, t.getCause());
    assertTrue(t.getMessage().contains("validator set unavailable"), t.getMessage());
    refused(Field.UNAUTHORIZED, () -> handshake(a.initiator(suite, null, throwing),
        b.responder(suite), Integer.MAX_VALUE));
    // and one that says yes lets it in
    SecureHandshake r = b.responder(suite, (peer, inbound) -> true);
    handshake(a.initiator(suite, null, (peer, inbound) -> true), r, Integer.MAX_VALUE);
    assertEquals(a.identity.nodeId(), r.peer().nodeId());
  }

  @Test
  void differentHandshakesOfTheSameNodesHaveDifferentHashes() {
    Side a = Side.plain();
    Side b = Side.plain();
    SecureHandshake i1 = a.initiator(CipherSuite.CHACHA20_POLY1305);
    SecureHandshake r1 = b.responder(CipherSuite.CHACHA20_POLY1305);
    handshake(i1, r1, Integer.MAX_VALUE);
    SecureHandshake i2 = a.initiator(CipherSuite.CHACHA20_POLY1305);
    SecureHandshake r2 = b.responder(CipherSuite.CHACHA20_POLY1305);
    handshake(i2, r2, Integer.MAX_VALUE);
    assertNotEquals(HexFormat.of().formatHex(i1.handshakeHash()),
        HexFormat.of().formatHex(i2.handshakeHash()), "fresh ephemeral keys each time");
  }
}
