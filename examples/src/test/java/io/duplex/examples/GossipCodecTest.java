package io.duplex.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.ConnectionListener;
import io.duplex.Transport;
import io.duplex.codec.Codecs;
import io.duplex.codec.CorruptedFrameException;
import io.duplex.codec.DecoderException;
import io.duplex.codec.EncoderException;
import io.duplex.codec.testkit.CodecTestKit;
import io.duplex.nio.NioTransport;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The example codec: the codec author's kit, its error messages, and a real connection. */
class GossipCodecTest {
  private final GossipCodec codec = new GossipCodec();

  private static final List<Gossip> SAMPLES = List.of(
      new Gossip.Heartbeat("node-1", 42),
      new Gossip.Heartbeat("", Long.MIN_VALUE),
      new Gossip.Rumor(1, 0, "hello, peers"),
      new Gossip.Rumor(Long.MAX_VALUE, Integer.MAX_VALUE, "ü€𝄞".repeat(1000)),
      new Gossip.Rumor(-7, 3, ""));

  @Test
  void passesTheCodecTestKit() {
    CodecTestKit.of(codec).checkAll(SAMPLES);
  }

  @Test
  void encodesTheDocumentedLayout() {
    byte[] rumor = Codecs.encode(codec, new Gossip.Rumor(258, 3, "hi"));
    assertEquals("02" + "0000000000000102" + "00000003" + "0002" + "6869",
        java.util.HexFormat.of().formatHex(rumor));
  }

  @Test
  void refusesTextTooLongToEncodeWithAnEncoderExceptionThatSaysWhatFits() {
    EncoderException e = assertThrows(EncoderException.class, () -> Codecs.encode(codec,
        new Gossip.Rumor(1, 0, "x".repeat(GossipCodec.MAX_STRING_BYTES + 1))));
    assertTrue(e.getMessage().contains("at most 65535 fit"), e.getMessage());
  }

  @Test
  void namesWhatIsWrongWithBadBytes() {
    assertMessage(new byte[] {9}, "unknown message tag 9");
    assertMessage(new byte[] {2, 0, 0}, "ends inside a message");
    assertMessage(new byte[] {2, 0, 0, 0, 0, 0, 0, 0, 1, -1, -1, -1, -1, 0, 0}, "-1 hops");
    assertMessage(new byte[] {1, 0, 5, 'a'}, "claims 5 bytes but 1 are left");
    assertMessage(new byte[] {1, 0, 1, (byte) 0xC3, 0, 0, 0, 0, 0, 0, 0, 0}, "not valid UTF-8");
    assertMessage(new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7}, "1 bytes after the end");
  }

  private void assertMessage(byte[] payload, String expected) {
    DecoderException e = assertThrows(DecoderException.class,
        () -> codec.decode(ByteBuffer.wrap(payload)));
    assertTrue(e.getMessage().contains(expected), e.getMessage() + " should say: " + expected);
  }

  @Test
  void corruptBytesAreACorruptedFrame() {
    assertThrows(CorruptedFrameException.class,
        () -> codec.decode(ByteBuffer.wrap(new byte[] {3})));
  }

  @Test
  @Timeout(30)
  void roundTripsThroughARealConnection() throws Exception {
    Transport<Gossip> server = NioTransport.builder(codec)
        .listener(new ConnectionListener<>() {
          @Override
          public void onOpen(Connection<Gossip> c) {
            c.onMessage((conn, message) -> conn.send(message)); // echo
          }
        })
        .build();
    Transport<Gossip> client = NioTransport.builder(codec).build();
    try {
      InetSocketAddress address = server.listen(new InetSocketAddress("127.0.0.1", 0));
      Connection<Gossip> c = client.connect(address).get(10, TimeUnit.SECONDS);
      for (Gossip m : SAMPLES) {
        c.send(m).get(10, TimeUnit.SECONDS);
        assertEquals(m, c.receive(Duration.ofSeconds(10)));
      }
      // A message the codec refuses fails its send; the connection stays open.
      ExecutionException refused = assertThrows(ExecutionException.class, () -> c.send(
          new Gossip.Rumor(1, 0, "x".repeat(70_000))).get(10, TimeUnit.SECONDS));
      assertTrue(refused.getCause() instanceof EncoderException, refused.toString());
      c.send(SAMPLES.get(0)).get(10, TimeUnit.SECONDS);
      assertEquals(SAMPLES.get(0), c.receive(Duration.ofSeconds(10)));
    } finally {
      client.close();
      server.close();
    }
  }
}
