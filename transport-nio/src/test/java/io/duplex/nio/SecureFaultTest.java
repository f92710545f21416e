package io.duplex.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.TransportConfig;
import io.duplex.nio.FaultProxy.Way;
import io.duplex.security.RecordException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every {@link FaultTest} over the secure channel: delay, throttle, black hole, silence, a close
 * that cannot drain, a handshake that cannot cross, resets and random faults, with the same
 * promises. Only the truncation test counts plaintext bytes; here it cuts the stream inside the
 * next record (a {@link RecordException} TRUNCATED) or between two records (an orderly end).
 */
@Timeout(60)
class SecureFaultTest extends FaultTest {

  @Override
  Peers.Node node(String name, Consumer<TransportConfig.Builder> settings,
      Consumer<NioTransport.Builder<byte[]>> nio, Consumer<Connection<byte[]>> onOpen) {
    return new Peers.Node(name, settings, nio, onOpen, true);
  }

  @Override
  @ParameterizedTest
  @EnumSource(Cut.class)
  void shouldDeliverTheWholeFramesBeforeATruncationAndNameAMidFrameEnd(Cut where)
      throws Exception {
    for (Way way : Way.values()) {
      int size = 1000;
      Path path = new Path(b -> { }, b -> { });
      try (path) {
        Connection<byte[]> sender = path.side(way);
        Connection<byte[]> receiver = path.otherSide(way);
        Receiver at = new Receiver(receiver, size);
        sender.send(message(0, size)).get(10, TimeUnit.SECONDS);
        Peers.await("the first message arrives", 10, () -> at.count() == 1);
        // The link has forwarded every byte of the first record: the next one starts here.
        path.link.faults(way).truncateAfter(where == Cut.MID_FRAME ? 10 : 0);
        List<CompletableFuture<Void>> sends = new ArrayList<>();
        for (int i = 1; i < 10; i++) {
          sends.add(sender.send(message(i, size)));
        }
        Outcome sent = settle(sends);
        ConnectionClosedException end = at.awaitEnd();
        at.assertExactly(1);
        receiver.closeFuture().get(10, TimeUnit.SECONDS);
        if (where == Cut.MID_FRAME) {
          RecordException e = assertInstanceOf(RecordException.class, end.getCause(),
              end.toString());
          assertEquals(RecordException.Reason.TRUNCATED, e.reason(), e.getMessage());
          assertInstanceOf(java.io.EOFException.class, e.getCause(), "the end of the stream,"
              + " as a frame cut short in plaintext says it");
        } else {
          assertNull(end.getCause(), "a FIN between records is an orderly close: " + end);
        }
        sender.closeFuture().get(10, TimeUnit.SECONDS); // the receiver's FIN reaches it
        System.out.println("SecureFaultTest truncate " + way + " " + where + ": " + sent
            + "; receiver closed: " + end.getMessage());
      }
      path.assertEachConnectionClosedOnce();
    }
  }
}
