package io.duplex.internal;

import io.duplex.HandshakeException;
import io.duplex.HandshakeException.Field;
import io.duplex.NodeId;
import io.duplex.PeerInfo;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Encodes, decodes and checks the handshake frame body (docs/PROTOCOL.md, "Handshake"):
 *
 * <pre>
 *   u32 magic "DPLX"   u16 version
 *   u8 n, n bytes      node id (1..64)
 *   u8 n, n bytes      network id, UTF-8 (1..255)
 *   u16                listen port (0: does not listen)
 *   u8 n, n bytes      codec name, UTF-8 (1..255)
 *   u32                max frame size accepted (1..2^31-1)
 *   [u16 n, n bytes    extensions: (u16 type, u16 length, bytes)*]   revision 1.2, optional
 * </pre>
 *
 * All integers big-endian. Nothing may follow the extensions, which are sent only when there
 * are some (a lane table): a handshake without lanes is revision 1.1's, byte for byte.
 */
public final class Handshake {
  private Handshake() {}

  /** Writes {@code local}'s handshake body into {@code out}. */
  public static void encode(PeerInfo local, FrameBuffer out) {
    encode(local, null, out);
  }

  /** Writes {@code local}'s handshake body, with {@code lanes} if not null, into {@code out}. */
  public static void encode(PeerInfo local, LaneTable lanes, FrameBuffer out) {
    out.writeInt(Wire.MAGIC);
    out.writeShort(Wire.VERSION);
    writeShortBytes(out, local.nodeId().toBytes(), "node id");
    writeShortBytes(out, local.networkId().getBytes(StandardCharsets.UTF_8), "network id");
    out.writeShort(local.listenPort());
    writeShortBytes(out, local.codecName().getBytes(StandardCharsets.UTF_8), "codec name");
    out.writeInt(local.maxFrameSize());
    if (lanes != null) {
      ByteBuffer area = ByteBuffer.allocate(lanes.extensionSize());
      lanes.writeExtension(area);
      out.writeShort(area.capacity());
      out.write(area.array(), 0, area.capacity());
    }
  }

  /** A peer's handshake: what it said about itself, and its lane table (null if none). */
  public record Received(PeerInfo info, LaneTable lanes) {}

  /**
   * Reads a peer's handshake body (the bytes after the frame type), ignoring any lane table.
   *
   * @throws HandshakeException as {@link #decodeFull}
   */
  public static PeerInfo decode(ByteBuffer body) {
    return decodeFull(body).info();
  }

  /**
   * Reads a peer's handshake body (the bytes after the frame type).
   *
   * @throws HandshakeException with {@link Field#MAGIC}, {@link Field#VERSION} or {@link
   *     Field#FORMAT} if the body is not a valid handshake of our version
   */
  public static Received decodeFull(ByteBuffer body) {
    try {
      if (!startsWithMagic(body)) {
        throw new HandshakeException(Field.MAGIC, "handshake failed: the peer's first frame does"
            + " not start with the duplex magic \"DPLX\"; it is not a duplex peer");
      }
      body.getInt(); // the magic; a body that ends inside it is truncated (FORMAT, below)
      int version = body.getShort() & 0xFFFF;
      if (version != Wire.VERSION) {
        throw HandshakeException.mismatch(Field.VERSION, Wire.VERSION, version);
      }
      byte[] node = readShortBytes(body, "node id");
      if (node.length > NodeId.MAX_LENGTH) {
        throw format("node id of " + node.length + " bytes exceeds " + NodeId.MAX_LENGTH);
      }
      String network = utf8(readShortBytes(body, "network id"), "network id");
      int listenPort = body.getShort() & 0xFFFF;
      String codec = utf8(readShortBytes(body, "codec name"), "codec name");
      int maxFrameSize = body.getInt();
      if (maxFrameSize <= 0) {
        throw format("max frame size must be 1..2^31-1: " + (maxFrameSize & 0xFFFFFFFFL));
      }
      LaneTable lanes = null;
      if (body.hasRemaining()) {
        int trailing = body.remaining();
        int extensions = trailing < 2 ? -1 : body.getShort() & 0xFFFF;
        if (extensions != body.remaining()) {
          throw format(trailing + " unexpected bytes after the last field"
              + (extensions < 0 ? "" : " (as an extension area they say " + extensions
                  + " bytes, and " + body.remaining() + " follow)"));
        }
        lanes = LaneTable.readExtensions(body, Handshake::format);
      }
      return new Received(new PeerInfo(NodeId.of(node), network, listenPort, codec, maxFrameSize),
          lanes);
    } catch (BufferUnderflowException e) {
      throw format("the frame ends before its last field");
    }
  }

  /**
   * Checks a peer's handshake against ours: same network, same codec, another node.
   *
   * @throws HandshakeException naming the field that differs
   */
  public static void check(PeerInfo local, PeerInfo remote) {
    if (!local.networkId().equals(remote.networkId())) {
      throw HandshakeException.mismatch(Field.NETWORK_ID, local.networkId(), remote.networkId());
    }
    if (!local.codecName().equals(remote.codecName())) {
      throw HandshakeException.mismatch(Field.CODEC, local.codecName(), remote.codecName());
    }
    if (local.nodeId().equals(remote.nodeId())) {
      throw new HandshakeException(Field.NODE_ID, "handshake failed: the peer has our own node id '"
          + local.nodeId() + "'; this node connected to itself (or two nodes share an id)");
    }
  }

  /** Whether the bytes {@code body} has (up to 4, maybe none) agree with the magic. */
  private static boolean startsWithMagic(ByteBuffer body) {
    for (int i = 0; i < Math.min(body.remaining(), 4); i++) {
      if (body.get(body.position() + i) != (byte) (Wire.MAGIC >>> (24 - 8 * i))) {
        return false;
      }
    }
    return true;
  }

  private static void writeShortBytes(FrameBuffer out, byte[] bytes, String what) {
    if (bytes.length == 0 || bytes.length > 255) {
      throw new IllegalArgumentException(what + " must be 1 to 255 bytes: " + bytes.length);
    }
    out.write(bytes.length);
    out.write(bytes, 0, bytes.length);
  }

  private static byte[] readShortBytes(ByteBuffer in, String what) {
    byte[] bytes = shortField(in);
    if (bytes == null) {
      throw format(what + " is empty");
    }
    return bytes;
  }

  private static String utf8(byte[] bytes, String what) {
    String text = strictUtf8(bytes);
    if (text == null) {
      throw format(what + " is not valid UTF-8");
    }
    return text;
  }

  /**
   * The bytes of a field of 1 to 255 bytes after its u8 length, or null if the length is 0.
   * Shared with {@link SecureHandshake}'s payload.
   *
   * @throws java.nio.BufferUnderflowException if {@code in} ends inside the field
   */
  static byte[] shortField(ByteBuffer in) {
    int n = in.get() & 0xFF;
    if (n == 0) {
      return null;
    }
    byte[] bytes = new byte[n];
    in.get(bytes);
    return bytes;
  }

  /** {@code bytes} as text if they are well-formed UTF-8, else null. */
  static String strictUtf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private static HandshakeException format(String detail) {
    return new HandshakeException(Field.FORMAT, "handshake failed: malformed handshake frame: "
        + detail + "; the peer is broken or speaks another protocol");
  }
}
