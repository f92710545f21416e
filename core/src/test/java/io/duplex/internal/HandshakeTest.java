package io.duplex.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.HandshakeException;
import io.duplex.HandshakeException.Field;
import io.duplex.NodeId;
import io.duplex.PeerInfo;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class HandshakeTest {
  private static final PeerInfo LOCAL =
      new PeerInfo(NodeId.of("local"), "mainnet", 9000, "json", 16 << 20);
  private static final byte[] NODE = utf8("node-a");
  private static final byte[] NETWORK = utf8("duplex");
  private static final byte[] CODEC = utf8("json");

  /** Peers whose bodies differ in every field's size and content. */
  private static final List<PeerInfo> PEERS = List.of(LOCAL,
      new PeerInfo(NodeId.of(new byte[] {0, -1, 5}), "mainnet", 0, "json", 1),
      new PeerInfo(NodeId.of(new byte[64]), "é".repeat(127) + "x", 65535, "c".repeat(255),
          Integer.MAX_VALUE),
      new PeerInfo(NodeId.of("n"), "n", 1, "b", 2));

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] encode(PeerInfo info) {
    FrameBuffer b = FrameBuffer.forPayloadOnly(16, 4096);
    Handshake.encode(info, b);
    return b.payloadToArray();
  }

  /** A body written field by field, so a test can break any one field ({@code u8} lengths). */
  private static byte[] body(int magic, int version, byte[] node, byte[] network, int port,
      byte[] codec, int maxFrameSize) {
    return ByteBuffer.allocate(4 + 2 + 1 + node.length + 1 + network.length + 2 + 1
            + codec.length + 4)
        .putInt(magic).putShort((short) version)
        .put((byte) node.length).put(node)
        .put((byte) network.length).put(network)
        .putShort((short) port)
        .put((byte) codec.length).put(codec)
        .putInt(maxFrameSize)
        .array();
  }

  private static PeerInfo decode(byte[] body) {
    return Handshake.decode(ByteBuffer.wrap(body));
  }

  /** The failure, which must be a HandshakeException (assertThrows fails on any other type). */
  private static HandshakeException fails(byte[] body) {
    return assertThrows(HandshakeException.class, () -> decode(body));
  }

  private static HandshakeException checkFails(PeerInfo remote) {
    return assertThrows(HandshakeException.class, () -> Handshake.check(LOCAL, remote));
  }

  // ---- encode and decode -----------------------------------------------------------------------

  @Test
  void shouldRoundTripEveryKindOfPeerInfo() {
    for (PeerInfo info : PEERS) {
      assertEquals(info, decode(encode(info)));
    }
  }

  @Test
  void shouldEncodeTheWorkedExampleOfTheProtocolDocument() {
    FrameBuffer frame = FrameBuffer.forFrames(16, 4096);
    Handshake.encode(new PeerInfo(NodeId.of("node-a"), "duplex", 9000, "json", 16 << 20), frame);
    ByteBuffer bytes = frame.finishFrame(Wire.HANDSHAKE);
    byte[] actual = new byte[bytes.remaining()];
    bytes.get(actual);
    assertEquals("00000020" + "01" + "44504c58" + "0001" + "066e6f64652d61" + "066475706c6578"
        + "2328" + "046a736f6e" + "01000000", HexFormat.of().formatHex(actual));
  }

  @Test
  void shouldDecodeThePortAndEveryLengthAsUnsigned() {
    PeerInfo info = decode(body(Wire.MAGIC, 1, new byte[64], new byte[] {'a'}, 0xFFFF,
        utf8("c".repeat(200)), Integer.MAX_VALUE));
    assertEquals(65535, info.listenPort());
    assertEquals(64, info.nodeId().length());
    assertEquals(200, info.codecName().length(), "a u8 length of 200 is not negative");
  }

  @Test
  void shouldConsumeTheWholeBody() {
    ByteBuffer body = ByteBuffer.wrap(encode(LOCAL));
    Handshake.decode(body);
    assertFalse(body.hasRemaining());
  }

  // ---- MAGIC and VERSION -----------------------------------------------------------------------

  @Test
  void shouldRejectABadMagicAsMagic() {
    for (int i = 0; i < 4; i++) {
      byte[] body = encode(LOCAL);
      body[i] ^= 0x20;
      HandshakeException e = fails(body);
      assertEquals(Field.MAGIC, e.field(), "byte " + i);
      assertTrue(e.getMessage().contains("\"DPLX\""), e.getMessage());
    }
    assertEquals(Field.MAGIC, fails(utf8("GET / HTTP/1.1\r\n")).field());
    assertEquals(Field.MAGIC, fails(utf8("X")).field(), "short, but already not the magic");
    assertEquals(Field.MAGIC, fails(utf8("DPX")).field());
  }

  @Test
  void shouldRejectAnotherVersionAsVersionNamingBoth() {
    for (int version : new int[] {0, 2, 0x7FFF, 0xFFFF}) {
      HandshakeException e = fails(body(Wire.MAGIC, version, NODE, NETWORK, 1, CODEC, 1));
      assertEquals(Field.VERSION, e.field(), "version " + version);
      assertTrue(e.getMessage().contains("ours '1', peer's '" + version + "'"), e.getMessage());
    }
  }

  @Test
  void shouldCheckTheVersionBeforeTheRestOfTheBody() {
    byte[] v2 = Arrays.copyOf(body(Wire.MAGIC, 2, NODE, NETWORK, 1, CODEC, 1), 6);
    assertEquals(Field.VERSION, fails(v2).field(), "a newer version may have another layout");
  }

  // ---- FORMAT ----------------------------------------------------------------------------------

  @Test
  void shouldRejectATruncationAtEveryOffsetAsFormat() {
    for (PeerInfo info : PEERS) {
      byte[] body = encode(info);
      for (int n = 0; n < body.length; n++) {
        HandshakeException e = fails(Arrays.copyOf(body, n));
        assertEquals(Field.FORMAT, e.field(), info + " cut to " + n + " bytes: " + e.getMessage());
      }
    }
  }

  @Test
  void shouldRejectTrailingBytesAsFormat() {
    byte[] body = encode(LOCAL);
    for (int extra : new int[] {1, 3, 100}) { // zeros: an extension area of 0 bytes, and more
      HandshakeException e = fails(Arrays.copyOf(body, body.length + extra));
      assertEquals(Field.FORMAT, e.field());
      assertTrue(e.getMessage().contains(extra + " unexpected bytes after the last field"),
          e.getMessage());
    }
    // Revision 1.2: two zero bytes are an empty extension area, which a 1.2 reader accepts.
    assertEquals(LOCAL, Handshake.decode(ByteBuffer.wrap(Arrays.copyOf(body, body.length + 2))));
  }

  @Test
  void shouldRejectInvalidUtf8AsFormat() {
    byte[][] invalid = {
        {(byte) 0xFF},                           // never valid
        {'a', (byte) 0xC3},                      // a 2-byte sequence cut short
        {(byte) 0xC0, (byte) 0xAF},              // overlong '/'
        {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, // a lone surrogate
        {(byte) 0x80, 'a'},                      // a continuation byte first
    };
    for (byte[] text : invalid) {
      String hex = HexFormat.of().formatHex(text);
      HandshakeException network = fails(body(Wire.MAGIC, 1, NODE, text, 1, CODEC, 1));
      assertEquals(Field.FORMAT, network.field(), hex);
      assertTrue(network.getMessage().contains("network id is not valid UTF-8"), hex);
      HandshakeException codec = fails(body(Wire.MAGIC, 1, NODE, NETWORK, 1, text, 1));
      assertEquals(Field.FORMAT, codec.field(), hex);
      assertTrue(codec.getMessage().contains("codec name is not valid UTF-8"), hex);
    }
  }

  @Test
  void shouldRejectANodeIdOver64BytesAsFormat() {
    assertEquals(64, decode(body(Wire.MAGIC, 1, new byte[64], NETWORK, 1, CODEC, 1))
        .nodeId().length());
    for (int length : new int[] {65, 255}) {
      HandshakeException e = fails(body(Wire.MAGIC, 1, new byte[length], NETWORK, 1, CODEC, 1));
      assertEquals(Field.FORMAT, e.field());
      assertTrue(e.getMessage().contains("node id of " + length + " bytes exceeds 64"),
          e.getMessage());
    }
  }

  @Test
  void shouldRejectAnEmptyFieldAsFormat() {
    byte[] none = {};
    assertTrue(fails(body(Wire.MAGIC, 1, none, NETWORK, 1, CODEC, 1)).getMessage()
        .contains("node id is empty"));
    assertTrue(fails(body(Wire.MAGIC, 1, NODE, none, 1, CODEC, 1)).getMessage()
        .contains("network id is empty"));
    HandshakeException e = fails(body(Wire.MAGIC, 1, NODE, NETWORK, 1, none, 1));
    assertEquals(Field.FORMAT, e.field());
    assertTrue(e.getMessage().contains("codec name is empty"), e.getMessage());
  }

  @Test
  void shouldRejectAMaxFrameSizeOfZeroOrOver2To31AsFormat() {
    assertEquals(Integer.MAX_VALUE,
        decode(body(Wire.MAGIC, 1, NODE, NETWORK, 1, CODEC, Integer.MAX_VALUE)).maxFrameSize());
    for (long size : new long[] {0, 0x80000000L, 0xFFFFFFFFL}) {
      HandshakeException e = fails(body(Wire.MAGIC, 1, NODE, NETWORK, 1, CODEC, (int) size));
      assertEquals(Field.FORMAT, e.field(), "max frame size " + size);
      assertTrue(e.getMessage().contains(": " + size), e.getMessage());
    }
  }

  @Test
  void shouldRefuseToEncodeAFieldThatDoesNotFitItsLength() {
    PeerInfo longNetwork = new PeerInfo(NodeId.of("n"), "x".repeat(256), 1, "json", 1);
    assertThrows(IllegalArgumentException.class, () -> encode(longNetwork));
    PeerInfo emptyCodec = new PeerInfo(NodeId.of("n"), "net", 1, "", 1);
    assertThrows(IllegalArgumentException.class, () -> encode(emptyCodec));
  }

  // ---- check -----------------------------------------------------------------------------------

  @Test
  void shouldPassAPeerOfTheSameNetworkAndCodecWithAnotherNodeId() {
    assertDoesNotThrow(() -> Handshake.check(LOCAL,
        new PeerInfo(NodeId.of("other"), "mainnet", 0, "json", 1)));
  }

  @Test
  void shouldFailAnotherNetworkNamingBothValues() {
    HandshakeException e = checkFails(new PeerInfo(NodeId.of("other"), "testnet", 1, "json", 5));
    assertEquals(Field.NETWORK_ID, e.field());
    assertTrue(e.getMessage().contains("network id differs (ours 'mainnet', peer's 'testnet')"),
        e.getMessage());
    assertEquals(Field.NETWORK_ID,
        checkFails(new PeerInfo(NodeId.of("other"), "Mainnet", 1, "json", 5)).field(),
        "byte for byte: case matters");
  }

  @Test
  void shouldFailAnotherCodecNamingBothValues() {
    HandshakeException e = checkFails(new PeerInfo(NodeId.of("other"), "mainnet", 1, "bytes", 5));
    assertEquals(Field.CODEC, e.field());
    assertTrue(e.getMessage().contains("'json'") && e.getMessage().contains("'bytes'"),
        e.getMessage());
  }

  @Test
  void shouldFailOurOwnNodeId() {
    HandshakeException e = checkFails(new PeerInfo(NodeId.of("local"), "mainnet", 1, "json", 5));
    assertEquals(Field.NODE_ID, e.field());
    assertTrue(e.getMessage().contains("'local'"), e.getMessage());
  }

  @Test
  void shouldReportTheFirstMismatchInTheDocumentedOrder() {
    assertEquals(Field.NETWORK_ID,
        checkFails(new PeerInfo(NodeId.of("local"), "testnet", 1, "bytes", 5)).field());
    assertEquals(Field.CODEC,
        checkFails(new PeerInfo(NodeId.of("local"), "mainnet", 1, "bytes", 5)).field());
  }

  @Test
  void shouldDecodeWhatTheWorkedExampleSends() {
    byte[] body = HexFormat.of().parseHex("44504c58" + "0001" + "066e6f64652d61"
        + "066475706c6578" + "2328" + "046a736f6e" + "01000000");
    assertEquals(new PeerInfo(NodeId.of("node-a"), "duplex", 9000, "json", 16 << 20),
        decode(body));
    assertArrayEquals(body, encode(decode(body)));
  }
}
