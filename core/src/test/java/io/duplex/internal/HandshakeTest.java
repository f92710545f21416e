package io.duplex.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.HandshakeException;
import io.duplex.HandshakeException.Field;
import io.duplex.NodeId;
import io.duplex.PeerInfo;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class HandshakeTest {
  private static final PeerInfo LOCAL =
      new PeerInfo(NodeId.of("local"), "mainnet", 9000, "json", 16 << 20);

  private static byte[] encode(PeerInfo info) {
    FrameBuffer b = FrameBuffer.forPayloadOnly(64, 4096);
    Handshake.encode(info, b);
    return b.payloadToArray();
  }

  private static HandshakeException fails(byte[] body) {
    return assertThrows(HandshakeException.class,
        () -> Handshake.decode(ByteBuffer.wrap(body)));
  }

  @Test
  void shouldRoundTrip() {
    PeerInfo remote = new PeerInfo(NodeId.of(new byte[] {0, -1, 5}), "mainnet", 0, "json", 1);
    assertEquals(remote, Handshake.decode(ByteBuffer.wrap(encode(remote))));
    assertEquals(LOCAL, Handshake.decode(ByteBuffer.wrap(encode(LOCAL))));
  }

  @Test
  void shouldRecogniseAForeignMagicAndVersion() {
    byte[] body = encode(LOCAL);
    body[0] = 'X';
    assertEquals(Field.MAGIC, fails(body).field());
    byte[] v2 = encode(LOCAL);
    v2[5] = 2;
    HandshakeException e = fails(v2);
    assertEquals(Field.VERSION, e.field());
    assertTrue(e.getMessage().contains("ours '1', peer's '2'"), e.getMessage());
  }

  @Test
  void shouldRefuseEveryTruncationAsAFormatError() {
    byte[] body = encode(LOCAL);
    for (int n = 4; n < body.length; n++) {
      assertEquals(Field.FORMAT, fails(Arrays.copyOf(body, n)).field(), "prefix " + n);
    }
    assertEquals(Field.MAGIC, fails(Arrays.copyOf(body, 3)).field(), "not even the magic");
  }

  @Test
  void shouldRefuseTrailingBytesBadTextAndOversizedIds() {
    byte[] body = encode(LOCAL);
    assertEquals(Field.FORMAT, fails(Arrays.copyOf(body, body.length + 1)).field());

    byte[] badUtf8 = encode(LOCAL);
    int network = 4 + 2 + 1 + "local".length() + 1; // first byte of "mainnet"
    badUtf8[network] = (byte) 0xFF;
    assertTrue(fails(badUtf8).getMessage().contains("network id is not valid UTF-8"));

    ByteBuffer longId = ByteBuffer.allocate(200).putInt(Wire.MAGIC).putShort((short) 1)
        .put((byte) 65).put(new byte[65]);
    assertTrue(fails(Arrays.copyOf(longId.array(), longId.position())).getMessage()
        .contains("node id of 65 bytes"));
  }

  @Test
  void shouldCheckNetworkCodecAndSelf() {
    Handshake.check(LOCAL, new PeerInfo(NodeId.of("other"), "mainnet", 1, "json", 5));
    HandshakeException net = assertThrows(HandshakeException.class, () -> Handshake.check(LOCAL,
        new PeerInfo(NodeId.of("other"), "testnet", 1, "json", 5)));
    assertEquals(Field.NETWORK_ID, net.field());
    assertTrue(net.getMessage().contains("'mainnet'") && net.getMessage().contains("'testnet'"));
    assertEquals(Field.CODEC, assertThrows(HandshakeException.class, () -> Handshake.check(LOCAL,
        new PeerInfo(NodeId.of("other"), "mainnet", 1, "bytes", 5))).field());
    assertEquals(Field.NODE_ID, assertThrows(HandshakeException.class, () -> Handshake.check(LOCAL,
        new PeerInfo(NodeId.of("local"), "mainnet", 1, "json", 5))).field());
  }
}
