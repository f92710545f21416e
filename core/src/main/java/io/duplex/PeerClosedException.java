package io.duplex;

/**
 * The peer closed the connection with a CLOSE frame: {@link #code()} and {@link #reason()} are
 * what it sent. The code is one of {@link CloseCodes}: {@link CloseCodes#NORMAL} for an orderly
 * close, an error code when the peer closed because of something this side sent (a message its
 * codec could not decode, a handler of its that threw, a limit), or an application's code.
 * {@link Connection#closeCause()} is one of these when the peer's CLOSE ended the connection.
 */
public class PeerClosedException extends ConnectionClosedException {
  private static final long serialVersionUID = 1L;

  private final int code;
  private final String reason;

  /** The peer sent CLOSE with {@code code} and {@code reason} (possibly empty). */
  public PeerClosedException(int code, String reason) {
    super("connection closed by the peer" + describe(code, reason));
    this.code = code;
    this.reason = reason;
  }

  private static String describe(int code, String reason) {
    if (code == CloseCodes.NORMAL && reason.isEmpty()) {
      return "";
    }
    String text = " (code " + code + " " + CloseCodes.name(code)
        + (reason.isEmpty() ? "" : ": " + reason) + ")";
    return CloseCodes.isError(code) ? text + "; the peer met an error in what this side sent" : text;
  }

  /** The code of the peer's CLOSE frame. */
  public int code() {
    return code;
  }

  /** The reason text of the peer's CLOSE frame; empty if it gave none. */
  public String reason() {
    return reason;
  }
}
