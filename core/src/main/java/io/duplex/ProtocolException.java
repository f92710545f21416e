package io.duplex;

/**
 * The peer broke the duplex wire protocol after the handshake: an unknown frame type, a control
 * frame of the wrong size, a second handshake. (A wrong first frame is a {@link
 * HandshakeException}.) The connection closes.
 * The peer is broken or hostile; a node may ban it.
 */
public class ProtocolException extends DuplexException {
  private static final long serialVersionUID = 1L;

  /** An exception with a message that says what happened and what to do. */
  public ProtocolException(String message) {
    super(message);
  }

  /** An exception with a message and the underlying cause. */
  public ProtocolException(String message, Throwable cause) {
    super(message, cause);
  }
}
