package io.duplex.nio;

import static io.duplex.nio.Peers.awaitError;
import static io.duplex.nio.Peers.node;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.HandshakeException;
import io.duplex.HandshakeException.Field;
import io.duplex.NodeId;
import io.duplex.PeerInfo;
import io.duplex.ProtocolException;
import io.duplex.TransportConfig;
import io.duplex.codec.CorruptedFrameException;
import io.duplex.codec.EncoderException;
import io.duplex.internal.Wire;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Broken and hostile peers: each gets a clear error and a closed connection, and the node keeps
 * serving everyone else (checked with an honest echo client after each). Oversized lengths,
 * truncation, garbage, bad JSON and floods are in {@link HostileInputTest}.
 */
@Timeout(60)
class FailureTest {
  private static final String NETWORK = TransportConfig.DEFAULT_NETWORK_ID;

  private Peers.Node echoServer() throws Exception {
    return node("server", b -> { }, c -> c.onMessage((conn, m) -> conn.send(m))).listen();
  }

  /** The server still echoes for an honest client. */
  private static void assertStillServes(Peers.Node server) throws Exception {
    try (Peers.Node honest = node("honest-" + System.nanoTime())) {
      Connection<byte[]> c = honest.connect(server);
      byte[] m = Peers.bytes(1000, 7);
      c.send(m);
      assertArrayEquals(m, c.receive(Duration.ofSeconds(10)));
    }
  }

  private static RawPeer handshaken(Peers.Node server) throws Exception {
    return RawPeer.handshaken(server, "bytes");
  }

  @Test
  void shouldCloseWhenThePeerVanishesMidFrame() throws Exception {
    try (Peers.Node server = echoServer(); RawPeer raw = handshaken(server)) {
      raw.sendRaw(ByteBuffer.allocate(15).putInt(1000).put(Wire.MESSAGE).array());
      raw.close();
      Peers.await("close", 10, () -> !server.closeCauses.isEmpty());
      assertTrue(server.closeCauses.get(0).getMessage().contains("middle of a frame"),
          server.closeCauses.get(0).getMessage());
      assertInstanceOf(java.io.EOFException.class, server.closeCauses.get(0).getCause(),
          "a truncated stream is not an orderly close");
      assertStillServes(server);
    }
  }

  @Test
  void shouldCloseOnAResetAndReportTheIoError() throws Exception {
    try (Peers.Node server = echoServer(); RawPeer raw = handshaken(server)) {
      raw.sendFrame(Wire.MESSAGE, new byte[] {1, 2, 3});
      raw.socket.setSoLinger(true, 0);
      raw.close(); // RST
      Peers.await("close", 10, () -> !server.closeCauses.isEmpty());
      ConnectionClosedException cause = server.closeCauses.get(0);
      assertTrue(cause.getCause() instanceof java.io.IOException
          || cause.getMessage().contains("end of stream"), cause.toString());
      assertStillServes(server);
    }
  }

  @Test
  void shouldDeliverARequestSentBeforeAHalfCloseAndThenCloseGracefully() throws Exception {
    try (Peers.Node server = node("server").listen();
        RawPeer raw = new RawPeer(server.address)) {
      raw.sendHandshake(RawPeer.info("raw", NETWORK, "bytes")).readHandshake();
      Connection<byte[]> s = server.nextOpened();
      raw.sendFrame(Wire.MESSAGE, "request".getBytes(StandardCharsets.UTF_8));
      raw.socket.shutdownOutput();
      assertEquals("request", new String(s.receive(Duration.ofSeconds(10)),
          StandardCharsets.UTF_8));
      byte[] close = raw.readFrame();
      assertEquals(Wire.CLOSE, close[0], "the server answers a half-close with CLOSE");
      assertTrue(raw.closedByPeer());
      s.closeFuture().get(10, TimeUnit.SECONDS);
      assertTrue(s.closeCause().getMessage().contains("closed by the peer"),
          s.closeCause().getMessage());
      assertThrows(ConnectionClosedException.class, () -> s.receive(Duration.ofSeconds(1)));
    }
  }

  @ParameterizedTest
  @EnumSource(value = Field.class, names = {"MAGIC", "VERSION", "NETWORK_ID", "CODEC", "NODE_ID"})
  void shouldFailTheHandshakeNamingTheFieldThatDiffers(Field field) throws Exception {
    try (Peers.Node server = echoServer(); RawPeer raw = new RawPeer(server.address)) {
      switch (field) {
        case MAGIC:
          raw.sendFrame(Wire.HANDSHAKE, "XXXX and more bytes".getBytes(StandardCharsets.UTF_8));
          break;
        case VERSION:
          raw.sendFrame(Wire.HANDSHAKE, ByteBuffer.allocate(6).putInt(Wire.MAGIC)
              .putShort((short) 2).array());
          break;
        case NETWORK_ID:
          raw.sendHandshake(RawPeer.info("raw", "othernet", "bytes"));
          break;
        case CODEC:
          raw.sendHandshake(RawPeer.info("raw", NETWORK, "json"));
          break;
        default:
          raw.sendHandshake(RawPeer.info("server", NETWORK, "bytes"));
      }
      assertTrue(raw.closedByPeer(), "the server closes the connection");
      Throwable e = awaitError(server, t -> t instanceof HandshakeException);
      assertEquals(field, ((HandshakeException) e).field(), e.getMessage());
      assertTrue(server.opened.isEmpty(), "a failed handshake never opens a connection");
      assertStillServes(server);
    }
  }

  @Test
  void shouldFailConnectWithTheMismatchOnTheDialingSideToo() throws Exception {
    try (Peers.Node server = echoServer();
        Peers.Node other = node("other", b -> b.networkId("othernet"))) {
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> other.transport.connect(server.address).get(10, TimeUnit.SECONDS));
      HandshakeException h = assertInstanceOf(HandshakeException.class, e.getCause());
      assertEquals(Field.NETWORK_ID, h.field());
      assertTrue(h.getMessage().contains("othernet") && h.getMessage().contains(NETWORK),
          h.getMessage());
    }
  }

  @Test
  void shouldRecogniseGarbageInsteadOfAHandshakeAtOnce() throws Exception {
    try (Peers.Node server = echoServer(); RawPeer raw = new RawPeer(server.address)) {
      raw.sendRaw("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      assertTrue(raw.closedByPeer());
      Throwable e = awaitError(server, t -> t instanceof HandshakeException);
      assertEquals(Field.MAGIC, ((HandshakeException) e).field());
      assertTrue(e.getMessage().contains("not a duplex peer"), e.getMessage());
      assertStillServes(server);
    }
  }

  @Test
  void shouldCloseOnProtocolViolations() throws Exception {
    byte[][] frames = {
        {},                                 // zero-length frame
        {0x7F},                             // unknown type
        {Wire.PING, 1, 2, 3},               // ping body of the wrong size
        {Wire.HANDSHAKE, 0, 0, 0, 0, 0, 0}, // second handshake
    };
    Class<?>[] expected = {CorruptedFrameException.class, ProtocolException.class,
        ProtocolException.class, ProtocolException.class};
    for (int i = 0; i < frames.length; i++) {
      try (Peers.Node server = echoServer(); RawPeer raw = handshaken(server)) {
        byte[] f = frames[i];
        raw.sendRaw(ByteBuffer.allocate(4 + f.length).putInt(f.length).put(f).array());
        assertTrue(raw.closedByPeer(), "frame " + i);
        Peers.await("close", 10, () -> !server.closeCauses.isEmpty());
        assertInstanceOf(expected[i], server.closeCauses.get(0).getCause(), "frame " + i);
        assertStillServes(server);
      }
    }
  }

  @Test
  void shouldNameTheAddressOfADialThatWasRefused() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1,
        java.net.InetAddress.getByName("127.0.0.1"))) {
      port = s.getLocalPort(); // closed below: nothing listens there any more
    }
    try (Peers.Node client = node("client")) {
      ExecutionException e = assertThrows(ExecutionException.class, () -> client.transport
          .connect(new java.net.InetSocketAddress("127.0.0.1", port)).get(10, TimeUnit.SECONDS));
      java.net.ConnectException refused =
          assertInstanceOf(java.net.ConnectException.class, e.getCause());
      assertEquals("Connection refused: 127.0.0.1:" + port, refused.getMessage());
    }
  }

  @Test
  void shouldFailASendLargerThanTheMaxFrameSizeAndStayOpen() throws Exception {
    try (Peers.Node server = echoServer();
        Peers.Node client = node("client", b -> b.maxFrameSize(64 * 1024))) {
      Connection<byte[]> c = client.connect(server);
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> c.send(new byte[64 * 1024]).get(10, TimeUnit.SECONDS));
      assertInstanceOf(EncoderException.class, e.getCause());
      assertTrue(e.getCause().getMessage().contains("max frame size"), e.getMessage());
      byte[] fits = new byte[64 * 1024 - 1];
      c.send(fits).get(10, TimeUnit.SECONDS);
      assertEquals(fits.length, c.receive(Duration.ofSeconds(10)).length);
    }
  }

  @Test
  void shouldAnswerThePeersNodeIdFromTheHandshake() throws Exception {
    try (Peers.Node server = echoServer(); Peers.Node client = node("client")) {
      Connection<byte[]> c = client.connect(server);
      PeerInfo p = c.peer();
      assertEquals(NodeId.of("server"), p.nodeId());
      assertEquals(server.address.getPort(), p.listenPort());
      assertEquals("bytes", p.codecName());
      assertEquals(server.address, c.remoteAddress());
      assertEquals(NodeId.of("client"), server.nextOpened().peer().nodeId());
    }
  }
}
