package io.duplex.nio;

import static io.duplex.nio.Peers.awaitError;
import static io.duplex.nio.Peers.causedBy;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.duplex.BackpressureException;
import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.ConnectionStats;
import io.duplex.HandshakeException;
import io.duplex.HandshakeException.Field;
import io.duplex.NodeId;
import io.duplex.SlowPeerPolicy;
import io.duplex.TransportConfig;
import io.duplex.codec.CorruptedFrameException;
import io.duplex.codec.DecoderException;
import io.duplex.codec.TooLongFrameException;
import io.duplex.codec.json.JsonCodec;
import io.duplex.codec.message.Status;
import io.duplex.internal.Records;
import io.duplex.internal.Wire;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile bytes over real sockets. For each attack: the attacker gets its connection closed, the
 * server's user gets a typed error (close cause, error handler, failed future), memory stays
 * bounded, and an honest peer that was connected before the attack keeps round-tripping on the
 * same connection. {@link FailureTest} holds the protocol violations this class does not repeat.
 */
@Timeout(60)
class HostileInputTest {
  private static final int MAX = TransportConfig.DEFAULT_MAX_FRAME_SIZE;
  private static final int HANDSHAKE_MAX = TransportConfig.DEFAULT_MAX_HANDSHAKE_FRAME_SIZE;
  /** What the read loops may allocate while refusing a frame; a payload would be 4 KiB..4 GiB. */
  private static final long REFUSAL_ALLOCATION_BOUND = 1 << 20;

  /** Where in the connection the attack starts. */
  enum Phase {
    BEFORE_HANDSHAKE, AFTER_HANDSHAKE;

    RawPeer attacker(Target<?> target, String codec) throws Exception {
      return this == BEFORE_HANDSHAKE ? new RawPeer(target.server.address)
          : RawPeer.handshaken(target.server, codec);
    }
  }

  /** A server under attack, and an honest peer that was connected to it before the attack. */
  static final class Target<T> implements AutoCloseable {
    final Peers.CodecNode<T> server;
    private final Peers.CodecNode<T> client;
    private final IntFunction<T> messages;
    private final Connection<T> honest;
    private final Connection<T> honestOnServer;
    int roundTrips;

    Target(Peers.CodecNode<T> server, Peers.CodecNode<T> client, IntFunction<T> messages)
        throws Exception {
      this.server = server.listen();
      this.client = client;
      this.messages = messages;
      this.honest = client.connect(server);
      this.honestOnServer = server.nextOpened();
      roundTrip();
    }

    /** One message to the server and its echo back, on the honest connection. */
    void roundTrip() throws InterruptedException {
      T m = messages.apply(roundTrips++);
      honest.send(m);
      T back = honest.receive(Duration.ofSeconds(10));
      assertTrue(Objects.deepEquals(m, back), "round trip " + roundTrips + " came back changed");
    }

    /** The honest connection is the same one, open at both ends, and still round-trips. */
    void assertUndisturbed() throws InterruptedException {
      roundTrip();
      assertTrue(honest.isAlive() && honestOnServer.isAlive(), "the honest peer was disturbed");
      assertFalse(server.closed.contains(honestOnServer), "the honest connection was closed");
    }

    /** The server's close cause of the one connection it closed (the attacker's). */
    ConnectionClosedException attackerCloseCause() {
      Peers.await("the attacker's connection closed", 10, () -> !server.closeCauses.isEmpty());
      assertEquals(1, server.closeCauses.size(), "only the attacker's connection closes");
      return server.closeCauses.get(0);
    }

    /** What the server's listener was told about the attacker's failed handshake. */
    Throwable handshakeFailure() {
      Peers.await("onHandshakeFailed", 10, () -> !server.handshakeFailures.isEmpty());
      assertTrue(server.opened.isEmpty(), "a failed handshake never opens a connection");
      return server.handshakeFailures.get(0);
    }

    @Override
    public void close() {
      client.close();
      server.close();
    }
  }

  /**
   * Whether the server, the honest peer and the attacker run the secure channel: no here, yes
   * in {@link SecureHostileFramesTest}, where the attacker's frames are
   * sealed into valid records and the attacks before the handshake do not apply.
   */
  boolean secure() {
    return false;
  }

  /** A byte-array node of this class's mode. */
  Peers.Node node(String name, Consumer<TransportConfig.Builder> settings,
      Consumer<NioTransport.Builder<byte[]>> nio, Consumer<Connection<byte[]>> onOpen) {
    return new Peers.Node(name, settings, nio, onOpen, secure());
  }

  /** A byte-array echo server with {@code settings}. */
  Target<byte[]> echo(Consumer<TransportConfig.Builder> settings) throws Exception {
    return echo(settings, t -> { });
  }

  /** A byte-array echo server with {@code settings} and the NIO settings {@code nio}. */
  Target<byte[]> echo(Consumer<TransportConfig.Builder> settings,
      Consumer<NioTransport.Builder<byte[]>> nio) throws Exception {
    return new Target<>(node("server", settings, nio,
        c -> c.onMessage((conn, m) -> conn.send(m))), node("honest", b -> { }, t -> { }, c -> { }),
        i -> Peers.bytes(1000, i));
  }

  /** Skips an attack made of plaintext bytes before the handshake, in the secure mode. */
  void plaintextHandshakeOnly(Phase phase) {
    assumeTrue(phase == Phase.AFTER_HANDSHAKE || !secure(),
        "an attack on the plaintext handshake: SecureHostileInputTest attacks the secure one");
  }

  private static byte[] prefix(long length, byte type) {
    return ByteBuffer.allocate(5).putInt((int) length).put(type).array();
  }

  // ---- 1. length prefixes ------------------------------------------------------------------

  @ParameterizedTest(name = "{0}, length {1}")
  @CsvSource({
      "BEFORE_HANDSHAKE, 2147483647", "BEFORE_HANDSHAKE, 4294967295", "BEFORE_HANDSHAKE, 4097",
      "AFTER_HANDSHAKE, 2147483647", "AFTER_HANDSHAKE, 4294967295", "AFTER_HANDSHAKE, 16777217"})
  void shouldRefuseALengthOverTheLimitBeforeAllocatingForIt(Phase phase, long length)
      throws Exception {
    plaintextHandshakeOnly(phase);
    try (Target<byte[]> target = echo(b -> { });
        RawPeer raw = phase.attacker(target, "bytes")) {
      ReadLoopAllocations allocations = ReadLoopAllocations.start();
      raw.sendRaw(prefix(length, phase == Phase.BEFORE_HANDSHAKE ? Wire.HANDSHAKE : Wire.MESSAGE));
      assertTrue(raw.closedByPeer(), "the server closes the attacker's connection");

      TooLongFrameException tooLong;
      if (phase == Phase.BEFORE_HANDSHAKE) {
        HandshakeException e = assertInstanceOf(HandshakeException.class,
            target.handshakeFailure());
        assertEquals(Field.MAGIC, e.field());
        assertTrue(e.getMessage().contains("not a duplex peer"), e.getMessage());
        assertTrue(target.server.errors.contains(e), "the error handler got it too");
        tooLong = assertInstanceOf(TooLongFrameException.class, e.getCause());
        assertEquals(HANDSHAKE_MAX, tooLong.limit());
      } else {
        tooLong = assertInstanceOf(TooLongFrameException.class,
            target.attackerCloseCause().getCause());
        assertEquals(MAX, tooLong.limit());
        assertTrue(target.server.errors.contains(tooLong), "the error handler got it too");
      }
      assertEquals(length, tooLong.length());
      long allocated = allocations.allocatedSinceStart();
      System.out.printf("refused a %s length %d: read loops allocated %d bytes%n", phase, length,
          allocated);
      assertTrue(allocated < REFUSAL_ALLOCATION_BOUND, "allocated " + allocated + " bytes");
      target.assertUndisturbed();
    }
  }

  @Test
  void shouldGatherOnlyTheBytesThatArriveWhenTheLimitAllowsA2GiBFrame() throws Exception {
    int sent = 256 * 1024;
    try (Target<byte[]> target = echo(b -> b.maxFrameSize(Integer.MAX_VALUE)
            .outboundHardLimit(Integer.MAX_VALUE + 4L)); // a limit, never allocated
        RawPeer raw = new RawPeer(target.server.address)) {
      raw.handshake(target.server, "bytes");
      Connection<byte[]> attacked = target.server.nextOpened();
      ReadLoopAllocations allocations = ReadLoopAllocations.start();
      long before = attacked.stats().bytesIn();
      long sentBefore = raw.bytesSent();
      raw.sendRaw(prefix(Integer.MAX_VALUE, Wire.MESSAGE)).sendRaw(new byte[sent]);
      long onTheWire = raw.bytesSent() - sentBefore; // sent + 5, and records' overhead
      Peers.await("the server read what was sent", 10,
          () -> attacked.stats().bytesIn() - before == onTheWire);
      long allocated = allocations.allocatedSinceStart();
      System.out.printf("a 2 GiB frame announced, %d bytes of it sent: read loops allocated %d"
          + " bytes%n", sent, allocated);
      assertTrue(allocated < 4L * sent + REFUSAL_ALLOCATION_BOUND, "allocated " + allocated);
      target.assertUndisturbed();

      raw.close();
      assertTrue(target.attackerCloseCause().getMessage().contains("middle of a frame"));
      assertEquals(0, attacked.stats().messagesIn());
    }
  }

  // ---- 2. truncation, zero length, garbage -------------------------------------------------

  @ParameterizedTest(name = "{0}, {1} bytes of a 104-byte frame")
  @CsvSource({"BEFORE_HANDSHAKE, 1", "BEFORE_HANDSHAKE, 2", "BEFORE_HANDSHAKE, 3",
      "BEFORE_HANDSHAKE, 50", "AFTER_HANDSHAKE, 1", "AFTER_HANDSHAKE, 2", "AFTER_HANDSHAKE, 3"})
  void shouldCloseWhenThePeerEndsItsStreamInsideAFrame(Phase phase, int bytes) throws Exception {
    plaintextHandshakeOnly(phase);
    try (Target<byte[]> target = echo(b -> { });
        RawPeer raw = phase.attacker(target, "bytes")) {
      byte[] frame = ByteBuffer.allocate(104).putInt(100)
          .put(phase == Phase.BEFORE_HANDSHAKE ? Wire.HANDSHAKE : Wire.MESSAGE).array();
      raw.sendRaw(Arrays.copyOf(frame, bytes));
      raw.socket.shutdownOutput();
      assertTrue(raw.closedByPeer());
      Throwable cause = phase == Phase.BEFORE_HANDSHAKE ? target.handshakeFailure()
          : target.attackerCloseCause();
      assertTrue(cause.getMessage().contains("middle of a frame"), cause.getMessage());
      // A violation like any other: the error handler hears of it too (PROTOCOL.md).
      Throwable reported = awaitError(target.server, t -> t instanceof EOFException);
      assertTrue(reported.getMessage().contains("middle of a frame"), reported.getMessage());
      target.assertUndisturbed();
    }
  }

  @Test
  void shouldTreatAZeroLengthFirstFrameAsCorruptNotAsAFailedHandshake() throws Exception {
    plaintextHandshakeOnly(Phase.BEFORE_HANDSHAKE);
    try (Target<byte[]> target = echo(b -> { });
        RawPeer raw = new RawPeer(target.server.address)) {
      raw.sendRaw(new byte[4]);
      assertTrue(raw.closedByPeer());
      Throwable failure = target.handshakeFailure();
      assertInstanceOf(CorruptedFrameException.class, failure.getCause(), failure.toString());
      assertTrue(failure.getMessage().contains("zero-length frame"), failure.getMessage());
      awaitError(target.server, t -> t instanceof CorruptedFrameException);
      assertFalse(target.server.errors.stream().anyMatch(t -> t instanceof HandshakeException));
      target.assertUndisturbed();
    }
  }

  @Test
  void shouldDeliverAMessageWithAnEmptyBodyWithTheBytesCodec() throws Exception {
    try (Target<byte[]> target = echo(b -> { });
        RawPeer raw = RawPeer.handshaken(target.server, "bytes")) {
      raw.sendFrame(Wire.MESSAGE, new byte[0]);
      assertArrayEquals(new byte[] {Wire.MESSAGE}, raw.readFrame(), "echoed: type, no body");
      raw.sendFrame(Wire.MESSAGE, new byte[] {7});
      assertArrayEquals(new byte[] {Wire.MESSAGE, 7}, raw.readFrame(), "and still open");
      target.assertUndisturbed();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"random bytes 1", "random bytes 2", "random bytes 3", "TLS ClientHello"})
  void shouldRefuseGarbageInsteadOfAHandshake(String garbage) throws Exception {
    byte[] bytes = Peers.bytes(517, garbage.hashCode());
    if (garbage.startsWith("TLS")) {
      // A TLS 1.2 record header and the start of a ClientHello, as a browser sends it first.
      ByteBuffer.wrap(bytes).put(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01,
          (byte) 0xfc, 0x03, 0x03});
    }
    try (Target<byte[]> target = echo(b -> { });
        RawPeer raw = new RawPeer(target.server.address)) {
      raw.sendRaw(bytes);
      assertTrue(raw.closedByPeer());
      HandshakeException e = assertInstanceOf(HandshakeException.class, target.handshakeFailure());
      assertEquals(Field.MAGIC, e.field(), e.getMessage());
      assertTrue(e.getMessage().contains("not a duplex peer"), e.getMessage());
      target.assertUndisturbed();
    }
  }

  // ---- 3. undecodable JSON -----------------------------------------------------------------

  /** Untyped content, so the JSON parser has to read nesting rather than fail on the shape. */
  public record Tree(List<Object> items) {}

  private static final JsonCodec<Object> JSON = JsonCodec.builder(Object.class)
      .register("status", Status.class)
      .register("tree", Tree.class)
      .build();

  private Target<Object> jsonEcho() throws Exception {
    return new Target<>(new Peers.CodecNode<>("server", JSON, b -> { }, t -> { },
        c -> c.onMessage((conn, m) -> conn.send(m)), secure()),
        new Peers.CodecNode<>("honest", JSON, b -> { }, t -> { }, c -> { }, secure()),
        i -> new Status(i, "honest"));
  }

  static Stream<Arguments> undecodableJson() {
    String status = "{\"type\":\"status\",\"data\":";
    return Stream.of(
        Arguments.of("not JSON", "hello".getBytes(UTF_8), "malformed JSON"),
        Arguments.of("cut off", (status + "{\"height\":3,").getBytes(UTF_8), "malformed JSON"),
        Arguments.of("an array", "[1,2,3]".getBytes(UTF_8), "wrong JSON envelope"),
        Arguments.of("invalid UTF-8", new byte[] {'{', '"', (byte) 0xC0, (byte) 0x80, '"'},
            "UTF-8"),
        Arguments.of("unknown type", "{\"type\":\"nope\",\"data\":{}}".getBytes(UTF_8),
            "unknown message type 'nope'"),
        Arguments.of("missing field", (status + "{\"height\":3}}").getBytes(UTF_8), "nodeId"),
        Arguments.of("unknown field",
            (status + "{\"height\":3,\"nodeId\":\"n\",\"x\":1}}").getBytes(UTF_8),
            "unknown field"),
        Arguments.of("wrong field type",
            (status + "{\"height\":\"3\",\"nodeId\":\"n\"}}").getBytes(UTF_8), "height"),
        Arguments.of("100,000 [ in the data",
            ("{\"type\":\"tree\",\"data\":{\"items\":" + "[".repeat(100_000)).getBytes(UTF_8),
            "nesting depth"),
        Arguments.of("100,000 [ for the envelope", "[".repeat(100_000).getBytes(UTF_8),
            "wrong JSON envelope"),
        Arguments.of("a 100,000-digit number",
            (status + "{\"height\":" + "9".repeat(100_000) + ",\"nodeId\":\"n\"}}")
                .getBytes(UTF_8), "Number value length"),
        Arguments.of("an 8 MiB + 1 string", (status + "{\"height\":1,\"nodeId\":\""
            + "x".repeat(JsonCodec.DEFAULT_MAX_STRING_LENGTH + 1) + "\"}}").getBytes(UTF_8),
            "String value length"),
        Arguments.of("an empty body", new byte[0], "empty payload"),
        Arguments.of("trailing bytes",
            (status + "{\"height\":3,\"nodeId\":\"n\"}}x").getBytes(UTF_8), "trailing bytes"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("undecodableJson")
  void shouldCloseOnAnUndecodableJsonMessage(String what, byte[] payload, String expected)
      throws Exception {
    // Over the secure channel, the ones whose frame runs across records, and one that does not.
    assumeTrue(!secure() || payload.length > Records.MAX_PLAINTEXT || what.equals("not JSON"),
        "the codec refuses it the same way whatever carries it");
    try (Target<Object> target = jsonEcho(); RawPeer raw = RawPeer.handshaken(target.server,
        JsonCodec.DEFAULT_NAME)) {
      long start = System.nanoTime();
      raw.sendFrame(Wire.MESSAGE, payload);
      assertTrue(raw.closedByPeer(), "the server closes the connection");
      ConnectionClosedException closed = target.attackerCloseCause();
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      DecoderException e = assertInstanceOf(DecoderException.class, closed.getCause());
      System.out.printf("JSON %s (%d bytes): closed in %d ms: %s%n", what, payload.length, millis,
          e.getMessage().substring(0, Math.min(160, e.getMessage().length())));
      assertTrue(e.getMessage().contains(expected), e.getMessage());
      assertTrue(closed.getMessage().length() < 2048, "the reason does not echo the payload");
      assertFalse(causedBy(e, StackOverflowError.class), e.toString());
      assertTrue(target.server.errors.contains(e), "the error handler got it too");
      assertFalse(target.server.errors.stream().anyMatch(t -> causedBy(t, Error.class)),
          target.server.errors.toString());
      target.assertUndisturbed();
    }
  }

  // ---- 4. a peer that pipelines requests and never reads the replies -----------------------

  private static final int REQUESTS = 100_000;

  /**
   * What the flood did to the server's connection to the attacker; closing it closes the
   * attacker's socket (kept open until then, so the server sees no FIN during the checks).
   */
  private record Flood(RawPeer attacker, Connection<byte[]> attacked, long maxPendingSeen,
      int roundTrips, IOException writeError) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      attacker.close();
    }
  }

  /**
   * Connects a peer with a 16 KiB receive buffer that handshakes, then pipelines {@link
   * #REQUESTS} requests of {@code size} bytes and never reads again, while the honest peer
   * round-trips; returns when the attacker has written everything or been cut off.
   */
  private Flood flood(Target<byte[]> target, int size) throws Exception {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(16 * 1024);
    socket.connect(target.server.address, 5000);
    RawPeer raw = new RawPeer(socket);
    raw.handshake(target.server, "bytes"); // and never reads again
    Connection<byte[]> attacked = target.server.nextOpened();
    AtomicReference<IOException> writeError = new AtomicReference<>();
    Thread writer = new Thread(() -> {
      int perBatch = 1000;
      ByteBuffer batch = ByteBuffer.allocate(perBatch * (5 + size));
      for (int i = 0; i < perBatch; i++) {
        batch.putInt(1 + size).put(Wire.MESSAGE).put(Peers.bytes(size, i));
      }
      try {
        for (int sent = 0; sent < REQUESTS; sent += perBatch) {
          raw.sendRaw(batch.array());
        }
      } catch (IOException e) {
        writeError.set(e);
      }
    }, "pipelining-attacker");
    writer.setDaemon(true);
    long maxPending = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
    try {
      writer.start();
      for (int i = 0; i < 1_000_000 && writer.isAlive(); i++) {
        assertTrue(System.nanoTime() - deadline < 0, "the attacker's writes did not end in 40 s");
        target.roundTrip();
        maxPending = Math.max(maxPending, attacked.pendingBytes());
      }
      writer.join(TimeUnit.SECONDS.toMillis(10));
      assertFalse(writer.isAlive());
      if (writeError.get() == null) { // the server has everything, or will: wait for it
        Peers.await("the server read every request", 30,
            () -> attacked.stats().messagesIn() == REQUESTS || !attacked.isAlive());
      }
      return new Flood(raw, attacked, maxPending, target.roundTrips, writeError.get());
    } catch (Exception | AssertionError e) {
      raw.close();
      throw e;
    }
  }

  /** A byte echo server that counts how its replies' sends fail. */
  private Target<byte[]> countingEcho(Consumer<TransportConfig.Builder> settings,
      Consumer<NioTransport.Builder<byte[]>> nio, AtomicInteger backpressure,
      AtomicInteger otherFailures) throws Exception {
    return new Target<>(node("server", settings, nio, c -> c.onMessage((conn, m) ->
        conn.send(m).whenComplete((v, e) -> {
          if (e instanceof BackpressureException) {
            backpressure.incrementAndGet();
          } else if (e != null) {
            otherFailures.incrementAndGet();
          }
        }))), node("honest", b -> { }, t -> { }, c -> { }), i -> Peers.bytes(1000, i));
  }

  @Test
  void shouldRefuseRepliesToAPeerThatNeverReadsThemAtTheDefaultHardLimit() throws Exception {
    AtomicInteger backpressure = new AtomicInteger();
    AtomicInteger other = new AtomicInteger();
    try (Target<byte[]> target = countingEcho(b -> { }, t -> { }, backpressure, other);
        Flood f = flood(target, 1024)) {
      ConnectionStats s = f.attacked().stats();
      System.out.printf("pipelined %d x 1 KiB, default policy: %d replies refused, pending high"
          + " water %d (hard limit %d), %d honest round trips meanwhile%n", s.messagesIn(),
          backpressure.get(), s.pendingBytesHighWater(),
          TransportConfig.DEFAULT_OUTBOUND_HARD_LIMIT, f.roundTrips());
      assertNull(f.writeError(), "FAIL_SEND keeps reading the attacker");
      assertEquals(REQUESTS, s.messagesIn());
      assertTrue(f.attacked().isAlive(), "FAIL_SEND keeps the connection open");
      assertTrue(s.pendingBytesHighWater() <= TransportConfig.DEFAULT_OUTBOUND_HARD_LIMIT,
          "pending high water " + s.pendingBytesHighWater());
      assertTrue(f.maxPendingSeen() <= TransportConfig.DEFAULT_OUTBOUND_HARD_LIMIT);
      Peers.await("every refused reply reported", 10,
          () -> backpressure.get() == f.attacked().stats().sendsRefused());
      assertTrue(backpressure.get() > 0, "the hard limit was reached and replies refused");
      assertEquals(0, other.get(), "no reply failed for another reason");
      target.assertUndisturbed();
    }
  }

  @Test
  void shouldDisconnectAPeerThatNeverReadsItsRepliesUnderTheDisconnectPolicy() throws Exception {
    long hard = 1 << 20;
    AtomicInteger backpressure = new AtomicInteger();
    AtomicInteger other = new AtomicInteger();
    try (Target<byte[]> target = countingEcho(b -> b.maxFrameSize(64 * 1024)
        .highWaterMark(256 * 1024).lowWaterMark(128 * 1024).outboundHardLimit(hard)
        .slowPeerPolicy(SlowPeerPolicy.DISCONNECT), t -> t.sendBufferSize(64 * 1024),
        backpressure, other);
        Flood f = flood(target, 64)) {
      ConnectionClosedException cause = target.attackerCloseCause();
      ConnectionStats s = f.attacked().stats();
      System.out.printf("pipelined 64-byte requests, DISCONNECT at %d: closed after %d requests,"
          + " pending high water %d, %d honest round trips meanwhile, attacker saw %s%n", hard,
          s.messagesIn(), s.pendingBytesHighWater(), f.roundTrips(), f.writeError());
      BackpressureException e = assertInstanceOf(BackpressureException.class, cause.getCause());
      assertEquals(hard, e.hardLimit());
      assertTrue(target.server.errors.contains(e), "the error handler got it too");
      assertTrue(s.pendingBytesHighWater() <= hard, "pending high water "
          + s.pendingBytesHighWater());
      assertTrue(s.messagesIn() < REQUESTS, "disconnected before the flood ended");
      target.assertUndisturbed();
    }
  }

  // ---- 5. half-close and reset -------------------------------------------------------------

  /** Reads frames until the peer's end of stream; returns them (type byte first). */
  private static List<byte[]> framesUntilEndOfStream(RawPeer raw) throws IOException {
    List<byte[]> frames = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      try {
        frames.add(raw.readFrame());
      } catch (EOFException e) {
        return frames;
      }
    }
    throw new AssertionError("more than 100 frames after a half-close");
  }

  @Test
  void shouldAnswerARequestSentBeforeAHalfCloseWhenHandlersRunOnTheReadLoop() throws Exception {
    try (Target<byte[]> target = echo(b -> { }, t -> t.handlersOnReadLoop(true));
        RawPeer raw = RawPeer.handshaken(target.server, "bytes")) {
      raw.sendFrame(Wire.MESSAGE, "request".getBytes(UTF_8));
      raw.socket.shutdownOutput();
      List<byte[]> frames = framesUntilEndOfStream(raw);
      assertEquals(2, frames.size(), "the reply, then CLOSE");
      assertArrayEquals(("\0request").getBytes(UTF_8), frames.get(0));
      assertEquals(Wire.CLOSE, frames.get(1)[0]);
      assertTrue(target.attackerCloseCause().getMessage().contains("closed by the peer"));
      target.assertUndisturbed();
    }
  }

  private static final int RUNS = Integer.getInteger("hostile.halfCloseRuns", 50);

  /**
   * With handlers on an executor, the peer's FIN may be read before the handler replies. The
   * reply then fails with {@link ConnectionClosedException} (the connection is closing): it is
   * either on the wire before CLOSE or its future says why not, never lost silently.
   */
  @Test
  void shouldNeverLoseAReplyToARequestSentBeforeAHalfCloseSilently() throws Exception {
    BlockingQueue<Object> outcomes = new LinkedBlockingQueue<>();
    try (Target<byte[]> target = new Target<>(node("server", b -> { }, t -> { },
        c -> c.onMessage((conn, m) -> conn.send(m).whenComplete((v, e) -> {
          if (Arrays.equals(m, "request".getBytes(UTF_8))) { // not the honest peer's echoes
            outcomes.add(e == null ? "sent" : e);
          }
        }))), node("honest", b -> { }, t -> { }, c -> { }),
        i -> Peers.bytes(1000, i))) {
      int replied = 0;
      int refused = 0;
      for (int i = 0; i < RUNS; i++) {
        try (RawPeer raw = RawPeer.handshaken(target.server, "bytes")) {
          raw.sendFrame(Wire.MESSAGE, "request".getBytes(UTF_8));
          raw.socket.shutdownOutput();
          List<byte[]> frames = framesUntilEndOfStream(raw);
          Object outcome = outcomes.poll(10, TimeUnit.SECONDS);
          assertNotNull(outcome, "the handler ran and its send completed");
          assertFalse(frames.isEmpty(), "the server answers a half-close with CLOSE");
          assertEquals(Wire.CLOSE, frames.get(frames.size() - 1)[0], "CLOSE comes last");
          if ("sent".equals(outcome)) {
            replied++;
            assertEquals(2, frames.size(), "a reply that was sent reached the peer");
            assertArrayEquals(("\0request").getBytes(UTF_8), frames.get(0));
          } else {
            refused++;
            assertInstanceOf(ConnectionClosedException.class, outcome);
            assertEquals(1, frames.size(), "a refused reply is not on the wire");
          }
        }
      }
      System.out.printf("half-close after a request, %d runs: %d replies sent, %d refused with"
          + " ConnectionClosedException%n", RUNS, replied, refused);
      target.assertUndisturbed();
    }
  }

  @ParameterizedTest
  @EnumSource(Phase.class)
  void shouldCloseOnAResetInTheMiddleOfAFrame(Phase phase) throws Exception {
    plaintextHandshakeOnly(phase);
    try (Target<byte[]> target = echo(b -> { });
        RawPeer raw = phase.attacker(target, "bytes")) {
      raw.sendRaw(ByteBuffer.allocate(60)
          .putInt(phase == Phase.BEFORE_HANDSHAKE ? 100 : 1000)
          .put(phase == Phase.BEFORE_HANDSHAKE ? Wire.HANDSHAKE : Wire.MESSAGE).array());
      raw.socket.setSoLinger(true, 0);
      raw.close(); // RST
      Throwable cause = phase == Phase.BEFORE_HANDSHAKE ? target.handshakeFailure()
          : target.attackerCloseCause();
      assertTrue(causedBy(cause, IOException.class)
          || cause.getMessage().contains("middle of a frame"), cause.toString());
      target.assertUndisturbed();
    }
  }
}
