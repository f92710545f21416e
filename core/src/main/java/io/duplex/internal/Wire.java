package io.duplex.internal;

/**
 * Constants of the duplex wire format; docs/PROTOCOL.md is the specification they follow.
 *
 * <p>Every frame is {@code [u32 length][u8 type][body]}: the length is big-endian, unsigned, and
 * counts the type byte and the body (so a standard 4-byte length-field framer reads duplex
 * frames). The first frame each side sends is a {@link #HANDSHAKE}.
 */
public final class Wire {
  private Wire() {}

  /** Bytes in the length prefix. */
  public static final int LENGTH_SIZE = 4;
  /** Bytes in the type field that follows the length. */
  public static final int TYPE_SIZE = 1;
  /** Bytes in front of a frame body. */
  public static final int HEADER_SIZE = LENGTH_SIZE + TYPE_SIZE;

  /** An application message; the body is the codec's payload. */
  public static final byte MESSAGE = 0x00;
  /** The handshake, the first frame in each direction. */
  public static final byte HANDSHAKE = 0x01;
  /** A liveness probe; the body is 8 opaque bytes the peer echoes in a {@link #PONG}. */
  public static final byte PING = 0x02;
  /** The answer to a {@link #PING}, echoing its 8 bytes. */
  public static final byte PONG = 0x03;
  /** The sender is closing: u16 reason code, then a UTF-8 reason text. */
  public static final byte CLOSE = 0x04;

  /** "DPLX": the first body bytes of a handshake, so garbage is recognised at once. */
  public static final int MAGIC = 0x44504C58;
  /** The protocol version this implementation speaks. */
  public static final int VERSION = 1;

  /**
   * A whole CLOSE frame: {@code code} as a u16, then {@code reason} in UTF-8, cut at {@link
   * io.duplex.CloseCodes#MAX_REASON_BYTES} bytes (never inside a character).
   */
  public static java.nio.ByteBuffer closeFrame(int code, String reason) {
    byte[] text = reason.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int n = Math.min(text.length, io.duplex.CloseCodes.MAX_REASON_BYTES);
    while (n < text.length && n > 0 && (text[n] & 0xC0) == 0x80) {
      n--; // back to the first byte of the character that does not fit
    }
    java.nio.ByteBuffer frame = java.nio.ByteBuffer.allocate(HEADER_SIZE + 2 + n);
    frame.putInt(TYPE_SIZE + 2 + n).put(CLOSE).putShort((short) code).put(text, 0, n).flip();
    return frame;
  }

  /** A short name for a frame type, for messages. */
  public static String typeName(byte type) {
    switch (type) {
      case MESSAGE: return "MESSAGE";
      case HANDSHAKE: return "HANDSHAKE";
      case PING: return "PING";
      case PONG: return "PONG";
      case CLOSE: return "CLOSE";
      default: return "0x" + Integer.toHexString(type & 0xFF);
    }
  }
}
