package io.duplex.nio;

import static io.duplex.nio.Peers.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.CloseCodes;
import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.HandlerException;
import io.duplex.PeerClosedException;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.codec.Codec;
import io.duplex.codec.DecoderException;
import io.duplex.codec.PayloadSink;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The side that closes a connection tells the other why: a CLOSE frame's code and reason. */
@Timeout(60)
class CloseCodeTest {
  /** Bytes, but a message whose first byte is 0x66 cannot be decoded. */
  static final class Picky implements Codec<byte[]> {
    @Override
    public String name() {
      return "bytes";
    }

    @Override
    public void encode(byte[] message, PayloadSink sink) {
      ByteArrayCodec.instance().encode(message, sink);
    }

    @Override
    public byte[] decode(ByteBuffer payload) {
      if (payload.hasRemaining() && payload.get(payload.position()) == 0x66) {
        throw new DecoderException("picky: a message may not start with 0x66");
      }
      return ByteArrayCodec.instance().decode(payload);
    }
  }

  @Test
  void shouldTellThePeerWhenItsMessageCannotBeDecoded() throws Exception {
    try (Peers.CodecNode<byte[]> server = node("server", new Picky(), b -> { }, c -> { }).listen();
        Peers.Node client = node("client")) {
      Connection<byte[]> c = client.connect(server);
      Connection<byte[]> s = server.nextOpened();
      c.send(new byte[] {1}).get(10, TimeUnit.SECONDS);
      assertEquals(1, s.receive(Duration.ofSeconds(10))[0]);
      c.send(new byte[] {0x66, 2});

      c.closeFuture().get(10, TimeUnit.SECONDS);
      PeerClosedException told = assertInstanceOf(PeerClosedException.class, c.closeCause());
      assertEquals(CloseCodes.DECODE_ERROR, told.code());
      assertTrue(told.reason().contains("may not start with 0x66"), told.reason());
      assertTrue(told.getMessage().contains("DECODE_ERROR"), told.getMessage());
      s.closeFuture().get(10, TimeUnit.SECONDS);
      assertInstanceOf(DecoderException.class, s.closeCause().getCause());
      assertEquals(1, server.errors.stream().filter(e -> e instanceof DecoderException).count(),
          "reported once, when it happened");
    }
  }

  @Test
  void shouldTellThePeerWhenAHandlerThrows() throws Exception {
    try (Peers.Node server = node("server", b -> { },
            c -> c.onMessage((conn, m) -> {
              throw new IllegalStateException("handler bug " + m.length);
            })).listen();
        Peers.Node client = node("client")) {
      Connection<byte[]> c = client.connect(server);
      c.send(new byte[3]);
      c.closeFuture().get(10, TimeUnit.SECONDS);
      PeerClosedException told = assertInstanceOf(PeerClosedException.class, c.closeCause());
      assertEquals(CloseCodes.HANDLER_ERROR, told.code());
      assertTrue(told.reason().contains("handler bug 3"), told.reason());
      Connection<byte[]> s = server.closed.poll(10, TimeUnit.SECONDS);
      HandlerException h = assertInstanceOf(HandlerException.class, s.closeCause().getCause());
      assertInstanceOf(IllegalStateException.class, h.getCause());
    }
  }

  @Test
  void shouldCarryAnApplicationsCodeAndReasonToThePeer() throws Exception {
    try (Peers.Node server = node("server").listen(); Peers.Node client = node("client")) {
      Connection<byte[]> c = client.connect(server);
      Connection<byte[]> s = server.nextOpened();
      c.close(4001, "rebalancing").get(10, TimeUnit.SECONDS);
      s.closeFuture().get(10, TimeUnit.SECONDS);
      PeerClosedException told = assertInstanceOf(PeerClosedException.class, s.closeCause());
      assertEquals(4001, told.code());
      assertEquals("rebalancing", told.reason());
      assertTrue(c.closeCause().getMessage().contains("4001"), c.closeCause().getMessage());
      assertEquals(null, c.closeCause().getCause(), "an orderly close has no cause");
    }
  }

  @Test
  void shouldCutALongReasonAtTheLimitWithoutSplittingACharacter() throws Exception {
    try (Peers.Node server = node("server").listen(); Peers.Node client = node("client")) {
      Connection<byte[]> c = client.connect(server);
      Connection<byte[]> s = server.nextOpened();
      c.close(CloseCodes.NORMAL, "é".repeat(CloseCodes.MAX_REASON_BYTES)); // 2 bytes each
      s.closeFuture().get(10, TimeUnit.SECONDS);
      PeerClosedException told = assertInstanceOf(PeerClosedException.class, s.closeCause());
      assertEquals("é".repeat(CloseCodes.MAX_REASON_BYTES / 2), told.reason());
    }
  }

  @Test
  void shouldRefuseTheTransportsOwnErrorCodesAndCodesOutOfRange() throws Exception {
    try (Peers.Node server = node("server").listen(); Peers.Node client = node("client")) {
      Connection<byte[]> c = client.connect(server);
      for (int code : new int[] {CloseCodes.DECODE_ERROR, CloseCodes.PROTOCOL_ERROR, 500,
          CloseCodes.APPLICATION_MIN - 1, CloseCodes.MAX + 1, -1}) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> c.close(code, "no"));
        assertTrue(e.getMessage().endsWith(": " + code), e.getMessage());
      }
      assertTrue(c.isAlive(), "a refused close closes nothing");
      c.close(CloseCodes.GOING_AWAY, "shutting down").get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void shouldLogAPeersFailureAtWarnOncePerPeerAndKind() throws Exception {
    try (LogCapture log = new LogCapture();
        Peers.Node server = node("server", b -> { },
            c -> c.onMessage((conn, m) -> {
              throw new IllegalStateException("handler bug");
            })).listen();
        Peers.Node client = node("client")) {
      for (int i = 0; i < 5; i++) {
        Connection<byte[]> c = client.connect(server);
        c.send(new byte[1]);
        c.closeFuture().get(10, TimeUnit.SECONDS);
      }
      Peers.await("5 handler failures reported", 10, () -> server.errors.size() >= 5);
      assertEquals(1, log.lines("WARN").stream()
          .filter(l -> l.contains("HandlerException")).count(), log.lines("WARN").toString());
      assertEquals(1, log.lines("WARN").stream()
          .filter(l -> l.contains("PeerClosedException")).count(),
          "the side that was told logs it too, once: " + log.lines("WARN"));
    }
  }

  @Test
  void shouldNotAnswerThePeersPingsOnceClosing() throws Exception {
    try (Peers.Node server = node("server").listen(); Peers.Node client = node("client")) {
      Connection<byte[]> c = client.connect(server);
      c.close();
      ConnectionClosedException e = assertInstanceOf(ConnectionClosedException.class,
          assertThrows(java.util.concurrent.ExecutionException.class,
              () -> c.ping().get(10, TimeUnit.SECONDS)).getCause());
      assertTrue(e.getMessage().contains("clos"), e.getMessage());
    }
  }
}
