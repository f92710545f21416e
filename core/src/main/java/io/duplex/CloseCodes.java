package io.duplex;

/**
 * The codes a CLOSE frame carries, telling the peer why a connection ends (docs/PROTOCOL.md,
 * "CLOSE"). Codes 0 to 999 are duplex's own: {@link #NORMAL} and the errors below, which duplex
 * sends when it closes a connection because of something the peer did. Codes {@value
 * #APPLICATION_MIN} to {@value #MAX} are the application's, sent with {@link
 * Connection#close(int, String)}. A peer that receives a CLOSE sees the code and the reason in
 * {@link Connection#closeCause()}, a {@link PeerClosedException}.
 */
public final class CloseCodes {
  private CloseCodes() {}

  /** An orderly close: nothing went wrong. */
  public static final int NORMAL = 0;
  /** The node is shutting down ({@code Transport.close()}, {@code PeerNode.close()}). */
  public static final int GOING_AWAY = 1;
  /**
   * The peer broke the wire protocol: an unknown frame type, a control frame of the wrong size, a
   * zero-length frame, a second handshake.
   */
  public static final int PROTOCOL_ERROR = 2;
  /** The peer sent a frame longer than the max frame size this side announced. */
  public static final int FRAME_TOO_LARGE = 3;
  /** This side's codec could not decode a message the peer sent. */
  public static final int DECODE_ERROR = 4;
  /** This side's message handler threw while handling one of the peer's messages. */
  public static final int HANDLER_ERROR = 5;
  /** A deadline passed: a frame took longer than the frame read timeout to arrive. */
  public static final int TIMEOUT = 6;
  /** The peer went over a limit: it sent PINGs faster than it read the PONGs, say. */
  public static final int LIMIT = 7;
  /** A peer node kept another connection to the same node; this one is not needed. */
  public static final int DUPLICATE = 8;
  /** The peer node is banned here for a while. */
  public static final int BANNED = 9;
  /**
   * The secure handshake authenticated the peer, and this node's authorizer does not allow it.
   * Sent in place of opening the connection.
   */
  public static final int UNAUTHORIZED = 10;
  /**
   * The secure handshake authenticated the peer, and its settings do not match this node's:
   * another network id or codec, or the peer is this node itself. Sent in place of opening the
   * connection; the reason names what differs.
   */
  public static final int MISMATCH = 11;

  /** The smallest code an application may send. */
  public static final int APPLICATION_MIN = 1000;
  /** The largest code: a CLOSE carries it as an unsigned 16-bit integer. */
  public static final int MAX = 65535;
  /** The most bytes of UTF-8 a CLOSE reason carries; a longer reason is cut there. */
  public static final int MAX_REASON_BYTES = 1024;

  /** A short name for {@code code}: {@code "DECODE_ERROR"}, {@code "application 4001"}. */
  public static String name(int code) {
    switch (code) {
      case NORMAL: return "NORMAL";
      case GOING_AWAY: return "GOING_AWAY";
      case PROTOCOL_ERROR: return "PROTOCOL_ERROR";
      case FRAME_TOO_LARGE: return "FRAME_TOO_LARGE";
      case DECODE_ERROR: return "DECODE_ERROR";
      case HANDLER_ERROR: return "HANDLER_ERROR";
      case TIMEOUT: return "TIMEOUT";
      case LIMIT: return "LIMIT";
      case DUPLICATE: return "DUPLICATE";
      case BANNED: return "BANNED";
      case UNAUTHORIZED: return "UNAUTHORIZED";
      case MISMATCH: return "MISMATCH";
      default: return code >= APPLICATION_MIN ? "application " + code : "reserved " + code;
    }
  }

  /**
   * Whether an application (or a peer node) may send {@code code} with {@link
   * Connection#close(int, String)}: {@link #NORMAL}, {@link #GOING_AWAY}, {@link #DUPLICATE},
   * {@link #BANNED} and the application codes. The error codes are the transport's own.
   */
  public static boolean isSendable(int code) {
    return code == NORMAL || code == GOING_AWAY || code == DUPLICATE || code == BANNED
        || (code >= APPLICATION_MIN && code <= MAX);
  }

  /**
   * Whether {@code code} says that the side which sent it met an error caused by the other side
   * (protocol, frame size, decoding, handler, timeout, limit, a refused handshake), as opposed to
   * an orderly close.
   */
  public static boolean isError(int code) {
    return (code >= PROTOCOL_ERROR && code <= LIMIT) || code == UNAUTHORIZED
        || code == MISMATCH;
  }
}
