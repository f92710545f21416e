package io.duplex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NodeIdTest {
  @Test
  void shouldCompareByBytesUnsigned() {
    assertEquals(NodeId.of("a"), NodeId.of(new byte[] {'a'}));
    assertEquals(NodeId.of("a").hashCode(), NodeId.of(new byte[] {'a'}).hashCode());
    assertTrue(NodeId.of(new byte[] {(byte) 0x80}).compareTo(NodeId.of(new byte[] {0x7F})) > 0);
    assertTrue(NodeId.of("a").compareTo(NodeId.of("ab")) < 0);
    assertNotEquals(NodeId.random(), NodeId.random());
  }

  @Test
  void shouldPrintTextOrHex() {
    assertEquals("node-1", NodeId.of("node-1").toString());
    assertEquals("00ff10", NodeId.of(new byte[] {0, -1, 16}).toString());
  }

  @Test
  void shouldBoundTheLengthAndCopyTheBytes() {
    assertThrows(IllegalArgumentException.class, () -> NodeId.of(new byte[0]));
    assertThrows(IllegalArgumentException.class, () -> NodeId.of(new byte[65]));
    byte[] b = {1, 2};
    NodeId id = NodeId.of(b);
    b[0] = 9;
    assertEquals(1, id.toBytes()[0]);
    assertEquals(64, NodeId.of(new byte[64]).length());
  }
}
