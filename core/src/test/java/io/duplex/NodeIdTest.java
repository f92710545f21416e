package io.duplex;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NodeIdTest {
  private static NodeId id(int... bytes) {
    byte[] b = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      b[i] = (byte) bytes[i];
    }
    return NodeId.of(b);
  }

  @Test
  void shouldBeEqualWhenTheBytesAreEqual() {
    assertEquals(NodeId.of("node-1"), NodeId.of("node-1".getBytes(StandardCharsets.UTF_8)));
    assertEquals(NodeId.of("node-1").hashCode(),
        NodeId.of("node-1".getBytes(StandardCharsets.UTF_8)).hashCode());
    assertEquals(0, NodeId.of("a").compareTo(NodeId.of(new byte[] {'a'})));
    assertNotEquals(NodeId.of("a"), NodeId.of("A"));
    assertNotEquals(NodeId.of("a"), NodeId.of("a "));
    assertNotEquals(id(0), id(0, 0), "length counts");
    assertNotEquals(NodeId.of("a"), "a");
    assertNotEquals(null, NodeId.of("a"));
  }

  @Test
  void shouldOrderByUnsignedBytes() {
    assertTrue(id(0x80).compareTo(id(0x7F)) > 0, "0x80 > 0x7F");
    assertTrue(id(0x7F).compareTo(id(0x80)) < 0);
    assertTrue(id(0xFF).compareTo(id(0x00)) > 0, "0xFF > 0x00");
    assertTrue(id(1, 0xFF).compareTo(id(2, 0)) < 0, "the first differing byte decides");
    assertTrue(NodeId.of("a").compareTo(NodeId.of("ab")) < 0, "a prefix comes first");
  }

  @Test
  void shouldGiveBothSidesTheSameAnswerAboutWhichIsSmaller() {
    Random random = new Random(1);
    List<NodeId> ids = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      byte[] b = new byte[1 + random.nextInt(4)];
      random.nextBytes(b);
      ids.add(NodeId.of(b));
    }
    for (NodeId a : ids) {
      for (NodeId b : ids) {
        assertEquals(Integer.signum(a.compareTo(b)), -Integer.signum(b.compareTo(a)), a + " " + b);
        assertEquals(a.equals(b), a.compareTo(b) == 0, a + " " + b);
      }
    }
    List<NodeId> sorted = new ArrayList<>(ids);
    Collections.sort(sorted);
    for (int i = 1; i < sorted.size(); i++) {
      byte[] x = sorted.get(i - 1).toBytes();
      byte[] y = sorted.get(i).toBytes();
      assertTrue(Arrays.compareUnsigned(x, y) <= 0, sorted.get(i - 1) + " " + sorted.get(i));
    }
  }

  @Test
  void shouldPrintPrintableIdsAsTextAndOthersAsHex() {
    assertEquals("node-1", NodeId.of("node-1").toString());
    assertEquals("!~", NodeId.of("!~").toString(), "0x21 and 0x7E are printable");
    assertEquals("00ff10", id(0, 0xFF, 0x10).toString());
    assertEquals("6120", NodeId.of("a ").toString(), "a space is not");
    assertEquals("617f", id('a', 0x7F).toString(), "DEL is not");
    assertEquals("c3a9", NodeId.of("é").toString(), "non-ASCII is not");
  }

  @Test
  void shouldRefuseAnIdOfZeroOrMoreThan64Bytes() {
    assertEquals("node id must be 1 to 64 bytes: 0", assertThrows(IllegalArgumentException.class,
        () -> NodeId.of(new byte[0])).getMessage());
    assertEquals("node id must be 1 to 64 bytes: 65",
        assertThrows(IllegalArgumentException.class, () -> NodeId.of(new byte[65])).getMessage());
    assertThrows(IllegalArgumentException.class, () -> NodeId.of(""));
    assertThrows(IllegalArgumentException.class, () -> NodeId.of("x".repeat(65)));
    assertThrows(IllegalArgumentException.class, () -> NodeId.of("é".repeat(33)), "66 bytes");
    assertEquals(1, NodeId.of(new byte[1]).length());
    assertEquals(64, NodeId.of(new byte[64]).length());
    assertEquals(64, NodeId.of("é".repeat(32)).length());
  }

  @Test
  void shouldCopyTheBytesInAndOut() {
    byte[] b = {1, 2};
    NodeId id = NodeId.of(b);
    b[0] = 9;
    assertArrayEquals(new byte[] {1, 2}, id.toBytes());
    id.toBytes()[1] = 9;
    assertArrayEquals(new byte[] {1, 2}, id.toBytes());
  }

  @Test
  void shouldSpellEveryByteAsLowerCaseHex() {
    assertEquals("00ff10", id(0, 0xFF, 0x10).toHex());
    assertEquals("6e6f64652d31", NodeId.of("node-1").toHex(), "printable ids too");
    assertEquals("node-1", NodeId.of("node-1").toString(), "toString is unchanged");
    assertEquals("ab".repeat(64), NodeId.of(filled(64, 0xAB)).toHex());
  }

  @Test
  void shouldReadHexInEitherCaseBackIntoTheSameId() {
    assertEquals(id(0, 0xFF, 0x10), NodeId.fromHex("00ff10"));
    assertEquals(id(0xAB, 0xCD, 0xEF), NodeId.fromHex("AbCdeF"));
    assertEquals(id(0x80), NodeId.fromHex("80"));
    assertEquals(64, NodeId.fromHex("ff".repeat(64)).length());
    Random random = new Random(2);
    for (int i = 0; i < 100; i++) {
      byte[] b = new byte[1 + random.nextInt(NodeId.MAX_LENGTH)];
      random.nextBytes(b);
      NodeId original = NodeId.of(b);
      assertEquals(original, NodeId.fromHex(original.toHex()), original.toHex());
    }
  }

  @Test
  void shouldRefuseHexThatIsOddTooShortTooLongOrNotHex() {
    assertEquals("node id hex must have an even number of digits, two per byte: 3 digits",
        assertThrows(IllegalArgumentException.class, () -> NodeId.fromHex("abc")).getMessage());
    assertEquals("node id hex must be 2 to 128 digits (1 to 64 bytes): 0 digits",
        assertThrows(IllegalArgumentException.class, () -> NodeId.fromHex("")).getMessage());
    assertEquals("node id hex must be 2 to 128 digits (1 to 64 bytes): 130 digits",
        assertThrows(IllegalArgumentException.class, () -> NodeId.fromHex("00".repeat(65)))
            .getMessage());
    assertEquals("node id hex has a character that is not a hex digit at index 3: 'g'",
        assertThrows(IllegalArgumentException.class, () -> NodeId.fromHex("00ag")).getMessage());
    assertThrows(IllegalArgumentException.class, () -> NodeId.fromHex("0x00"));
    assertThrows(IllegalArgumentException.class, () -> NodeId.fromHex(" 00 "));
    assertThrows(IllegalArgumentException.class, () -> NodeId.fromHex("-1"));
    assertThrows(IllegalArgumentException.class, () -> NodeId.fromHex("\u0661\u0662"),
        "Arabic-Indic digits are digits to Character.digit, not hex");
  }

  private static byte[] filled(int length, int value) {
    byte[] b = new byte[length];
    Arrays.fill(b, (byte) value);
    return b;
  }

  @Test
  void shouldMakeRandom16ByteIds() {
    NodeId a = NodeId.random();
    assertEquals(16, a.length());
    assertNotEquals(a, NodeId.random());
  }
}
