package io.duplex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.TransportConfig.Builder;
import io.duplex.security.CipherSuite;
import io.duplex.security.Identity;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class TransportConfigTest {
  private static final int MIB = 1024 * 1024;

  /** A duration setting: its name, setter, getter and documented default. */
  private record DurationSetting(String name, BiFunction<Builder, Duration, Builder> setter,
      Function<TransportConfig, Duration> getter, Duration documented) {}

  private static final List<DurationSetting> DURATIONS = List.of(
      new DurationSetting("sendTimeout", Builder::sendTimeout, TransportConfig::sendTimeout,
          Duration.ofSeconds(5)),
      new DurationSetting("receiveTimeout", Builder::receiveTimeout,
          TransportConfig::receiveTimeout, Duration.ofSeconds(60)),
      new DurationSetting("handshakeTimeout", Builder::handshakeTimeout,
          TransportConfig::handshakeTimeout, Duration.ofSeconds(10)),
      new DurationSetting("pingInterval", Builder::pingInterval, TransportConfig::pingInterval,
          Duration.ofSeconds(15)),
      new DurationSetting("pongTimeout", Builder::pongTimeout, TransportConfig::pongTimeout,
          Duration.ofSeconds(10)),
      new DurationSetting("closeTimeout", Builder::closeTimeout, TransportConfig::closeTimeout,
          Duration.ofSeconds(5)),
      new DurationSetting("frameReadTimeout", Builder::frameReadTimeout,
          TransportConfig::frameReadTimeout, Duration.ofSeconds(30)));

  private static IllegalArgumentException refused(Runnable setting) {
    return assertThrows(IllegalArgumentException.class, setting::run);
  }

  private static String buildFails(Builder builder) {
    return assertThrows(IllegalArgumentException.class, builder::build).getMessage();
  }

  // ---- defaults --------------------------------------------------------------------------------

  @Test
  void shouldDocumentEachDefaultInItsConstant() {
    assertEquals("duplex", TransportConfig.DEFAULT_NETWORK_ID);
    assertEquals(Duration.ofSeconds(5), TransportConfig.DEFAULT_SEND_TIMEOUT);
    assertEquals(Duration.ofSeconds(60), TransportConfig.DEFAULT_RECEIVE_TIMEOUT);
    assertEquals(Duration.ofSeconds(10), TransportConfig.DEFAULT_HANDSHAKE_TIMEOUT);
    assertEquals(Duration.ofSeconds(15), TransportConfig.DEFAULT_PING_INTERVAL);
    assertEquals(Duration.ofSeconds(10), TransportConfig.DEFAULT_PONG_TIMEOUT);
    assertEquals(Duration.ofSeconds(5), TransportConfig.DEFAULT_CLOSE_TIMEOUT);
    assertEquals(Duration.ofSeconds(30), TransportConfig.DEFAULT_FRAME_READ_TIMEOUT);
    assertEquals(1024, TransportConfig.DEFAULT_MAX_INBOUND_CONNECTIONS);
    assertEquals(16, TransportConfig.DEFAULT_MAX_INBOUND_CONNECTIONS_PER_ADDRESS);
    assertEquals(16 * MIB, TransportConfig.DEFAULT_MAX_FRAME_SIZE);
    assertEquals(4 * 1024, TransportConfig.DEFAULT_MAX_HANDSHAKE_FRAME_SIZE);
    assertEquals(1024, TransportConfig.MIN_HANDSHAKE_FRAME_SIZE);
    assertEquals(MIB, TransportConfig.DEFAULT_HIGH_WATER_MARK);
    assertEquals(512 * 1024, TransportConfig.DEFAULT_LOW_WATER_MARK);
    assertEquals(32L * MIB, TransportConfig.DEFAULT_OUTBOUND_HARD_LIMIT);
    assertEquals(1024, TransportConfig.DEFAULT_INBOUND_QUEUE_CAPACITY);
    assertEquals(32L * MIB, TransportConfig.DEFAULT_INBOUND_QUEUE_MAX_BYTES);
  }

  @Test
  void shouldStartEverySettingAtItsDocumentedDefault() {
    TransportConfig c = TransportConfig.defaults();
    for (DurationSetting d : DURATIONS) {
      assertEquals(d.documented(), d.getter().apply(c), d.name());
    }
    assertEquals(TransportConfig.DEFAULT_NETWORK_ID, c.networkId());
    assertEquals(TransportConfig.DEFAULT_MAX_FRAME_SIZE, c.maxFrameSize());
    assertEquals(TransportConfig.DEFAULT_MAX_HANDSHAKE_FRAME_SIZE, c.maxHandshakeFrameSize());
    assertEquals(TransportConfig.DEFAULT_HIGH_WATER_MARK, c.highWaterMark());
    assertEquals(TransportConfig.DEFAULT_LOW_WATER_MARK, c.lowWaterMark());
    assertEquals(TransportConfig.DEFAULT_OUTBOUND_HARD_LIMIT, c.outboundHardLimit());
    assertEquals(SlowPeerPolicy.FAIL_SEND, c.slowPeerPolicy());
    assertEquals(TransportConfig.DEFAULT_INBOUND_QUEUE_CAPACITY, c.inboundQueueCapacity());
    assertEquals(TransportConfig.DEFAULT_MAX_INBOUND_CONNECTIONS, c.maxInboundConnections());
    assertEquals(TransportConfig.DEFAULT_MAX_INBOUND_CONNECTIONS_PER_ADDRESS,
        c.maxInboundConnectionsPerAddress());
    assertEquals(TransportConfig.DEFAULT_INBOUND_QUEUE_MAX_BYTES, c.inboundQueueMaxBytes());
    assertTrue(c.handlerExecutor().isEmpty());
    assertFalse(c.insecurePlaintext(), "secure by default");
    assertEquals(TransportConfig.DEFAULT_CIPHER_SUITE, c.cipherSuite());
    assertTrue(c.authorizer().isEmpty());
    assertEquals(c.identity().orElseThrow().nodeId(), c.nodeId(), "the id is the key's");
    assertEquals(20, c.nodeId().length());
    assertEquals(16, TransportConfig.builder().insecurePlaintext().build().nodeId().length(),
        "in plaintext mode, a random 16-byte id");
  }

  @Test
  void shouldRefuseANamedIdOrAnAuthorizerThatTheModeCannotProve() {
    IllegalArgumentException named = refused(
        () -> TransportConfig.builder().nodeId(NodeId.of("n1")).build());
    assertTrue(named.getMessage().contains("identity(") && named.getMessage()
        .contains("insecurePlaintext()"), named.getMessage());
    assertTrue(refused(() -> TransportConfig.builder().insecurePlaintext()
        .identity(Identity.generate()).build()).getMessage().contains("proves no identity"));
    assertTrue(refused(() -> TransportConfig.builder().insecurePlaintext()
        .authorizer((peer, inbound) -> true).build()).getMessage().contains("not authenticated"));
    Identity id = Identity.generate();
    TransportConfig c = TransportConfig.builder().identity(id).cipherSuite(
        CipherSuite.AES_256_GCM).build();
    assertEquals(id.nodeId(), c.toBuilder().build().nodeId(), "toBuilder keeps the identity");
    assertEquals(CipherSuite.AES_256_GCM, c.toBuilder().build().cipherSuite());
    assertEquals(NodeId.of("n1"), TransportConfig.builder().insecurePlaintext()
        .nodeId(NodeId.of("n1")).build().toBuilder().build().nodeId());
    assertFalse(c.toString().contains(java.util.HexFormat.of().formatHex(id.publicKey())),
        "toString shows the node id, no key");
  }

  @Test
  void shouldGiveEachBuildWithoutANodeIdAnotherRandomOne() {
    Builder builder = TransportConfig.builder();
    NodeId first = builder.build().nodeId();
    assertNotEquals(first, builder.build().nodeId(), "even from the same builder");
    assertNotEquals(TransportConfig.defaults().nodeId(), TransportConfig.defaults().nodeId());
  }

  // ---- one setting at a time -------------------------------------------------------------------

  @Test
  void shouldRefuseANegativeOrZeroTimeoutNamingTheSettingAndTheValue() {
    for (DurationSetting d : DURATIONS) {
      Builder b = TransportConfig.builder();
      assertEquals(d.name() + " <= 0: PT-1S",
          refused(() -> d.setter().apply(b, Duration.ofSeconds(-1))).getMessage());
      assertEquals(d.name() + " <= 0: PT0S",
          refused(() -> d.setter().apply(b, Duration.ZERO)).getMessage());
      assertEquals(d.name() + " <= 0: PT-0.000000001S",
          refused(() -> d.setter().apply(b, Duration.ofNanos(-1))).getMessage());
      NullPointerException npe = assertThrows(NullPointerException.class,
          () -> d.setter().apply(b, null));
      assertEquals(d.name(), npe.getMessage());
      assertEquals(d.documented(), d.getter().apply(b.build()), d.name() + " unchanged");
      assertEquals(Duration.ofNanos(1),
          d.getter().apply(d.setter().apply(b, Duration.ofNanos(1)).build()), d.name());
    }
  }

  @Test
  void shouldRefuseOutOfRangeSizesNamingTheSettingAndTheValue() {
    Builder b = TransportConfig.builder();
    assertEquals("maxFrameSize <= 0: 0", refused(() -> b.maxFrameSize(0)).getMessage());
    assertEquals("maxFrameSize <= 0: -5", refused(() -> b.maxFrameSize(-5)).getMessage());
    assertEquals("maxHandshakeFrameSize < 1024: 1023",
        refused(() -> b.maxHandshakeFrameSize(1023)).getMessage());
    assertEquals("highWaterMark <= 0: 0", refused(() -> b.highWaterMark(0)).getMessage());
    assertEquals("lowWaterMark < 0: -1", refused(() -> b.lowWaterMark(-1)).getMessage());
    assertEquals("outboundHardLimit <= 0: 0",
        refused(() -> b.outboundHardLimit(0)).getMessage());
    assertEquals("inboundQueueCapacity <= 0: 0",
        refused(() -> b.inboundQueueCapacity(0)).getMessage());
    assertEquals("inboundQueueMaxBytes <= 0: -1",
        refused(() -> b.inboundQueueMaxBytes(-1)).getMessage());
    assertEquals("maxInboundConnections <= 0: 0",
        refused(() -> b.maxInboundConnections(0)).getMessage());
    assertEquals("maxInboundConnectionsPerAddress <= 0: -1",
        refused(() -> b.maxInboundConnectionsPerAddress(-1)).getMessage());
    Identity id = Identity.generate();
    assertEquals(TransportConfig.builder().identity(id).build().toString(),
        b.identity(id).build().toString(), "refused values left every setting as it was");
  }

  @Test
  void shouldAcceptTheSmallestValueOfEachSize() {
    TransportConfig c = TransportConfig.builder()
        .lowWaterMark(0).inboundQueueCapacity(1)
        .maxInboundConnections(1).maxInboundConnectionsPerAddress(1).inboundQueueMaxBytes(1)
        .maxHandshakeFrameSize(1024).maxFrameSize(1).highWaterMark(1).outboundHardLimit(5).build();
    assertEquals(0, c.lowWaterMark());
    assertEquals(1024, c.maxHandshakeFrameSize());
    assertEquals(1, c.maxFrameSize());
    assertEquals(5, c.outboundHardLimit());
    assertEquals(1, c.inboundQueueCapacity());
    assertEquals(1, c.maxInboundConnections());
    assertEquals(1, c.maxInboundConnectionsPerAddress());
  }

  @Test
  void shouldRefuseNullsNamingTheSetting() {
    Builder b = TransportConfig.builder();
    assertEquals("nodeId", assertThrows(NullPointerException.class, () -> b.nodeId(null))
        .getMessage());
    assertEquals("networkId", assertThrows(NullPointerException.class, () -> b.networkId(null))
        .getMessage());
    assertEquals("slowPeerPolicy", assertThrows(NullPointerException.class,
        () -> b.slowPeerPolicy(null)).getMessage());
    assertEquals("handlerExecutor", assertThrows(NullPointerException.class,
        () -> b.handlerExecutor(null)).getMessage());
  }

  @Test
  void shouldRefuseANetworkIdThatIsEmptyOrOver255BytesOfUtf8() {
    Builder b = TransportConfig.builder();
    assertEquals("networkId must be 1 to 255 bytes of UTF-8: 0",
        refused(() -> b.networkId("")).getMessage());
    assertEquals("networkId must be 1 to 255 bytes of UTF-8: 256",
        refused(() -> b.networkId("x".repeat(256))).getMessage());
    assertEquals("networkId must be 1 to 255 bytes of UTF-8: 256",
        refused(() -> b.networkId("é".repeat(128))).getMessage(), "bytes, not characters");
    assertEquals("x".repeat(255), b.networkId("x".repeat(255)).build().networkId());
    assertEquals("é".repeat(127) + "x", b.networkId("é".repeat(127) + "x").build().networkId());
    assertEquals("n", b.networkId("n").build().networkId());
  }

  // ---- settings that must fit together ---------------------------------------------------------

  @Test
  void shouldRefuseALowWaterMarkAboveTheHighOneNamingBoth() {
    assertEquals("lowWaterMark > highWaterMark: 2000 > 1000",
        buildFails(TransportConfig.builder().lowWaterMark(2000).highWaterMark(1000)));
    assertEquals(1000, TransportConfig.builder().lowWaterMark(1000).highWaterMark(1000).build()
        .lowWaterMark(), "equal marks are allowed");
  }

  @Test
  void shouldRefuseAHighWaterMarkAboveTheHardLimitNamingBoth() {
    assertEquals("highWaterMark > outboundHardLimit: " + (64L * MIB) + " > " + (32L * MIB),
        buildFails(TransportConfig.builder().highWaterMark(64L * MIB)));
    assertEquals(32L * MIB, TransportConfig.builder().highWaterMark(32L * MIB).build()
        .highWaterMark(), "a high mark at the hard limit is allowed");
  }

  @Test
  void shouldRefuseAHardLimitThatCannotHoldOneFrameOfTheMaxSize() {
    String message = buildFails(TransportConfig.builder().highWaterMark(1000)
        .lowWaterMark(10).outboundHardLimit(16L * MIB + 3));
    assertTrue(message.startsWith("outboundHardLimit < maxFrameSize + 4: " + (16 * MIB + 3)
        + " < " + (16 * MIB + 4)), message);
    assertTrue(message.contains("a frame of the max size must fit"), message);
    assertEquals(16L * MIB + 4, TransportConfig.builder().highWaterMark(1000).lowWaterMark(10)
        .outboundHardLimit(16L * MIB + 4).build().outboundHardLimit());
    assertTrue(buildFails(TransportConfig.builder().maxFrameSize(Integer.MAX_VALUE))
        .contains(" < " + (Integer.MAX_VALUE + 4L)), "maxFrameSize + 4 does not overflow");
  }

  @Test
  void shouldLowerTheHandshakeLimitWithTheFrameLimitWhenItIsNotSet() {
    assertEquals(1024, TransportConfig.builder().maxFrameSize(1024).build()
        .maxHandshakeFrameSize(), "failed before with a message naming maxHandshakeFrameSize");
    assertEquals(2000, TransportConfig.builder().maxFrameSize(2000).build()
        .maxHandshakeFrameSize());
    assertEquals(4096, TransportConfig.builder().maxFrameSize(4096).build()
        .maxHandshakeFrameSize());
    assertEquals(4096, TransportConfig.builder().maxFrameSize(4097).build()
        .maxHandshakeFrameSize(), "never above the 4 KiB default");
    assertEquals(1024, TransportConfig.builder().maxFrameSize(1023).build()
        .maxHandshakeFrameSize(), "never below the protocol's minimum");
    TransportConfig smallest = TransportConfig.builder().maxFrameSize(1).build();
    assertEquals(1, smallest.maxFrameSize());
    assertEquals(1024, smallest.maxHandshakeFrameSize());
  }

  @Test
  void shouldRefuseAHandshakeLimitSetAboveTheFrameLimitSayingWhatToChange() {
    assertEquals("maxHandshakeFrameSize > maxFrameSize: 8192 > 4096; lower"
        + " maxHandshakeFrameSize to at most 4096, or leave it unset and it follows maxFrameSize,"
        + " or raise maxFrameSize to 8192 or more",
        buildFails(TransportConfig.builder().maxHandshakeFrameSize(8192).maxFrameSize(4096)));
    assertEquals("maxHandshakeFrameSize > 1024 with maxFrameSize < 1024: 2048, 500; lower"
        + " maxHandshakeFrameSize to at most 1024, or leave it unset and it follows maxFrameSize",
        buildFails(TransportConfig.builder().maxHandshakeFrameSize(2048).maxFrameSize(500)));
    assertEquals(2000, TransportConfig.builder().maxFrameSize(2000).maxHandshakeFrameSize(2000)
        .build().maxHandshakeFrameSize(), "equal limits are allowed");
    assertEquals(1024, TransportConfig.builder().maxFrameSize(500).maxHandshakeFrameSize(1024)
        .build().maxHandshakeFrameSize(), "the minimum is allowed under any frame limit");
    assertEquals(8192, TransportConfig.builder().maxHandshakeFrameSize(8192).build()
        .maxHandshakeFrameSize(), "set alone, under the default frame limit");
  }

  @Test
  void shouldKeepTheHandshakeLimitFollowingTheFrameLimitThroughToBuilder() {
    TransportConfig following = TransportConfig.builder().maxFrameSize(MIB).build();
    assertEquals(2000, following.toBuilder().maxFrameSize(2000).build().maxHandshakeFrameSize(),
        "not set, so it still follows");
    TransportConfig set = TransportConfig.builder().maxHandshakeFrameSize(2048).build();
    assertEquals(2048, set.toBuilder().maxFrameSize(MIB).build().maxHandshakeFrameSize(),
        "set, so it stays");
    assertEquals("maxHandshakeFrameSize > maxFrameSize: 2048 > 2000; lower"
        + " maxHandshakeFrameSize to at most 2000, or leave it unset and it follows maxFrameSize,"
        + " or raise maxFrameSize to 2048 or more",
        buildFails(set.toBuilder().maxFrameSize(2000)));
  }

  // ---- toBuilder -------------------------------------------------------------------------------

  @Test
  void shouldKeepEverySettingThroughToBuilder() {
    Executor direct = Runnable::run;
    Builder changed = TransportConfig.builder()
        .insecurePlaintext().nodeId(NodeId.of("n")).networkId("net")
        .maxFrameSize(MIB).maxHandshakeFrameSize(2048).highWaterMark(1000).lowWaterMark(10)
        .outboundHardLimit(2 * MIB).slowPeerPolicy(SlowPeerPolicy.DISCONNECT)
        .inboundQueueCapacity(3).inboundQueueMaxBytes(4).handlerExecutor(direct)
        .maxInboundConnections(7).maxInboundConnectionsPerAddress(8);
    for (int i = 0; i < DURATIONS.size(); i++) {
      DURATIONS.get(i).setter().apply(changed, Duration.ofMillis(100 + i));
    }
    TransportConfig c = changed.build();
    TransportConfig copy = c.toBuilder().build();
    TransportConfig defaults = TransportConfig.defaults();

    Map<String, Function<TransportConfig, Object>> getters = new LinkedHashMap<>();
    getters.put("nodeId", TransportConfig::nodeId);
    getters.put("networkId", TransportConfig::networkId);
    for (DurationSetting d : DURATIONS) {
      getters.put(d.name(), d.getter()::apply);
    }
    getters.put("maxFrameSize", TransportConfig::maxFrameSize);
    getters.put("maxHandshakeFrameSize", TransportConfig::maxHandshakeFrameSize);
    getters.put("highWaterMark", TransportConfig::highWaterMark);
    getters.put("lowWaterMark", TransportConfig::lowWaterMark);
    getters.put("outboundHardLimit", TransportConfig::outboundHardLimit);
    getters.put("slowPeerPolicy", TransportConfig::slowPeerPolicy);
    getters.put("inboundQueueCapacity", TransportConfig::inboundQueueCapacity);
    getters.put("inboundQueueMaxBytes", TransportConfig::inboundQueueMaxBytes);
    getters.put("handlerExecutor", TransportConfig::handlerExecutor);
    getters.put("maxInboundConnections", TransportConfig::maxInboundConnections);
    getters.put("maxInboundConnectionsPerAddress",
        TransportConfig::maxInboundConnectionsPerAddress);
    assertEquals(20, getters.size(), "every setting");
    for (Map.Entry<String, Function<TransportConfig, Object>> g : getters.entrySet()) {
      Object value = g.getValue().apply(c);
      assertNotEquals(g.getValue().apply(defaults), value, g.getKey() + " is not its default");
      assertEquals(value, g.getValue().apply(copy), g.getKey() + " kept by toBuilder");
    }
    assertSame(direct, copy.handlerExecutor().orElseThrow());
    assertEquals(c.toString(), copy.toString());
  }

  @Test
  void shouldLeaveTheOriginalAloneWhenTheCopyChanges() {
    TransportConfig c = TransportConfig.builder().networkId("a").build();
    TransportConfig d = c.toBuilder().networkId("b").sendTimeout(Duration.ofSeconds(1)).build();
    assertEquals("a", c.networkId());
    assertEquals(Duration.ofSeconds(5), c.sendTimeout());
    assertEquals("b", d.networkId());
    assertEquals(c.nodeId(), d.nodeId(), "toBuilder keeps the (random) node id");
  }

  // ---- lanes -----------------------------------------------------------------------------------

  private static Lane[] lanes(int n, int nameLength) {
    Lane[] lanes = new Lane[n];
    for (int i = 0; i < n; i++) {
      String name = String.format("%0" + nameLength + "d", i);
      lanes[i] = Lane.builder(name).build();
    }
    return lanes;
  }

  @Test
  void shouldNumberLanesAndRefuseOneItDoesNotHave() {
    Lane votes = Lane.builder("votes").build();
    TransportConfig c = TransportConfig.builder().lanes(votes).build();
    assertEquals(0, c.laneNumber(Lane.DEFAULT));
    assertEquals(1, c.laneNumber(votes));
    assertEquals(1, c.laneNumber(Lane.builder("votes").weight(7).build()), "found by name");
    assertTrue(refused(() -> c.laneNumber(Lane.builder("blocks").build())).getMessage()
        .contains("default, votes"));
    assertTrue(refused(() -> TransportConfig.builder().lanes(votes, votes)).getMessage()
        .contains("twice"));
    assertTrue(refused(() -> TransportConfig.builder().lanes(lanes(16, 2))).getMessage()
        .contains("at most 15"));
  }

  @Test
  void shouldRefuseAHandshakeLimitTheLaneTableDoesNotFitIn() {
    // 15 lanes of 32-byte names: the largest table duplex sends, 636 bytes more than the
    // largest handshake message without one (712 bytes).
    Builder big = TransportConfig.builder().lanes(lanes(15, 32)).maxHandshakeFrameSize(1024);
    assertTrue(buildFails(big).contains("maxHandshakeFrameSize 1024 is below 1348"),
        buildFails(big));
    TransportConfig fits = big.maxHandshakeFrameSize(1348).build();
    assertEquals(15, fits.lanes().size());
    TransportConfig.builder().lanes(lanes(15, 32)).build(); // the default, 4,096, fits it
  }
}
