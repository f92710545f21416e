package io.duplex.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.PeerInfo;
import io.duplex.internal.noise.CipherState;
import io.duplex.internal.noise.HandshakeState;
import io.duplex.internal.noise.NoiseSuite;
import io.duplex.internal.noise.X25519;
import io.duplex.security.CipherSuite;
import io.duplex.security.Identity;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The hex transcripts in docs/PROTOCOL.md ("Transcript") are what the code produces: an initiator
 * and a responder {@link SecureHandshake} run in memory with fixed keys, then each seals one
 * MESSAGE frame with its split state. Every byte on the wire is printed in order, and the text
 * between the document's markers must equal it byte for byte, so the document cannot drift.
 *
 * <p>To regenerate after a deliberate change to the protocol, run this test and copy the printed
 * block between the markers.
 */
class SecureTranscriptTest {
  private static final Path DOC = Path.of("../docs/PROTOCOL.md");
  private static final int MAX_FRAME = 16 * 1024 * 1024;

  /** Byte i of each fixed 32-byte key is its first byte plus i: 00..1f, 20..3f, and so on. */
  private static byte[] key(int first) {
    byte[] k = new byte[32];
    for (int i = 0; i < 32; i++) {
      k[i] = (byte) (first + i);
    }
    return k;
  }

  private static final byte[] INITIATOR_SEED = key(0x00);
  private static final byte[] RESPONDER_SEED = key(0x20);
  private static final byte[] INITIATOR_STATIC = key(0x40);
  private static final byte[] INITIATOR_EPHEMERAL = key(0x60);
  private static final byte[] RESPONDER_STATIC = key(0x80);
  private static final byte[] RESPONDER_EPHEMERAL = key(0xa0);

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void theDocumentedTranscriptIsWhatTheCodeSendsByteForByte(CipherSuite suite)
      throws IOException {
    String produced = transcript(suite);
    System.out.println(begin(suite));
    System.out.print(produced);
    System.out.println(END);
    assertEquals(produced, documented(suite), "docs/PROTOCOL.md's transcript for "
        + suite.protocolName() + " differs from what the code sends (printed above)");
  }

  /** The transcript of a fixed-key handshake and one record each way, as the document shows it. */
  static String transcript(CipherSuite suite) {
    Identity initiatorId = Identity.fromSeed(INITIATOR_SEED);
    Identity responderId = Identity.fromSeed(RESPONDER_SEED);
    KeyPair initiatorStatic = X25519.fromPrivate(INITIATOR_STATIC);
    KeyPair initiatorEphemeral = X25519.fromPrivate(INITIATOR_EPHEMERAL);
    KeyPair responderStatic = X25519.fromPrivate(RESPONDER_STATIC);
    KeyPair responderEphemeral = X25519.fromPrivate(RESPONDER_EPHEMERAL);
    PeerInfo initiatorInfo = new PeerInfo(initiatorId.nodeId(), "duplex", 0, "bytes", MAX_FRAME);
    PeerInfo responderInfo =
        new PeerInfo(responderId.nodeId(), "duplex", 9000, "bytes", MAX_FRAME);

    SecureHandshake initiator = new SecureHandshake(true, suite, initiatorInfo,
        SecureHandshake.StaticKey.of(initiatorId, initiatorStatic), responderId.nodeId(), null,
        4096, initiatorEphemeral);
    SecureHandshake responder = new SecureHandshake(false, suite, responderInfo,
        SecureHandshake.StaticKey.of(responderId, responderStatic), null, null, 4096,
        responderEphemeral);

    byte[] initiatorStart = bytes(initiator.start()); // preface, then message 1
    byte[] initiatorPreface = Arrays.copyOf(initiatorStart, SecureHandshake.PREFACE_SIZE);
    byte[] m1 = Arrays.copyOfRange(initiatorStart, SecureHandshake.PREFACE_SIZE,
        initiatorStart.length);
    byte[] responderPreface = bytes(responder.start());
    byte[] m2 = bytes(responder.read(ByteBuffer.wrap(initiatorStart)));
    byte[] m3 = bytes(initiator.read(ByteBuffer.wrap(concat(responderPreface, m2))));
    assertNull(responder.read(ByteBuffer.wrap(m3)), "the responder answers message 3 with nothing");
    assertTrue(initiator.isComplete() && responder.isComplete());
    assertArrayEquals(initiator.handshakeHash(), responder.handshakeHash());
    assertEquals(responderId.nodeId(), initiator.peer().nodeId());
    assertEquals(initiatorId.nodeId(), responder.peer().nodeId());

    // The payloads as the document lays them out are what the handshake sealed: a bare Noise XX
    // run with the same keys, the prologue and these payloads gives the same three messages.
    byte[] responderPayload = payloadOf(responderId, responderStatic, responderInfo);
    byte[] initiatorPayload = payloadOf(initiatorId, initiatorStatic, initiatorInfo);
    NoiseSuite noise = NoiseSuite.byProtocolName(suite.protocolName());
    HandshakeState i = HandshakeState.initiator(noise, initiatorPreface, initiatorStatic,
        initiatorEphemeral);
    HandshakeState r = HandshakeState.responder(noise, initiatorPreface, responderStatic,
        responderEphemeral);
    assertArrayEquals(m1, withLength(i.writeMessage(new byte[0])), "message 1");
    r.readMessage(Arrays.copyOfRange(m1, 2, m1.length));
    assertArrayEquals(m2, withLength(r.writeMessage(responderPayload)), "message 2");
    i.readMessage(Arrays.copyOfRange(m2, 2, m2.length));
    assertArrayEquals(m3, withLength(i.writeMessage(initiatorPayload)), "message 3");

    byte[] initiatorFrame = messageFrame("hello");
    byte[] responderFrame = messageFrame("hello, initiator");
    byte[] initiatorRecord = seal(initiator.split()[0], initiatorFrame);
    byte[] responderRecord = seal(responder.split()[0], responderFrame);
    assertArrayEquals(initiatorFrame, open(responder.split()[1], initiatorRecord));
    assertArrayEquals(responderFrame, open(initiator.split()[1], responderRecord));

    Text t = new Text();
    t.line("protocol " + suite.protocolName() + " (suite code " + suite.code() + ")");
    if (suite != CipherSuite.CHACHA20_POLY1305) { // the inputs are the same: the wire only
      t.line("keys, settings and payloads as in the ChaChaPoly transcript");
      t.line("");
    } else {
      t.line("each private key below is the 32 bytes counting up from its first byte");
      t.line("");
      side(t, "initiator", INITIATOR_SEED, INITIATOR_STATIC, INITIATOR_EPHEMERAL, initiatorInfo);
      side(t, "responder", RESPONDER_SEED, RESPONDER_STATIC, RESPONDER_EPHEMERAL, responderInfo);
      t.line("the initiator dials expecting node id " + responderId.nodeId().toHex());
      t.line("");
      t.hex("responder payload, the plaintext of message 2's last field", responderPayload);
      t.hex("initiator payload, the plaintext of message 3's last field", initiatorPayload);
      t.line("");
    }
    t.line("the wire, in order (I: initiator, R: responder)");
    t.line("");
    t.hex("I->R preface", initiatorPreface);
    t.hex("R->I preface", responderPreface);
    t.hex("I->R message 1 (u16 length, then e)", m1);
    t.hex("R->I message 2 (u16 length, then e, s sealed, payload sealed)", m2);
    t.hex("I->R message 3 (u16 length, then s sealed, payload sealed)", m3);
    t.hex("handshake hash (both sides)", initiator.handshakeHash());
    t.hex("I->R plaintext of record 1: MESSAGE \"hello\"", initiatorFrame);
    t.hex("I->R record 1 (u16 length, then ciphertext, nonce 0)", initiatorRecord);
    t.hex("R->I plaintext of record 1: MESSAGE \"hello, initiator\"", responderFrame);
    t.hex("R->I record 1 (u16 length, then ciphertext, nonce 0)", responderRecord);
    return t.toString();
  }

  /** One side's inputs: its keys (private and public) and its settings. */
  private static void side(Text t, String name, byte[] seed, byte[] staticPrivate,
      byte[] ephemeralPrivate, PeerInfo info) {
    Identity id = Identity.fromSeed(seed);
    t.hex(name + " identity seed (Ed25519 private key)", seed);
    t.hex(name + " identity key (Ed25519 public key)", id.publicKey());
    t.hex(name + " node id (first 20 bytes of SHA-256 of the identity key)",
        id.nodeId().toBytes());
    t.hex(name + " static private key (X25519)", staticPrivate);
    t.hex(name + " static public key", X25519.encode(X25519.fromPrivate(staticPrivate)
        .getPublic()));
    t.hex(name + " ephemeral private key (X25519)", ephemeralPrivate);
    t.hex(name + " ephemeral public key", X25519.encode(X25519.fromPrivate(ephemeralPrivate)
        .getPublic()));
    t.line(name + " settings: network \"" + info.networkId() + "\", listen port "
        + info.listenPort() + ", codec \"" + info.codecName() + "\", max frame size "
        + info.maxFrameSize());
    t.line("");
  }

  /** A MESSAGE frame whose body is {@code text} in UTF-8 (the "bytes" codec sends it as is). */
  private static byte[] messageFrame(String text) {
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(4 + 1 + body.length).putInt(1 + body.length).put(Wire.MESSAGE)
        .put(body).array();
  }

  /** One record: u16 length, then the frame bytes sealed (as transport-nio's Sealer does). */
  private static byte[] seal(CipherState state, byte[] plaintext) {
    ByteBuffer out = ByteBuffer.allocate(2 + plaintext.length + CipherState.TAG_SIZE);
    Records.rekeyIfDue(state);
    out.putShort((short) (plaintext.length + CipherState.TAG_SIZE));
    state.encryptWithAd(new byte[0], plaintext, 0, plaintext.length, out.array(), 2);
    return out.array();
  }

  private static byte[] open(CipherState state, byte[] record) {
    int length = ByteBuffer.wrap(record).getShort() & 0xFFFF;
    assertEquals(record.length - 2, length);
    byte[] plain = new byte[length];
    Records.rekeyIfDue(state);
    int n = state.decryptWithAd(new byte[0], record, 2, length, plain, 0);
    return Arrays.copyOf(plain, n);
  }

  private static byte[] withLength(byte[] message) {
    return ByteBuffer.allocate(2 + message.length).putShort((short) message.length).put(message)
        .array();
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] a = new byte[b.remaining()];
    b.get(a);
    return a;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  private static final String END = "<!-- transcript end -->";

  private static String begin(CipherSuite suite) {
    return "<!-- transcript " + suite.protocolName() + " begin -->";
  }

  /**
   * The lines of docs/PROTOCOL.md between this suite's begin marker and the end marker after it,
   * without the code fence that wraps them.
   */
  private static String documented(CipherSuite suite) throws IOException {
    List<String> lines = Files.readAllLines(DOC, StandardCharsets.UTF_8);
    int from = lines.indexOf(begin(suite));
    assertTrue(from >= 0, "docs/PROTOCOL.md has no line '" + begin(suite) + "'");
    int to = lines.subList(from, lines.size()).indexOf(END) + from;
    assertTrue(to > from, "docs/PROTOCOL.md has no '" + END + "' after " + begin(suite));
    List<String> block = new ArrayList<>(lines.subList(from + 1, to));
    assertEquals("```text", block.get(0), "the transcript opens with a ```text fence");
    assertEquals("```", block.get(block.size() - 1), "the transcript closes with a ``` fence");
    StringBuilder s = new StringBuilder();
    for (String line : block.subList(1, block.size() - 1)) {
      s.append(line).append('\n');
    }
    return s.toString();
  }

  /** The transcript's text: labelled hex, 64 hex digits (32 bytes) a line. */
  private static final class Text {
    private final StringBuilder s = new StringBuilder();

    void line(String text) {
      s.append(text).append('\n');
    }

    void hex(String label, byte[] bytes) {
      line(label + ", " + bytes.length + " bytes:");
      String hex = Bytes.hex(bytes);
      for (int i = 0; i < hex.length(); i += 64) {
        line("  " + hex.substring(i, Math.min(hex.length(), i + 64)));
      }
    }

    @Override
    public String toString() {
      return s.toString();
    }
  }

  /**
   * The payload a side sends in message 2 or 3, built from the document's layout: identity key,
   * signature over "duplex-noise-static-key:" and the static key, network id, listen port, codec
   * name, max frame size, and an empty extension area. {@link #transcript} checks that the Noise
   * messages sealing exactly these bytes are the ones the handshake sent.
   */
  private static byte[] payloadOf(Identity id, KeyPair staticKey, PeerInfo info) {
    byte[] signed = concat("duplex-noise-static-key:".getBytes(StandardCharsets.US_ASCII),
        X25519.encode(staticKey.getPublic()));
    byte[] network = info.networkId().getBytes(StandardCharsets.UTF_8);
    byte[] codec = info.codecName().getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(32 + 64 + 1 + network.length + 2 + 1 + codec.length + 4 + 2)
        .put(id.publicKey()).put(id.sign(signed))
        .put((byte) network.length).put(network).putShort((short) info.listenPort())
        .put((byte) codec.length).put(codec).putInt(info.maxFrameSize())
        .putShort((short) 0)
        .array();
  }
}
