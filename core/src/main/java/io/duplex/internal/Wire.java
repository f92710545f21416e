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
  /**
   * Lanes only: credit for one lane, {@code u8 lane, u32 bytes}: the peer may send that many more
   * bytes of message data on the lane.
   */
  public static final byte CREDIT = 0x05;
  /**
   * Lanes only: a whole message on lane {@code type & 0x0F} (1..15; lane 0's is {@link
   * #MESSAGE}), the body the codec's payload.
   */
  public static final int LANE_MESSAGE = 0x10;
  /**
   * Lanes only: the first chunk of a message on lane {@code type & 0x0F} (0..15): {@code u32}
   * total message size, then the chunk's data.
   */
  public static final int FIRST_CHUNK = 0x20;
  /** Lanes only: the next chunk of the message in progress on lane {@code type & 0x0F}. */
  public static final int NEXT_CHUNK = 0x30;
  /**
   * Credit a message costs beyond its data bytes, charged with its first (or only) frame: about
   * what a queued message costs in memory, so that a lane's window bounds its messages' count as
   * well as their bytes.
   */
  public static final int MESSAGE_CREDIT = 64;
  /** Header bytes of a {@link #FIRST_CHUNK} frame: length, type, total. */
  public static final int FIRST_CHUNK_HEADER = HEADER_SIZE + 4;

  /** The type of a whole message on {@code lane}. */
  public static byte messageType(int lane) {
    return lane == 0 ? MESSAGE : (byte) (LANE_MESSAGE | lane);
  }

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
      case CREDIT: return "CREDIT";
      default:
        if ((type & 0xF0) == LANE_MESSAGE && (type & 0x0F) != 0) {
          return "MESSAGE(lane " + (type & 0x0F) + ")";
        }
        if ((type & 0xF0) == FIRST_CHUNK) {
          return "FIRST_CHUNK(lane " + (type & 0x0F) + ")";
        }
        if ((type & 0xF0) == NEXT_CHUNK) {
          return "NEXT_CHUNK(lane " + (type & 0x0F) + ")";
        } return "0x" + Integer.toHexString(type & 0xFF);
    }
  }
}
