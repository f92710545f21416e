package io.duplex.internal;

import io.duplex.HandshakeException;
import io.duplex.HandshakeException.Field;
import io.duplex.NodeId;
import io.duplex.PeerInfo;
import io.duplex.internal.noise.CipherState;
import io.duplex.internal.noise.HandshakeState;
import io.duplex.internal.noise.NoiseException;
import io.duplex.internal.noise.NoiseSuite;
import io.duplex.internal.noise.X25519;
import io.duplex.security.CipherSuite;
import io.duplex.security.Identity;
import io.duplex.security.PeerAuthorizer;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.Arrays;

/**
 * One side of duplex's secure handshake (docs/PROTOCOL.md, "Secure channel"): the preface, then
 * Noise XX, whose second and third messages carry each side's identity and settings. Fed the
 * peer's bytes as they arrive, it answers with the bytes to send, and ends with the peer's
 * authenticated {@link PeerInfo} and the two transport cipher states.
 *
 * <pre>
 *   preface, both sides:  "DPLX"  u16 version 2  u8 mode 1 (Noise XX)  u8 cipher suite
 *   handshake message:    u16 length, then the Noise message (XX: e | e,ee,s,es | s,se)
 *   payload of 2 and 3:   32 identity key (Ed25519), 64 signature over
 *                         "duplex-noise-static-key:" || the sender's static X25519 key,
 *                         u8 n network id, u16 listen port, u8 n codec, u32 max frame size,
 *                         u16 n, then n bytes of extensions: (u16 type, u16 length, bytes)*;
 *                         unknown types ignored
 * </pre>
 *
 * The prologue is the initiator's preface: the responder refuses a preface unlike its own, so
 * both sides hash the same bytes, and an altered preface fails the handshake. Not thread-safe:
 * its connection's read loop drives it.
 */
public final class SecureHandshake {
  /** Bytes in a preface. */
  public static final int PREFACE_SIZE = 8;
  /** The protocol version of the secure channel. */
  public static final int VERSION = 2;
  /** The preface's mode byte: Noise XX. */
  public static final int MODE_NOISE_XX = 1;
  /** What each side's identity signature covers, before its static key. */
  static final byte[] SIGNATURE_CONTEXT =
      "duplex-noise-static-key:".getBytes(StandardCharsets.US_ASCII);
  /** Bytes of identity key and signature at the start of a payload. */
  private static final int IDENTITY_SIZE = 32 + 64;

  /**
   * A transport's static X25519 key pair and its identity's signature over the public half:
   * made once per transport, shared by its connections (immutable).
   */
  public static final class StaticKey {
    final Identity identity;
    final KeyPair pair;
    final byte[] signature;

    private StaticKey(Identity identity, KeyPair pair) {
      this.identity = identity;
      this.pair = pair;
      this.signature = identity.sign(signed(X25519.encode(pair.getPublic())));
    }

    /** A fresh static key for {@code identity}. */
    public static StaticKey generate(Identity identity) {
      return new StaticKey(identity, X25519.generate());
    }

    /** The static key {@code pair} for {@code identity} (fixed keys, for tests). */
    public static StaticKey of(Identity identity, KeyPair pair) {
      return new StaticKey(identity, pair);
    }

    /** Never shows keys. */
    @Override
    public String toString() {
      return "StaticKey[" + identity + "]";
    }
  }

  private final boolean initiator;
  private final CipherSuite suite;
  private final PeerInfo local;
  private final StaticKey key;
  private final NodeId expected;
  private final PeerAuthorizer authorizer;
  private final int maxMessage;
  private final KeyPair ephemeral;
  private final byte[] preface;
  private final ByteBuffer in;
  private HandshakeState noise;
  private boolean prefaceRead;
  private int messagesRead;
  private PeerInfo peer;
  private byte[] peerIdentityKey;
  private CipherState[] split;
  private HandshakeException refusal;
  private final LaneTable lanes;
  private LaneTable peerLanes;

  /**
   * @param initiator whether this side dialed
   * @param local what this side says about itself (its node id is its identity's)
   * @param expected the node id the dialer expects to reach, or null for any
   * @param authorizer who may connect once authenticated, or null for anyone
   * @param maxMessage the longest handshake message accepted (bytes after its length)
   * @param ephemeral a fixed ephemeral key pair (tests), or null for a fresh one
   */
  public SecureHandshake(boolean initiator, CipherSuite suite, PeerInfo local, StaticKey key,
      NodeId expected, PeerAuthorizer authorizer, int maxMessage, KeyPair ephemeral) {
    this(initiator, suite, local, null, key, expected, authorizer, maxMessage, ephemeral);
  }

  /** As above, announcing {@code lanes} (null: no lanes) in the payload's extension area. */
  public SecureHandshake(boolean initiator, CipherSuite suite, PeerInfo local, LaneTable lanes,
      StaticKey key, NodeId expected, PeerAuthorizer authorizer, int maxMessage,
      KeyPair ephemeral) {
    this.lanes = lanes;
    this.initiator = initiator;
    this.suite = suite;
    this.local = local;
    this.key = key;
    this.expected = expected;
    this.authorizer = authorizer;
    this.maxMessage = Math.min(maxMessage, 65535);
    this.ephemeral = ephemeral;
    this.preface = preface(suite);
    this.in = ByteBuffer.allocate(2 + this.maxMessage);
  }

  /** This side's 8-byte preface for {@code suite}. */
  public static byte[] preface(CipherSuite suite) {
    return new byte[] {'D', 'P', 'L', 'X', 0, (byte) VERSION, (byte) MODE_NOISE_XX,
        (byte) suite.code()};
  }

  /** The bytes to send first: the preface, and the initiator's first message. */
  public ByteBuffer start() {
    if (!initiator) {
      return ByteBuffer.wrap(preface.clone());
    }
    noise = HandshakeState.initiator(noiseSuite(), preface, key.pair, ephemeral);
    byte[] m1 = noise.writeMessage(new byte[0]);
    return ByteBuffer.allocate(PREFACE_SIZE + 2 + m1.length)
        .put(preface).putShort((short) m1.length).put(m1).flip();
  }

  /**
   * Takes in what it can of {@code src}: the handshake's bytes, and no more (what follows the
   * last handshake message is the first records). Returns the bytes to send in answer, or null.
   *
   * @throws HandshakeException if the peer's bytes are refused: the message says what failed
   */
  public ByteBuffer read(ByteBuffer src) {
    while (!isComplete() && src.hasRemaining()) {
      if (!prefaceRead) {
        if (!fill(src, PREFACE_SIZE)) {
          return null;
        }
        checkPreface();
        prefaceRead = true;
        in.clear();
        if (!initiator) {
          noise = HandshakeState.responder(noiseSuite(), preface, key.pair, ephemeral);
        }
        continue;
      }
      if (!fill(src, 2)) {
        return null;
      }
      int length = in.getShort(0) & 0xFFFF;
      if (length > maxMessage) {
        throw new HandshakeException(Field.FORMAT, "handshake failed: the peer's handshake"
            + " message of " + length + " bytes is over the limit " + maxMessage + "; a broken or"
            + " hostile peer (or raise maxHandshakeFrameSize on both sides)");
      }
      if (!fill(src, 2 + length)) {
        return null;
      }
      byte[] message = Arrays.copyOfRange(in.array(), 2, 2 + length);
      in.clear();
      ByteBuffer answer = onMessage(message);
      if (answer != null) {
        return answer;
      }
    }
    return null;
  }

  /**
   * Fills {@code in} from {@code src} up to {@code n} bytes; true once it holds them (or more:
   * the length field is asked for again while the message after it is still arriving).
   */
  private boolean fill(ByteBuffer src, int n) {
    int take = Math.min(src.remaining(), n - in.position());
    if (take > 0) {
      int limit = src.limit();
      src.limit(src.position() + take);
      in.put(src);
      src.limit(limit);
    }
    return in.position() >= n;
  }

  private ByteBuffer onMessage(byte[] message) {
    try {
      return answer(message);
    } catch (NoiseException e) { // our DH with the peer's key: a small-order point, say
      throw new HandshakeException(Field.AUTHENTICATION, "handshake failed: " + e.getMessage(),
          e);
    }
  }

  private ByteBuffer answer(byte[] message) {
    if (initiator) { // the responder's message 2
      byte[] payload = readNoise(message);
      acceptPayload(payload);
      byte[] m3 = noise.writeMessage(payload());
      split = noise.split();
      return ByteBuffer.allocate(2 + m3.length).putShort((short) m3.length).put(m3).flip();
    }
    if (messagesRead++ == 0) { // message 1
      if (message.length != X25519.KEY_SIZE) {
        throw new HandshakeException(Field.FORMAT, "handshake failed: the first Noise message"
            + " has " + message.length + " bytes; duplex's is exactly an ephemeral key ("
            + X25519.KEY_SIZE + " bytes, no payload)");
      }
      readNoise(message);
      byte[] m2 = noise.writeMessage(payload());
      return ByteBuffer.allocate(2 + m2.length).putShort((short) m2.length).put(m2).flip();
    }
    acceptPayload(readNoise(message)); // message 3
    split = noise.split();
    return null;
  }

  private byte[] readNoise(byte[] message) {
    try {
      return noise.readMessage(message);
    } catch (NoiseException e) {
      throw new HandshakeException(Field.AUTHENTICATION, "handshake failed: the peer's"
          + " handshake message was refused (" + e.getMessage() + "); the connection was"
          + " tampered with, or the peer is broken or hostile", e);
    }
  }

  private void checkPreface() {
    byte[] p = Arrays.copyOf(in.array(), PREFACE_SIZE);
    if (p[0] != 'D' || p[1] != 'P' || p[2] != 'L' || p[3] != 'X') {
      if (p[4] == Wire.HANDSHAKE && p[5] == 'D' && p[6] == 'P' && p[7] == 'L') {
        throw new HandshakeException(Field.SECURITY, "handshake failed: the peer speaks"
            + " insecure plaintext (a duplex node with insecurePlaintext(), or duplex 1.x), and"
            + " this node requires the secure channel; both sides must agree, and a secure node"
            + " never falls back to plaintext");
      }
      throw new HandshakeException(Field.MAGIC, "handshake failed: the peer's first bytes are"
          + " not the duplex preface \"DPLX\"; it is not a duplex peer");
    }
    int version = ((p[4] & 0xFF) << 8) | (p[5] & 0xFF);
    if (version != VERSION) {
      throw HandshakeException.mismatch(Field.VERSION, VERSION, version);
    }
    if (p[6] != MODE_NOISE_XX) {
      throw new HandshakeException(Field.SECURITY, "handshake failed: the peer asks for security"
          + " mode " + (p[6] & 0xFF) + ", and this node speaks only mode " + MODE_NOISE_XX
          + " (Noise XX)");
    }
    CipherSuite theirs = CipherSuite.ofCode(p[7] & 0xFF);
    if (theirs != suite) {
      throw HandshakeException.mismatch(Field.CIPHER_SUITE, suite,
          theirs != null ? theirs : "unknown suite " + (p[7] & 0xFF));
    }
  }

  private byte[] payload() {
    byte[] network = shortBytes(local.networkId(), "network id");
    byte[] codec = shortBytes(local.codecName(), "codec name");
    int extensions = lanes == null ? 0 : lanes.extensionSize();
    ByteBuffer out = ByteBuffer.allocate(IDENTITY_SIZE + 1 + network.length + 2 + 1
        + codec.length + 4 + 2 + extensions);
    out.put(key.identity.publicKey()).put(key.signature);
    out.put((byte) network.length).put(network).putShort((short) local.listenPort());
    out.put((byte) codec.length).put(codec).putInt(local.maxFrameSize());
    out.putShort((short) extensions); // none without lanes
    if (lanes != null) {
      lanes.writeExtension(out);
    }
    return out.array();
  }

  private void acceptPayload(byte[] payload) {
    ByteBuffer p = ByteBuffer.wrap(payload);
    try {
      byte[] identityKey = new byte[32];
      byte[] signature = new byte[64];
      p.get(identityKey).get(signature);
      if (!Identity.verify(identityKey, signed(noise.remoteStatic()), signature)) {
        throw new HandshakeException(Field.IDENTITY, "handshake failed: the peer's identity"
            + " signature does not bind its identity key to its handshake key; it claims an"
            + " identity whose private key it does not hold");
      }
      NodeId id = Identity.nodeIdOf(identityKey);
      String network = utf8(readShortBytes(p, "network id"), "network id");
      int listenPort = p.getShort() & 0xFFFF;
      String codec = utf8(readShortBytes(p, "codec name"), "codec name");
      int maxFrameSize = p.getInt();
      if (maxFrameSize <= 0) {
        throw format("max frame size must be 1..2^31-1: " + (maxFrameSize & 0xFFFFFFFFL));
      }
      int extensions = p.getShort() & 0xFFFF;
      if (extensions != p.remaining()) {
        throw format("the extensions say " + extensions + " bytes, and " + p.remaining()
            + " follow");
      }
      // Skips extension types it does not know.
      LaneTable theirLanes = LaneTable.readExtensions(p, SecureHandshake::format);
      PeerInfo remote = new PeerInfo(id, network, listenPort, codec, maxFrameSize);
      if (expected != null && !expected.equals(id)) {
        throw new HandshakeException(Field.IDENTITY, "handshake failed: dialed node "
            + expected.toHex() + " and reached node " + id.toHex() + ", which proved that"
            + " identity; the address belongs to another node, or someone on the path answered"
            + " with its own key");
      }
      // The peer proved its identity: a refusal from here on is told to it, sealed, once both
      // sides have their keys (refusal()), so that both sides say why.
      try {
        Handshake.check(local, remote);
        LaneTable.check(lanes, theirLanes);
        if (authorizer != null && !authorized(remote)) {
          throw new HandshakeException(Field.UNAUTHORIZED, "handshake failed: node "
              + id.toHex() + " authenticated, and this node's authorizer does not allow it");
        }
      } catch (HandshakeException e) {
        refusal = e;
      }
      peer = remote;
      peerLanes = theirLanes;
      peerIdentityKey = identityKey;
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw format("the payload ends before its last field");
    }
  }

  private boolean authorized(PeerInfo remote) {
    try {
      return authorizer.allows(remote, !initiator);
    } catch (RuntimeException e) {
      throw new HandshakeException(Field.UNAUTHORIZED, "handshake failed: the authorizer threw "
          + e + " for node " + remote.nodeId().toHex() + "; the peer is refused", e);
    }
  }

  private NoiseSuite noiseSuite() {
    return suite == CipherSuite.AES_256_GCM ? NoiseSuite.AES_GCM : NoiseSuite.CHACHA_POLY;
  }

  /**
   * Whether this side is the responder and has sent message 2 (its identity and settings), and
   * waits for the initiator's last message.
   */
  public boolean awaitsLastMessage() {
    return !initiator && messagesRead == 1 && split == null;
  }

  /**
   * Why this side refuses the authenticated peer (its settings differ, or the authorizer said
   * no), or null. Once complete, a refusing side sends a sealed CLOSE with {@link
   * #refusalCode()} and the message, and does not open the connection.
   */
  public HandshakeException refusal() {
    return refusal;
  }

  /** The CLOSE code of {@link #refusal()}. */
  public int refusalCode() {
    return refusal.field() == Field.UNAUTHORIZED ? io.duplex.CloseCodes.UNAUTHORIZED
        : io.duplex.CloseCodes.MISMATCH;
  }

  /** Whether both sides' messages are done. */
  public boolean isComplete() {
    return split != null;
  }

  /** The peer's lane table, once its payload was accepted; null if it has none. */
  public LaneTable peerLanes() {
    return peerLanes;
  }

  /** The peer's authenticated settings; its node id is its identity key's. */
  public PeerInfo peer() {
    return peer;
  }

  /** The peer's 32-byte Ed25519 identity key (a copy). */
  public byte[] peerIdentityKey() {
    return peerIdentityKey.clone();
  }

  /** {@code [sending, receiving]}: the transport cipher states, once complete. */
  public CipherState[] split() {
    if (split == null) {
      throw new IllegalStateException("the handshake is not complete");
    }
    return split;
  }

  /** The handshake hash, once complete (equal on both sides). */
  public byte[] handshakeHash() {
    return noise.handshakeHash();
  }

  static byte[] signed(byte[] staticKey) {
    byte[] message = Arrays.copyOf(SIGNATURE_CONTEXT, SIGNATURE_CONTEXT.length + staticKey.length);
    System.arraycopy(staticKey, 0, message, SIGNATURE_CONTEXT.length, staticKey.length);
    return message;
  }

  private static byte[] shortBytes(String text, String what) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (bytes.length == 0 || bytes.length > 255) {
      throw new IllegalArgumentException(what + " must be 1 to 255 bytes: " + bytes.length);
    }
    return bytes;
  }

  private static byte[] readShortBytes(ByteBuffer in, String what) {
    byte[] bytes = Handshake.shortField(in);
    if (bytes == null) {
      throw format(what + " is empty");
    }
    return bytes;
  }

  private static String utf8(byte[] bytes, String what) {
    String text = Handshake.strictUtf8(bytes);
    if (text == null) {
      throw format(what + " is not valid UTF-8");
    }
    return text;
  }

  private static HandshakeException format(String detail) {
    return new HandshakeException(Field.FORMAT, "handshake failed: malformed secure handshake"
        + " payload: " + detail + "; the peer is broken or speaks another protocol");
  }

  /** Never shows keys. */
  @Override
  public String toString() {
    return "SecureHandshake[" + (initiator ? "initiator" : "responder") + ", " + suite
        + (isComplete() ? ", complete" : "") + "]";
  }
}
