package io.duplex.nio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.duplex.ConnectionListener;
import io.duplex.NodeId;
import io.duplex.TransportConfig;
import io.duplex.codec.ByteArrayCodec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An accepted socket that fails after the listener admitted it (in {@code onAccept}) but before
 * a connection exists: the listener must still hear how it ended, or whatever it counted in
 * {@code onAccept} (a PeerNode's inbound and per-address counts) stays taken for good.
 */
@Timeout(30)
class AcceptFailureTest {

  @Test
  void shouldTellTheListenerWhenAnAdmittedSocketFailsBeforeItsConnectionExists()
      throws Exception {
    LinkedBlockingQueue<Throwable> failures = new LinkedBlockingQueue<>();
    List<Throwable> reported = new CopyOnWriteArrayList<>();
    SocketChannel[] accepted = new SocketChannel[1];
    ConnectionListener<byte[]> listener = new ConnectionListener<>() {
      @Override
      public boolean onAccept(InetSocketAddress remote) {
        try {
          accepted[0].close(); // the socket fails after the yes: configure() meets it closed
        } catch (IOException e) {
          throw new AssertionError(e);
        }
        return true;
      }

      @Override
      public void onHandshakeFailed(InetSocketAddress remote, boolean dialed, Throwable cause) {
        failures.add(cause);
      }
    };
    TransportConfig config = TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of("server")).build();
    LoopTransport<byte[]> transport = new LoopTransport<>(config, ByteArrayCodec.instance(),
        listener, (c, e) -> reported.add(e), 1, 1, false,
        Map.of(StandardSocketOptions.TCP_NODELAY, true), Lending.of(null, config, false), 0);
    try (ServerSocketChannel server = ServerSocketChannel.open();
        SocketChannel client = SocketChannel.open()) {
      server.bind(new InetSocketAddress("127.0.0.1", 0));
      client.connect(server.getLocalAddress());
      accepted[0] = server.accept();

      transport.accepted(accepted[0]); // as read loop 0 would; no loop accepts in this test

      Throwable cause = failures.poll(10, TimeUnit.SECONDS);
      assertNotNull(cause, "onHandshakeFailed was never called");
      assertInstanceOf(ClosedChannelException.class, cause);
      assertEquals(List.of(cause), reported, "reported to the error handler as well");
      assertEquals(0, transport.stats().inboundConnections(), "the limit slot is back");
      assertEquals(0, transport.stats().accepted(), "never counted as accepted");
      assertEquals(0, transport.connections().size());
    } finally {
      transport.close();
    }
    assertEquals(0, failures.size(), "told once");
  }
}
