package io.duplex.nio;

import static io.duplex.nio.Peers.node;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.duplex.Connection;
import io.duplex.internal.Wire;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code readPauses} counts the times reading paused on a full inbound queue, not messages. */
@Timeout(30)
class ReadPauseTest {

  @Test
  void shouldCountOnePauseWhenOneReadOverfillsTheInboundQueue() throws Exception {
    try (Peers.Node server = node("server", b -> b.inboundQueueCapacity(4)).listen();
        RawPeer raw = RawPeer.handshaken(server, "bytes")) {
      Connection<byte[]> s = server.transport.connections().get(0);
      // 200 small messages in one write: one read decodes them all, and the queue is full
      // after the fourth. Nobody takes a message, so reading stays paused from then on.
      ByteBuffer burst = ByteBuffer.allocate(200 * (Wire.HEADER_SIZE + 4));
      for (int i = 0; i < 200; i++) {
        burst.putInt(Wire.TYPE_SIZE + 4).put(Wire.MESSAGE).putInt(i);
      }
      raw.sendRaw(burst.array());
      Peers.await("the server to decode the burst (" + s.stats() + ")", 10,
          () -> s.stats().messagesIn() == 200);

      assertEquals(1, s.stats().readPauses(), "reading paused once, for one full queue: "
          + s.stats());
    }
  }
}
