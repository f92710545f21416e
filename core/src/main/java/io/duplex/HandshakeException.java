package io.duplex;

/**
 * The handshake failed: the peer is not a duplex peer (no magic), speaks another protocol
 * version or security mode, belongs to another network, uses another codec or cipher suite,
 * failed to authenticate or to prove the identity expected of it, was refused by the
 * authorizer, or did not finish in time. Both sides
 * fail the handshake, since each checks what the other sent. {@link #field()} names what differed.
 */
public class HandshakeException extends DuplexException {
  private static final long serialVersionUID = 1L;

  /** The part of the handshake that failed. */
  public enum Field {
    /** The first bytes were not the duplex magic: the peer speaks something else. */
    MAGIC,
    /** The peer speaks another protocol version. */
    VERSION,
    /** The peer's network id differs: it belongs to another network. */
    NETWORK_ID,
    /** The peer's codec name differs: it would not understand our messages. */
    CODEC,
    /** The peer's node id is ours: a self-connection, or two nodes that share an id. */
    NODE_ID,
    /** The handshake frame itself is malformed (truncated, empty or bad lengths, invalid text). */
    FORMAT,
    /** The handshake did not complete within the handshake timeout. */
    TIMEOUT,
    /**
     * One side wants the secure channel and the other insecure plaintext (or another security
     * mode): both sides must agree, and a secure node never falls back to plaintext.
     */
    SECURITY,
    /** The peer uses another cipher suite. */
    CIPHER_SUITE,
    /**
     * A secure handshake message did not authenticate, or carried an unusable key: the
     * connection was tampered with, or the peer is broken or hostile.
     */
    AUTHENTICATION,
    /**
     * The peer's identity does not hold: its signature binding its identity key to its
     * handshake key is wrong, or it is not the node id that was dialed.
     */
    IDENTITY,
    /** The peer authenticated, and the configured {@code PeerAuthorizer} refused it. */
    UNAUTHORIZED,
    /**
     * The two sides' lane tables differ: other lane names, another order, or lanes on one side
     * only ({@link io.duplex.TransportConfig#lanes()}). Both must configure the same lanes.
     */
    LANES
  }

  private final Field field;

  /** A failure of {@code field}, described by {@code message}. */
  public HandshakeException(Field field, String message) {
    super(message);
    this.field = field;
  }

  /** A failure of {@code field}, described by {@code message}, caused by {@code cause}. */
  public HandshakeException(Field field, String message, Throwable cause) {
    super(message, cause);
    this.field = field;
  }

  /**
   * A mismatch of {@code field}: {@code "handshake failed: network id differs (ours 'main',
   * peer's 'test')"}.
   */
  public static HandshakeException mismatch(Field field, Object ours, Object theirs) {
    return new HandshakeException(field, "handshake failed: " + field.name().toLowerCase(
        java.util.Locale.ROOT).replace('_', ' ') + " differs (ours '" + ours + "', peer's '"
        + theirs + "'); both peers must be configured alike");
  }

  /** What failed. */
  public Field field() {
    return field;
  }
}
