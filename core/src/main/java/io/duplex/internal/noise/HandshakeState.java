package io.duplex.internal.noise;

import java.security.KeyPair;
import java.util.Arrays;

/**
 * A Noise HandshakeState (section 5.3) for the one pattern duplex uses, XX (section 7.5):
 *
 * <pre>
 *   -&gt; e
 *   &lt;- e, ee, s, es
 *   -&gt; s, se
 * </pre>
 *
 * The initiator writes messages 1 and 3 and reads 2; the responder the reverse. After message 3
 * {@link #split()} gives the two transport cipher states. Not thread-safe: one handshake runs on
 * one thread at a time (a connection's read loop).
 */
public final class HandshakeState {
  private static final int DH_LEN = X25519.KEY_SIZE;

  private final boolean initiator;
  private final SymmetricState symmetric;
  private final KeyPair s;
  private KeyPair e;
  private byte[] re; // the remote ephemeral public key
  private byte[] rs; // the remote static public key
  private int message; // how many of the three messages are done

  private HandshakeState(boolean initiator, NoiseSuite suite, byte[] prologue, KeyPair s,
      KeyPair e) {
    this.initiator = initiator;
    this.symmetric = new SymmetricState(suite);
    this.s = s;
    this.e = e;
    symmetric.mixHash(prologue);
  }

  /**
   * The initiator's state: static key pair {@code s}, and ephemeral {@code e} (null: a fresh one,
   * which is the only safe choice outside tests).
   */
  public static HandshakeState initiator(NoiseSuite suite, byte[] prologue, KeyPair s,
      KeyPair e) {
    return new HandshakeState(true, suite, prologue, s, e);
  }

  /** The responder's state; see {@link #initiator}. */
  public static HandshakeState responder(NoiseSuite suite, byte[] prologue, KeyPair s,
      KeyPair e) {
    return new HandshakeState(false, suite, prologue, s, e);
  }

  /** Whether the next message is ours to write. */
  public boolean isMyTurn() {
    return !isComplete() && (message % 2 == 0) == initiator;
  }

  /** Whether all three messages are done. */
  public boolean isComplete() {
    return message == 3;
  }

  /** The length of message {@code index} (0, 1 or 2) with a payload of {@code payloadLength}. */
  public static int messageLength(int index, int payloadLength) {
    switch (index) {
      case 0: return DH_LEN + payloadLength;
      case 1: return DH_LEN + DH_LEN + CipherState.TAG_SIZE + payloadLength + CipherState.TAG_SIZE;
      case 2: return DH_LEN + CipherState.TAG_SIZE + payloadLength + CipherState.TAG_SIZE;
      default: throw new IllegalArgumentException("XX has three messages: " + index);
    }
  }

  /** WriteMessage(payload): the next message of the handshake, which must be ours to write. */
  public byte[] writeMessage(byte[] payload) {
    if (!isMyTurn()) {
      throw new IllegalStateException("not this side's turn to write (message " + message + ")");
    }
    byte[] out = new byte[messageLength(message, payload.length)];
    int at = 0;
    switch (message) {
      case 0: // -> e
        at = writeE(out, at);
        break;
      case 1: // <- e, ee, s, es
        at = writeE(out, at);
        symmetric.mixKey(X25519.dh(e.getPrivate(), re));
        at = writeS(out, at);
        symmetric.mixKey(X25519.dh(s.getPrivate(), re));
        break;
      default: // -> s, se
        at = writeS(out, at);
        symmetric.mixKey(X25519.dh(s.getPrivate(), re));
        break;
    }
    byte[] sealed = symmetric.encryptAndHash(payload);
    System.arraycopy(sealed, 0, out, at, sealed.length);
    message++;
    return out;
  }

  /**
   * ReadMessage(message): checks and takes in the peer's next message, returning its payload.
   *
   * @throws NoiseException if the message is too short, a key in it is unusable, or a tag does
   *     not verify (the handshake has then failed for good)
   */
  public byte[] readMessage(byte[] in) {
    if (isMyTurn() || isComplete()) {
      throw new IllegalStateException("not this side's turn to read (message " + message + ")");
    }
    int min = messageLength(message, 0);
    if (in.length < min) {
      throw new NoiseException("handshake message " + (message + 1) + " of " + in.length
          + " bytes is shorter than the " + min + " its pattern needs");
    }
    int at = 0;
    switch (message) {
      case 0: // -> e
        at = readE(in, at);
        break;
      case 1: // <- e, ee, s, es
        at = readE(in, at);
        symmetric.mixKey(X25519.dh(e.getPrivate(), re));
        at = readS(in, at);
        symmetric.mixKey(X25519.dh(e.getPrivate(), rs));
        break;
      default: // -> s, se
        at = readS(in, at);
        symmetric.mixKey(X25519.dh(e.getPrivate(), rs));
        break;
    }
    byte[] payload = symmetric.decryptAndHash(in, at, in.length - at);
    message++;
    return payload;
  }

  private int writeE(byte[] out, int at) {
    if (e == null) {
      e = X25519.generate();
    }
    byte[] pub = X25519.encode(e.getPublic());
    System.arraycopy(pub, 0, out, at, DH_LEN);
    symmetric.mixHash(pub);
    return at + DH_LEN;
  }

  private int writeS(byte[] out, int at) {
    byte[] sealed = symmetric.encryptAndHash(X25519.encode(s.getPublic()));
    System.arraycopy(sealed, 0, out, at, sealed.length);
    return at + sealed.length;
  }

  private int readE(byte[] in, int at) {
    re = Arrays.copyOfRange(in, at, at + DH_LEN);
    symmetric.mixHash(re);
    return at + DH_LEN;
  }

  private int readS(byte[] in, int at) {
    int len = DH_LEN + (symmetric.hasKey() ? CipherState.TAG_SIZE : 0);
    rs = symmetric.decryptAndHash(in, at, len);
    return at + len;
  }

  /** The peer's static public key (32 bytes), once its message carrying it was read. */
  public byte[] remoteStatic() {
    if (rs == null) {
      throw new IllegalStateException("the peer's static key has not arrived yet");
    }
    return rs.clone();
  }

  /** The handshake hash h: equal on both sides after a successful handshake. */
  public byte[] handshakeHash() {
    return symmetric.handshakeHash();
  }

  /**
   * Split(): {@code [sending, receiving]} for this side. Only after the last message; the
   * handshake's own keys are forgotten.
   */
  public CipherState[] split() {
    if (!isComplete()) {
      throw new IllegalStateException("the handshake is not complete");
    }
    CipherState[] pair = symmetric.split();
    return initiator ? pair : new CipherState[] {pair[1], pair[0]};
  }

  /** Never shows keys. */
  @Override
  public String toString() {
    return "HandshakeState[" + (initiator ? "initiator" : "responder") + ", message " + message
        + "]";
  }
}
