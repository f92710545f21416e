package io.duplex.nio;

import static io.duplex.nio.Peers.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.Encoded;
import io.duplex.SlowPeerPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** An operator sees duplex in JDK Mission Control: each event is emitted with its fields. */
@Timeout(60)
class JfrEventsTest {
  private static final String[] EVENTS = {"io.duplex.ConnectionOpened",
      "io.duplex.ConnectionClosed", "io.duplex.HandshakeFailed", "io.duplex.SendRefused",
      "io.duplex.FrameDropped", "io.duplex.ReadPaused"};

  @Test
  void shouldRecordConnectionsRefusalsDropsAndPauses(@TempDir Path dir) throws Exception {
    List<RecordedEvent> events;
    int serverPort;
    try (Recording recording = new Recording()) {
      for (String name : EVENTS) {
        recording.enable(name);
      }
      recording.start();
      try (Peers.Node server = node("server", b -> b.inboundQueueCapacity(1)).listen();
          Peers.Node client = node("client", b -> b.highWaterMark(64 * 1024)
              .lowWaterMark(0).outboundHardLimit(128 * 1024).maxFrameSize(64 * 1024)
              .slowPeerPolicy(SlowPeerPolicy.FAIL_SEND));
          Peers.Node stranger = node("stranger", b -> b.networkId("elsewhere"))) {
        Connection<byte[]> c = client.connect(server);
        serverPort = server.address.getPort();
        server.nextOpened();
        // The server never takes a message: its reading pauses, then the client's queue fills.
        int refused = 0;
        for (int i = 0; i < 10_000 && refused == 0; i++) {
          try {
            c.send(new byte[16 * 1024]).getNow(null);
          } catch (java.util.concurrent.CompletionException e) {
            refused++;
          }
        }
        assertEquals(1, refused, "the hard limit refused a send");
        Encoded<byte[]> stale = client.transport.encode(new byte[8]).withDeadline(Duration.ZERO);
        ExecutionException dropped = org.junit.jupiter.api.Assertions.assertThrows(
            ExecutionException.class, () -> c.send(stale).get(10, TimeUnit.SECONDS));
        assertTrue(dropped.getCause() instanceof io.duplex.FrameDroppedException,
            dropped.toString());
        org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
            () -> stranger.connect(server));
        c.abort();
      }
      recording.stop();
      Path file = dir.resolve("duplex.jfr");
      recording.dump(file);
      events = RecordingFile.readAllEvents(file);
      assertTrue(Files.size(file) > 0);
    }
    String names = events.stream().map(e -> e.getEventType().getName()).distinct().sorted()
        .collect(Collectors.joining(", "));
    for (String name : EVENTS) {
      assertTrue(events.stream().anyMatch(e -> e.getEventType().getName().equals(name)),
          name + " was not recorded; recorded: " + names);
    }
    RecordedEvent opened = first(events, "io.duplex.ConnectionOpened", "outbound", true);
    assertEquals("server", opened.getString("peer"));
    assertTrue(opened.getString("remote").startsWith("127.0.0.1:"), opened.getString("remote"));
    RecordedEvent closed = events.stream()
        .filter(e -> e.getEventType().getName().equals("io.duplex.ConnectionClosed"))
        .filter(e -> e.getString("remote").equals("127.0.0.1:" + serverPort))
        .findFirst().orElseThrow();
    assertEquals("server", closed.getString("peer"));
    assertTrue(closed.getString("cause").contains("aborted"), closed.getString("cause"));
    assertEquals("", closed.getString("error"), "an abort is not an error");
    assertTrue(closed.getLong("bytesOut") > 128 * 1024, "bytes out " + closed.getLong("bytesOut"));
    RecordedEvent failed = first(events, "io.duplex.HandshakeFailed", "outbound", true);
    assertTrue(failed.getString("cause").contains("network id"), failed.getString("cause"));
    assertEquals("io.duplex.HandshakeException", failed.getString("error"));
    RecordedEvent refused = first(events, "io.duplex.SendRefused", null, null);
    assertEquals("FAIL_SEND", refused.getString("policy"));
    assertEquals(16 * 1024 + 5, refused.getLong("frame"));
    assertEquals("DEADLINE", first(events, "io.duplex.FrameDropped", null, null)
        .getString("reason"));
    assertEquals("INBOUND_FULL", first(events, "io.duplex.ReadPaused", null, null)
        .getString("reason"));
  }

  private static RecordedEvent first(List<RecordedEvent> events, String name, String field,
      Object value) {
    return events.stream().filter(e -> e.getEventType().getName().equals(name))
        .filter(e -> field == null || value.equals(e.getValue(field)))
        .findFirst().orElseThrow(() -> new AssertionError("no " + name + " with " + field
            + " = " + value));
  }
}
