package io.duplex.nio;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.CloseCodes;
import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.HandshakeException;
import io.duplex.HandshakeException.Field;
import io.duplex.NodeId;
import io.duplex.ProtocolException;
import io.duplex.TransportConfig;
import io.duplex.internal.SecureHandshake;
import io.duplex.internal.Wire;
import io.duplex.security.Identity;
import io.duplex.security.RecordException;
import io.duplex.security.RecordException.Reason;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile bytes against a secure server over real sockets: a {@link SecureRawPeer} completes the
 * handshake, has one valid record delivered, then does one bad thing. For each: the server closes
 * that connection with the typed error (a {@link RecordException} with its reason, a {@link
 * ProtocolException}, a {@link HandshakeException} with its field), nothing of the bad record
 * reaches the handler, and an honest secure client connected before the attack still
 * round-trips on the same connection after it.
 */
@Timeout(60)
class SecureHostileInputTest {

  /** A secure echo server that notes what reaches its handler, and an honest client of it. */
  static final class Target implements AutoCloseable {
    final Peers.Node server;
    final Peers.Node client;
    final List<Delivery> delivered = new CopyOnWriteArrayList<>();
    final Connection<byte[]> honest;
    final Connection<byte[]> honestOnServer;
    private int roundTrips;

    record Delivery(NodeId from, byte[] message) {}

    Target(Consumer<TransportConfig.Builder> settings, boolean secure) throws Exception {
      server = new Peers.Node("server", settings, t -> { }, c -> c.onMessage((conn, m) -> {
        delivered.add(new Delivery(conn.peer().nodeId(), m));
        conn.send(m);
      }), secure).listen();
      client = new Peers.Node("honest", b -> { }, t -> { }, c -> { }, secure);
      honest = client.connect(server);
      honestOnServer = server.nextOpened();
      roundTrip();
    }

    static Target secure() throws Exception {
      return new Target(b -> { }, true);
    }

    void roundTrip() throws InterruptedException {
      byte[] m = Peers.bytes(1000, roundTrips++);
      honest.send(m);
      assertArrayEquals(m, honest.receive(Duration.ofSeconds(10)), "round trip " + roundTrips);
    }

    /** The honest connection is the same one, open at both ends, and still round-trips. */
    void assertUndisturbed() throws InterruptedException {
      roundTrip();
      assertTrue(honest.isAlive() && honestOnServer.isAlive(), "the honest peer was disturbed");
      assertFalse(server.closed.contains(honestOnServer), "the honest connection was closed");
    }

    /** The messages from {@code node} that reached the server's handler, as text. */
    List<String> from(NodeId node) {
      return delivered.stream().filter(d -> d.from().equals(node))
          .map(d -> new String(d.message(), UTF_8)).toList();
    }

    /** The server's close cause of the one connection it closed (the attacker's). */
    ConnectionClosedException attackerCloseCause() {
      Peers.await("the attacker's connection closed", 10, () -> !server.closeCauses.isEmpty());
      assertEquals(1, server.closeCauses.size(), "only the attacker's connection closes");
      return server.closeCauses.get(0);
    }

    /** What the server's listener was told about the attacker's failed handshake. */
    HandshakeException handshakeFailure() {
      Peers.await("onHandshakeFailed", 10, () -> !server.handshakeFailures.isEmpty());
      assertTrue(server.opened.isEmpty(), "a failed handshake never opens a connection");
      return assertInstanceOf(HandshakeException.class, server.handshakeFailures.get(0));
    }

    @Override
    public void close() {
      client.close();
      server.close();
    }
  }

  private static byte[] message(String text) {
    return SecureRawPeer.frame(Wire.MESSAGE, text.getBytes(UTF_8));
  }

  /**
   * Reads the server's sealed CLOSE frame, checks its code and that its reason has {@code text},
   * and answers with a FIN, as a duplex peer does; the server then closes.
   */
  private static void assertToldClose(SecureRawPeer raw, int code, String text) throws Exception {
    for (int frames = 0; frames < 100; frames++) {
      byte[] f = raw.readFrame();
      if (f[0] == Wire.CLOSE) {
        ByteBuffer body = ByteBuffer.wrap(f, 1, f.length - 1);
        assertEquals(code, body.getShort() & 0xFFFF, "the CLOSE code");
        String reason = new String(f, 3, f.length - 3, UTF_8);
        assertTrue(reason.contains(text), reason);
        raw.socket.shutdownOutput();
        assertTrue(raw.closedByPeer(), "the server closes after its CLOSE");
        return;
      }
    }
    throw new AssertionError("no CLOSE in 100 frames");
  }

  // ---- a valid record ----------------------------------------------------------------------

  @Test
  void validRecordsAreDeliveredWhateverTheirFramesLayout() throws Exception {
    try (Target target = Target.secure();
        SecureRawPeer raw = SecureRawPeer.handshaken(target.server)) {
      assertEquals(target.server.transport.config().nodeId(), raw.peer.nodeId());
      raw.sendFrames(message("one"));
      assertArrayEquals(message("one"), withLength(raw.readFrame()), "echoed in a record");
      raw.sendFrames(message("two"), message("three")); // two frames in one record
      byte[] four = message("four");
      raw.sendRaw(raw.seal(Arrays.copyOf(four, 3))) // a frame across three records
          .sendRaw(raw.seal(Arrays.copyOfRange(four, 3, 6)))
          .sendRaw(raw.seal(Arrays.copyOfRange(four, 6, four.length)));
      for (String m : List.of("two", "three", "four")) {
        assertArrayEquals(message(m), withLength(raw.readFrame()));
      }
      assertEquals(List.of("one", "two", "three", "four"), target.from(raw.identity.nodeId()));
      target.assertUndisturbed();
      assertTrue(target.server.closeCauses.isEmpty());
    }
  }

  /**
   * Records at line rate cost the read loop what they deliver, not a multiple of it: 4 MiB of
   * 1000-byte messages in full records, and the read loops may allocate twice that (the
   * messages themselves, as the codec makes them, are most of it).
   */
  @Test
  void fullRecordsCostTheReadLoopAboutWhatTheyDeliver() throws Exception {
    int messages = 4096;
    byte[] stream = new byte[messages * (Wire.HEADER_SIZE + 1000)];
    ByteBuffer frames = ByteBuffer.wrap(stream);
    for (int i = 0; i < messages; i++) {
      frames.putInt(1 + 1000).put(Wire.MESSAGE).put(Peers.bytes(1000, i));
    }
    try (Target target = Target.secure();
        SecureRawPeer raw = SecureRawPeer.handshaken(target.server)) {
      NodeId id = raw.identity.nodeId();
      raw.sendFrames(message("warm-up"));
      Peers.await("the first record delivered", 10, () -> target.from(id).size() == 1);
      ReadLoopAllocations allocations = ReadLoopAllocations.start();
      long wire = raw.sendSealed(stream);
      Peers.await("every message delivered", 20, () -> target.delivered.stream()
          .filter(d -> d.from().equals(id)).count() == messages + 1);
      long allocated = allocations.allocatedSinceStart();
      System.out.printf("%d bytes of frames in %d bytes of records: the read loops allocated %d"
          + " bytes (%.2f per byte)%n", stream.length, wire, allocated,
          (double) allocated / stream.length);
      assertTrue(allocated < 2L * stream.length, "the read loops allocated " + allocated
          + " bytes to open " + wire + " bytes of records");
      target.assertUndisturbed();
    }
  }

  private static byte[] withLength(byte[] frame) {
    return ByteBuffer.allocate(4 + frame.length).putInt(frame.length).put(frame).array();
  }

  // ---- bad records -------------------------------------------------------------------------

  enum BadRecord {
    /** One bit of the ciphertext flipped. */
    FLIPPED_CIPHERTEXT(Reason.AUTHENTICATION),
    /** One bit of the tag flipped. */
    FLIPPED_TAG(Reason.AUTHENTICATION),
    /** The valid record sent again. */
    REPLAYED(Reason.AUTHENTICATION),
    /** Two valid records, the second sent first. */
    REORDERED(Reason.AUTHENTICATION),
    /** A record valid on another connection to the server, copied into this one. */
    ANOTHER_CONNECTION(Reason.AUTHENTICATION),
    /** The server's own record to this peer, sent back to it. */
    REFLECTED(Reason.AUTHENTICATION),
    /** A length field of 16: below one byte of plaintext and the tag. */
    LENGTH_16(Reason.LENGTH),
    /** A length field of 0. */
    LENGTH_0(Reason.LENGTH),
    /** Half a record, then the end of the stream. */
    TRUNCATED(Reason.TRUNCATED);

    final Reason reason;

    BadRecord(Reason reason) {
      this.reason = reason;
    }
  }

  @ParameterizedTest
  @EnumSource(BadRecord.class)
  void aBadRecordClosesThatConnectionOnlyAndDeliversNothingOfIt(BadRecord bad) throws Exception {
    try (Target target = Target.secure();
        SecureRawPeer raw = SecureRawPeer.handshaken(target.server);
        SecureRawPeer other = SecureRawPeer.handshaken(target.server)) {
      NodeId attacker = raw.identity.nodeId();
      byte[] before = raw.seal(message("before"));
      raw.sendRaw(before);
      Peers.await("the valid record delivered", 10, () -> target.from(attacker).size() == 1);
      byte[] record = raw.seal(message("bad"));
      switch (bad) {
        case FLIPPED_CIPHERTEXT -> record[2 + 4] ^= 0x10; // in the frame's type byte
        case FLIPPED_TAG -> record[record.length - 1] ^= 0x01;
        case REPLAYED -> record = before;
        case REORDERED -> {
          byte[] second = raw.seal(message("after"));
          raw.sendRaw(second); // before `record`, which is sent last below
        }
        case ANOTHER_CONNECTION -> {
          record = other.seal(message("other's"));
          other.sendRaw(record); // valid there
        }
        case REFLECTED -> {
          record = raw.readSealedRecord(); // the echo of "before"
          assertArrayEquals(message("before"), raw.open(record), "it is the server's own");
        }
        case LENGTH_16 -> record = ByteBuffer.allocate(2 + 16).putShort((short) 16).array();
        case LENGTH_0 -> record = new byte[] {0, 0, 1, 2, 3};
        case TRUNCATED -> record = Arrays.copyOf(record, record.length / 2);
        default -> throw new AssertionError(bad);
      }
      raw.sendRaw(record);
      if (bad == BadRecord.TRUNCATED) {
        raw.socket.shutdownOutput();
      }

      if (bad == BadRecord.TRUNCATED) {
        assertTrue(raw.closedByPeer());
      } else {
        assertToldClose(raw, CloseCodes.PROTOCOL_ERROR, "record refused");
      }
      ConnectionClosedException closed = target.attackerCloseCause();
      RecordException e = assertInstanceOf(RecordException.class, closed.getCause(),
          closed.toString());
      assertEquals(bad.reason, e.reason(), e.getMessage());
      assertTrue(e.getMessage().contains(bad.reason == Reason.TRUNCATED
          ? "middle of a record" : "record refused"), e.getMessage());
      assertTrue(target.server.errors.contains(e), "the error handler got it too");
      assertEquals(List.of("before"), target.from(attacker), "nothing of the bad record");
      Connection<byte[]> attacked = target.server.closed.peek();
      assertEquals(1, attacked.stats().messagesIn());
      // The other raw client is untouched too.
      other.sendFrames(message("still here"));
      Peers.await("the other raw client is heard", 10,
          () -> target.from(other.identity.nodeId()).contains("still here"));
      assertEquals(bad == BadRecord.ANOTHER_CONNECTION ? List.of("other's", "still here")
          : List.of("still here"), target.from(other.identity.nodeId()));
      target.assertUndisturbed();
    }
  }

  // ---- a valid record whose frames break the protocol --------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"unknown type", "second handshake", "short ping"})
  void aFrameThatBreaksTheProtocolInsideAValidRecordIsAProtocolError(String what)
      throws Exception {
    byte[] frame = switch (what) {
      case "unknown type" -> SecureRawPeer.frame((byte) 0x7F, new byte[] {1, 2, 3});
      case "second handshake" -> SecureRawPeer.frame(Wire.HANDSHAKE, new byte[] {'D', 'P'});
      default -> SecureRawPeer.frame(Wire.PING, new byte[7]);
    };
    String expected = switch (what) {
      case "unknown type" -> "unknown frame type";
      case "second handshake" -> "second HANDSHAKE";
      default -> "PING body must be 8 bytes";
    };
    try (Target target = Target.secure();
        SecureRawPeer raw = SecureRawPeer.handshaken(target.server)) {
      raw.sendFrames(message("before"));
      Peers.await("the valid record delivered", 10,
          () -> target.from(raw.identity.nodeId()).size() == 1);
      raw.sendFrames(frame);
      assertToldClose(raw, CloseCodes.PROTOCOL_ERROR, expected);
      ConnectionClosedException closed = target.attackerCloseCause();
      ProtocolException e = assertInstanceOf(ProtocolException.class, closed.getCause());
      assertFalse(e instanceof RecordException, "the record itself was fine");
      assertTrue(e.getMessage().contains(expected), e.getMessage());
      assertEquals(List.of("before"), target.from(raw.identity.nodeId()));
      target.assertUndisturbed();
    }
  }

  // ---- before the handshake completes ------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"random bytes", "TLS ClientHello", "HTTP"})
  void garbageInsteadOfThePrefaceIsRefusedAsNotDuplex(String garbage) throws Exception {
    byte[] bytes = Peers.bytes(517, garbage.hashCode());
    if (garbage.startsWith("TLS")) {
      ByteBuffer.wrap(bytes).put(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01});
    } else if (garbage.equals("HTTP")) {
      bytes = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(UTF_8);
    }
    try (Target target = Target.secure();
        RawPeer raw = new RawPeer(target.server.address)) {
      raw.sendRaw(bytes);
      assertTrue(raw.closedByPeer());
      HandshakeException e = target.handshakeFailure();
      assertEquals(Field.MAGIC, e.field(), e.getMessage());
      assertTrue(e.getMessage().contains("not a duplex peer"), e.getMessage());
      assertTrue(target.delivered.stream().allMatch(d -> d.from().equals(
          target.client.transport.config().nodeId())));
      target.assertUndisturbed();
    }
  }

  @Test
  void aPlaintextNodeAndASecureNodeRefuseEachOtherSayingSecurity() throws Exception {
    // A plaintext dialer against the secure server.
    try (Target target = Target.secure();
        Peers.Node plain = Peers.node("plain")) {
      ExecutionException dial = assertThrows(ExecutionException.class,
          () -> plain.transport.connect(target.server.address).get(10, TimeUnit.SECONDS));
      HandshakeException atPlain = assertInstanceOf(HandshakeException.class, dial.getCause());
      assertEquals(Field.SECURITY, atPlain.field(), atPlain.getMessage());
      assertTrue(atPlain.getMessage().contains("drop insecurePlaintext() here"),
          atPlain.getMessage());
      HandshakeException atSecure = target.handshakeFailure();
      assertEquals(Field.SECURITY, atSecure.field(), atSecure.getMessage());
      assertTrue(atSecure.getMessage().contains("speaks insecure plaintext")
          && atSecure.getMessage().contains("both sides must agree"), atSecure.getMessage());
      assertTrue(plain.opened.isEmpty());
      target.assertUndisturbed();
    }
    // A secure dialer against a plaintext server (whose own plaintext client is undisturbed).
    try (Target target = new Target(b -> { }, false);
        Peers.Node secure = new Peers.Node("secure", b -> { }, t -> { }, c -> { }, true)) {
      ExecutionException dial = assertThrows(ExecutionException.class,
          () -> secure.transport.connect(target.server.address).get(10, TimeUnit.SECONDS));
      HandshakeException atSecure = assertInstanceOf(HandshakeException.class, dial.getCause());
      assertEquals(Field.SECURITY, atSecure.field(), atSecure.getMessage());
      assertTrue(atSecure.getMessage().contains("never falls back to plaintext"),
          atSecure.getMessage());
      HandshakeException atPlain = target.handshakeFailure();
      assertEquals(Field.SECURITY, atPlain.field(), atPlain.getMessage());
      assertTrue(atPlain.getMessage().contains("drop insecurePlaintext() here"),
          atPlain.getMessage());
      assertTrue(secure.opened.isEmpty());
      target.assertUndisturbed();
    }
  }

  enum Stall { NOTHING, HALF_THE_FIRST_MESSAGE, NO_THIRD_MESSAGE }

  @ParameterizedTest
  @EnumSource(Stall.class)
  void aStalledHandshakeEndsWithTheHandshakeTimeout(Stall stall) throws Exception {
    try (Target target = new Target(b -> b.handshakeTimeout(Duration.ofMillis(500)), true);
        Socket socket = new Socket()) {
      socket.connect(target.server.address, 5000);
      Identity identity = Identity.generate();
      SecureHandshake hs = new SecureHandshake(true, TransportConfig.DEFAULT_CIPHER_SUITE,
          SecureRawPeer.info(identity), SecureHandshake.StaticKey.generate(identity), null, null,
          65535, null);
      ByteBuffer start = hs.start();
      byte[] first = new byte[start.remaining()];
      start.get(first);
      switch (stall) {
        case NOTHING -> { }
        case HALF_THE_FIRST_MESSAGE -> socket.getOutputStream().write(first, 0, 20);
        case NO_THIRD_MESSAGE -> socket.getOutputStream().write(first);
        default -> throw new AssertionError(stall);
      }
      HandshakeException e = target.handshakeFailure();
      assertEquals(Field.TIMEOUT, e.field(), e.getMessage());
      target.assertUndisturbed();
    }
  }

  @Test
  void aDialerGivesUpOnAServerThatNeverAnswersAtTheHandshakeTimeout() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        Peers.Node client = new Peers.Node("client",
            b -> b.handshakeTimeout(Duration.ofMillis(300)), t -> { }, c -> { }, true)) {
      InetSocketAddress at = (InetSocketAddress) silent.getLocalSocketAddress();
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> client.transport.connect(at).get(10, TimeUnit.SECONDS));
      HandshakeException h = assertInstanceOf(HandshakeException.class, e.getCause());
      assertEquals(Field.TIMEOUT, h.field(), h.getMessage());
      assertTrue(client.opened.isEmpty());
    }
  }
}
