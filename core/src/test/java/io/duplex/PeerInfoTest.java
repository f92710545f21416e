package io.duplex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PeerInfoTest {
  private static final NodeId ID = NodeId.of("n");

  @Test
  void shouldRefuseAPortOutside0To65535NamingIt() {
    assertEquals("listenPort out of range 0..65535: 65536",
        assertThrows(IllegalArgumentException.class,
            () -> new PeerInfo(ID, "net", 65536, "json", 1)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> new PeerInfo(ID, "net", -1, "json", 1));
    assertEquals(0, new PeerInfo(ID, "net", 0, "json", 1).listenPort());
    assertEquals(65535, new PeerInfo(ID, "net", 65535, "json", 1).listenPort());
  }

  @Test
  void shouldRefuseNullsNamingTheField() {
    assertEquals("nodeId", assertThrows(NullPointerException.class,
        () -> new PeerInfo(null, "net", 1, "json", 1)).getMessage());
    assertEquals("networkId", assertThrows(NullPointerException.class,
        () -> new PeerInfo(ID, null, 1, "json", 1)).getMessage());
    assertEquals("codecName", assertThrows(NullPointerException.class,
        () -> new PeerInfo(ID, "net", 1, null, 1)).getMessage());
  }
}
