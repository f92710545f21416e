package io.duplex.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.HandshakeException;
import io.duplex.HandshakeException.Field;
import io.duplex.Lane;
import io.duplex.NodeId;
import io.duplex.PeerInfo;
import io.duplex.TransportConfig;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The lane table extension (docs/PROTOCOL.md, "Lanes"): encode, decode, and the checks. */
class LaneTableTest {
  static final Lane CONSENSUS = Lane.builder("consensus").maxMessageSize(64 * 1024).build();
  static final Lane BLOCKS = Lane.builder("blocks").maxMessageSize(4 << 20).build();

  static TransportConfig config(Lane... lanes) {
    return TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of("a")).lanes(lanes)
        .build();
  }

  static byte[] extension(LaneTable t) {
    ByteBuffer b = ByteBuffer.allocate(t.extensionSize());
    t.writeExtension(b);
    assertEquals(0, b.remaining(), "extensionSize() is what writeExtension() writes");
    return b.array();
  }

  /** An extension area holding one lane table entry of {@code body}. */
  static ByteBuffer entry(int type, byte[] body) {
    return ByteBuffer.allocate(4 + body.length).putShort((short) type)
        .putShort((short) body.length).put(body).flip();
  }

  /** A lane table body built field by field. */
  static final class Table {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final DataOutputStream out = new DataOutputStream(bytes);

    Table(int count) throws IOException {
      out.writeByte(count);
    }

    Table lane(String name, int max, int window) throws IOException {
      return lane(name.getBytes(StandardCharsets.UTF_8), max, window);
    }

    Table lane(byte[] name, int max, int window) throws IOException {
      out.writeByte(name.length);
      out.write(name);
      out.writeInt(max);
      out.writeInt(window);
      return this;
    }

    byte[] bytes() {
      return bytes.toByteArray();
    }
  }

  static Table valid() throws IOException {
    return new Table(2).lane("default", 1000, 70_000).lane("votes", 100, 65_636);
  }

  @Test
  void aConfigWithoutLanesHasNoTable() {
    assertNull(LaneTable.of(TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of("a"))
        .build()));
  }

  @Test
  void theTableRoundTripsThroughItsExtension() {
    TransportConfig config = config(CONSENSUS, BLOCKS);
    LaneTable t = LaneTable.of(config);
    assertEquals(3, t.size());
    assertEquals("default", t.name(0));
    assertEquals(config.maxFrameSize() - 1, t.maxMessageSize(0));
    assertEquals(CONSENSUS.maxMessageSize(), t.maxMessageSize(1));
    assertEquals(CONSENSUS.inboundWindow(), t.window(1));
    assertEquals(BLOCKS.inboundWindow(), t.window(2));

    byte[] ext = extension(t);
    ByteBuffer b = ByteBuffer.wrap(ext);
    assertEquals(LaneTable.EXTENSION_TYPE, b.getShort());
    assertEquals(ext.length - 4, b.getShort());
    assertEquals(3, b.get());
    assertEquals(7, b.get());

    LaneTable back = LaneTable.readExtensions(ByteBuffer.wrap(ext));
    assertNotNull(back);
    assertEquals(t.size(), back.size());
    for (int i = 0; i < t.size(); i++) {
      assertEquals(t.name(i), back.name(i));
      assertEquals(t.maxMessageSize(i), back.maxMessageSize(i));
      assertEquals(t.window(i), back.window(i));
    }
    assertArrayEquals(ext, extension(back));
  }

  @Test
  void unknownExtensionTypesAreSkipped() throws IOException {
    byte[] table = valid().bytes();
    ByteBuffer area = ByteBuffer.allocate(4 + 3 + 4 + table.length + 4);
    area.putShort((short) 7).putShort((short) 3).put(new byte[] {1, 2, 3});
    area.put(entry(1, table));
    area.putShort((short) 0x1234).putShort((short) 0); // an empty entry of another type
    area.flip();
    LaneTable t = LaneTable.readExtensions(area);
    assertEquals("votes", t.name(1));
    assertEquals(65_636, t.window(1));
    assertNull(LaneTable.readExtensions(entry(9, new byte[5])), "no lane table in the area");
    assertNull(LaneTable.readExtensions(ByteBuffer.allocate(0)), "an empty area");
  }

  @Test
  void aWindowOfExactlyTheMaxPlus65536IsAccepted() throws IOException {
    byte[] t = new Table(2).lane("default", 1, 65_537).lane("x", 1 << 30, (1 << 30) + 65_536)
        .bytes();
    assertEquals(65_537, LaneTable.readExtensions(entry(1, t)).window(0));
  }

  static void assertFormat(ByteBuffer area, String text) {
    HandshakeException e = assertThrows(HandshakeException.class,
        () -> LaneTable.readExtensions(area));
    assertEquals(Field.FORMAT, e.field(), e.getMessage());
    assertTrue(e.getMessage().contains(text), e.getMessage());
  }

  @ParameterizedTest(name = "{0} lanes")
  @ValueSource(ints = {0, 1, 17, 255})
  void aCountOutside2To16IsFormat(int count) throws IOException {
    Table t = new Table(count);
    for (int i = 0; i < Math.min(count, 17); i++) {
      t.lane("l" + i, 10, 70_000);
    }
    assertFormat(entry(1, t.bytes()), "a lane table has 2..16 lanes, this one " + count);
  }

  @Test
  void sixteenLanesAreAccepted() throws IOException {
    Table t = new Table(16);
    for (int i = 0; i < 16; i++) {
      t.lane("l" + i, 10, 70_000);
    }
    assertEquals(16, LaneTable.readExtensions(entry(1, t.bytes())).size());
  }

  @Test
  void malformedTablesAreFormat() throws IOException {
    assertFormat(entry(1, new Table(2).lane("default", 1, 70_000).lane(new byte[0], 1, 70_000)
        .bytes()), "lane 1's name must be 1 to 32 bytes");
    assertFormat(entry(1, new Table(2).lane("default", 1, 70_000).lane(new byte[33], 1, 70_000)
        .bytes()), "lane 1's name must be 1 to 32 bytes");
    assertFormat(entry(1, new Table(2).lane(new byte[] {(byte) 0xC3, 0x28}, 1, 70_000)
        .lane("x", 1, 70_000).bytes()), "lane 0's name is not valid UTF-8");
    assertFormat(entry(1, new Table(2).lane("default", 0, 70_000).lane("x", 1, 70_000)
        .bytes()), "must be 1..2^31-1");
    assertFormat(entry(1, new Table(2).lane("default", 1, 0).lane("x", 1, 70_000).bytes()),
        "must be 1..2^31-1");
    assertFormat(entry(1, new Table(2).lane("default", -1, 70_000).lane("x", 1, 70_000)
        .bytes()), "must be 1..2^31-1");
    assertFormat(entry(1, new Table(2).lane("default", 1000, 66_535).lane("x", 1, 70_000)
        .bytes()), "plus 65,536");
    byte[] valid = valid().bytes();
    byte[] longer = java.util.Arrays.copyOf(valid, valid.length + 1);
    assertFormat(entry(1, longer), "1 bytes after the last lane");
    byte[] shorter = java.util.Arrays.copyOf(valid, valid.length - 1);
    assertFormat(entry(1, shorter), "ends inside a lane");
    assertFormat(entry(1, new byte[0]), "ends inside a lane");
  }

  @Test
  void malformedAreasAreFormat() throws IOException {
    byte[] table = valid().bytes();
    ByteBuffer twice = ByteBuffer.allocate(2 * (4 + table.length));
    twice.put(entry(1, table)).put(entry(1, table)).flip();
    assertFormat(twice, "appears twice");

    ByteBuffer past = ByteBuffer.allocate(4 + table.length - 1);
    past.putShort((short) 1).putShort((short) table.length).put(table, 0, table.length - 5)
        .flip();
    assertFormat(past, "runs past the end of the extension area");

    assertFormat(ByteBuffer.wrap(new byte[] {0, 1, 0}), "ends inside its type or length");
  }

  // ---- check ---------------------------------------------------------------------------------

  @Test
  void sameNamesInTheSameOrderPassWhateverTheSizes() throws IOException {
    LaneTable ours = LaneTable.readExtensions(entry(1, valid().bytes()));
    LaneTable theirs = LaneTable.readExtensions(entry(1, new Table(2)
        .lane("default", 5_000_000, 6_000_000).lane("votes", 7, 65_543).bytes()));
    assertDoesNotThrow(() -> LaneTable.check(ours, theirs));
    assertDoesNotThrow(() -> LaneTable.check(null, null));
  }

  static void assertLanes(LaneTable ours, LaneTable theirs, String text) {
    HandshakeException e = assertThrows(HandshakeException.class,
        () -> LaneTable.check(ours, theirs));
    assertEquals(Field.LANES, e.field(), e.getMessage());
    assertTrue(e.getMessage().contains(text), e.getMessage());
  }

  @Test
  void differingTablesAreLanes() throws IOException {
    LaneTable ours = LaneTable.of(config(CONSENSUS, BLOCKS));
    assertLanes(ours, null, "this node has lanes default,consensus,blocks and the peer has"
        + " none");
    assertLanes(null, ours, "the peer has lanes default,consensus,blocks and this node has"
        + " none");
    assertLanes(ours, LaneTable.of(config(BLOCKS, CONSENSUS)), "lane tables differ (ours"
        + " default,consensus,blocks, theirs default,blocks,consensus)");
    assertLanes(ours, LaneTable.of(config(CONSENSUS)), "lane tables differ");
    assertLanes(ours, LaneTable.of(config(CONSENSUS, BLOCKS,
        Lane.builder("mempool").build())), "lane tables differ");
    LaneTable renamedDefault = LaneTable.readExtensions(entry(1, new Table(3)
        .lane("other", 1000, 70_000).lane("consensus", 100, 70_000).lane("blocks", 100, 70_000)
        .bytes()));
    assertLanes(ours, renamedDefault, "lane tables differ");
  }

  // ---- in the plaintext HANDSHAKE ----------------------------------------------------------

  static final PeerInfo INFO = new PeerInfo(NodeId.of("a"), "duplex", 9000, "bytes", 1 << 24);

  static ByteBuffer body(PeerInfo info, LaneTable lanes) {
    FrameBuffer out = FrameBuffer.forFrames(128, 4096);
    Handshake.encode(info, lanes, out);
    ByteBuffer frame = out.finishFrame(Wire.HANDSHAKE);
    frame.position(Wire.HEADER_SIZE);
    return frame.slice();
  }

  @Test
  void theHandshakeCarriesTheTableAfterTheMaxFrameSize() {
    LaneTable t = LaneTable.of(config(CONSENSUS, BLOCKS));
    ByteBuffer without = body(INFO, null);
    ByteBuffer with = body(INFO, t);
    byte[] ext = extension(t);
    assertEquals(without.remaining() + 2 + ext.length, with.remaining());
    for (int i = 0; i < without.remaining(); i++) {
      assertEquals(without.get(i), with.get(i), "byte " + i + " as revision 1.1's");
    }
    assertEquals(ext.length, with.getShort(without.remaining()) & 0xFFFF, "u16 x");

    Handshake.Received r = Handshake.decodeFull(with);
    assertEquals(INFO, r.info());
    assertArrayEquals(ext, extension(r.lanes()));
    assertNull(Handshake.decodeFull(body(INFO, null)).lanes(), "no lanes: nothing after");
  }

  @Test
  void anExtensionLengthThatDisagreesIsFormat() {
    ByteBuffer with = body(INFO, LaneTable.of(config(CONSENSUS)));
    int at = body(INFO, null).remaining();
    with.putShort(at, (short) (with.getShort(at) + 1));
    HandshakeException e = assertThrows(HandshakeException.class,
        () -> Handshake.decodeFull(with));
    assertEquals(Field.FORMAT, e.field());
    assertTrue(e.getMessage().contains("as an extension area they say"), e.getMessage());
  }
}
