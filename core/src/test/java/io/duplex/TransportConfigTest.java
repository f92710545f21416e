package io.duplex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

class TransportConfigTest {

  @Test
  void shouldStartFromTheDocumentedDefaults() {
    TransportConfig c = TransportConfig.defaults();
    assertEquals(Duration.ofSeconds(5), c.sendTimeout());
    assertEquals(Duration.ofSeconds(60), c.receiveTimeout());
    assertEquals(Duration.ofSeconds(10), c.handshakeTimeout());
    assertEquals(Duration.ofSeconds(15), c.pingInterval());
    assertEquals(Duration.ofSeconds(10), c.pongTimeout());
    assertEquals(Duration.ofSeconds(5), c.closeTimeout());
    assertEquals(16 * 1024 * 1024, c.maxFrameSize());
    assertEquals(4 * 1024, c.maxHandshakeFrameSize());
    assertEquals(1024 * 1024, c.highWaterMark());
    assertEquals(512 * 1024, c.lowWaterMark());
    assertEquals(32L * 1024 * 1024, c.outboundHardLimit());
    assertEquals(SlowPeerPolicy.FAIL_SEND, c.slowPeerPolicy());
    assertEquals(1024, c.inboundQueueCapacity());
    assertEquals(32L * 1024 * 1024, c.inboundQueueMaxBytes());
    assertEquals("duplex", c.networkId());
    assertEquals(0, c.sendBufferSize());
    assertEquals(0, c.receiveBufferSize());
    assertTrue(c.tcpNoDelay());
    assertTrue(c.handlerExecutor().isEmpty());
    assertFalse(c.handlersOnReadLoop());
    assertEquals(16, c.nodeId().length());
  }

  @Test
  void shouldRefuseNonPositiveTimeoutsNamingTheSettingAndValue() {
    TransportConfig.Builder b = TransportConfig.builder();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> b.sendTimeout(Duration.ofSeconds(-1)));
    assertEquals("sendTimeout <= 0: PT-1S", e.getMessage());
    assertEquals("receiveTimeout <= 0: PT0S", assertThrows(IllegalArgumentException.class,
        () -> b.receiveTimeout(Duration.ZERO)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> b.handshakeTimeout(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> b.pingInterval(Duration.ofMillis(-5)));
    assertThrows(IllegalArgumentException.class, () -> b.pongTimeout(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> b.closeTimeout(Duration.ZERO));
    assertThrows(NullPointerException.class, () -> b.sendTimeout(null));
    assertEquals("maxFrameSize <= 0: 0", assertThrows(IllegalArgumentException.class,
        () -> b.maxFrameSize(0)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> b.inboundQueueCapacity(0));
    assertThrows(IllegalArgumentException.class, () -> b.sendBufferSize(-1));
    assertThrows(IllegalArgumentException.class, () -> b.maxHandshakeFrameSize(100));
  }

  @Test
  void shouldRefuseSettingsThatContradictEachOther() {
    IllegalArgumentException marks = assertThrows(IllegalArgumentException.class,
        () -> TransportConfig.builder().lowWaterMark(2000).highWaterMark(1000).build());
    assertEquals("lowWaterMark > highWaterMark: 2000 > 1000", marks.getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> TransportConfig.builder().highWaterMark(64L << 20).build()).getMessage()
        .startsWith("highWaterMark > outboundHardLimit"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> TransportConfig.builder().outboundHardLimit(16 << 20).build()).getMessage()
        .contains("a frame of the max size must fit"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> TransportConfig.builder().maxFrameSize(2000).build()).getMessage()
        .startsWith("maxHandshakeFrameSize > maxFrameSize"));
  }

  @Test
  void shouldCheckTheNetworkId() {
    assertThrows(IllegalArgumentException.class, () -> TransportConfig.builder().networkId(""));
    assertThrows(IllegalArgumentException.class,
        () -> TransportConfig.builder().networkId("x".repeat(256)));
    assertEquals("é".repeat(127), TransportConfig.builder().networkId("é".repeat(127)).build()
        .networkId());
  }

  @Test
  void shouldKeepEverySettingThroughToBuilder() {
    Executor direct = Runnable::run;
    TransportConfig c = TransportConfig.builder()
        .nodeId(NodeId.of("n")).networkId("net").sendTimeout(Duration.ofSeconds(1))
        .receiveTimeout(Duration.ofSeconds(2)).handshakeTimeout(Duration.ofSeconds(3))
        .pingInterval(Duration.ofSeconds(4)).pongTimeout(Duration.ofSeconds(6))
        .closeTimeout(Duration.ofSeconds(7)).maxFrameSize(1 << 20)
        .maxHandshakeFrameSize(2048).highWaterMark(1000).lowWaterMark(10)
        .outboundHardLimit(2 << 20).slowPeerPolicy(SlowPeerPolicy.DISCONNECT)
        .inboundQueueCapacity(3).inboundQueueMaxBytes(4).sendBufferSize(5)
        .receiveBufferSize(6).tcpNoDelay(false).handlerExecutor(direct)
        .handlersOnReadLoop(true).build();
    assertEquals(c.toString(), c.toBuilder().build().toString());
    assertEquals(direct, c.toBuilder().build().handlerExecutor().orElseThrow());
  }

  @Test
  void shouldGiveEachConfigWithoutANodeIdARandomOne() {
    assertNotEquals(TransportConfig.defaults().nodeId(), TransportConfig.defaults().nodeId());
  }
}
