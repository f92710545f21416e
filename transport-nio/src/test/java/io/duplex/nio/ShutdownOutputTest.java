package io.duplex.nio;

import static io.duplex.nio.Peers.node;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.SlowPeerPolicy;
import io.duplex.TransportConfig;
import io.duplex.internal.Wire;
import java.io.EOFException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code shutdownOutput()} is a state, not a budgeted frame: a connection whose queue is at (or,
 * with control frames, over) its hard limit still sends its FIN once the queue drains, whatever
 * the slow-peer policy, and the policy never closes the connection for it.
 */
@Timeout(60)
class ShutdownOutputTest {
  private static final long HARD = 256 * 1024;
  private static final int MESSAGE = 1000;

  @ParameterizedTest
  @EnumSource(value = SlowPeerPolicy.class, names = {"FAIL_SEND", "DISCONNECT"})
  void shouldSendTheFinAfterEverythingQueuedEvenWhenPendingIsOverTheHardLimit(
      SlowPeerPolicy policy) throws Exception {
    try (Peers.Node server = node("server", b -> b.maxFrameSize(64 * 1024)
            .highWaterMark(128 * 1024).lowWaterMark(64 * 1024).outboundHardLimit(HARD)
            .slowPeerPolicy(policy), t -> t.sendBufferSize(8 * 1024), c -> { }).listen()) {
      Socket socket = new Socket();
      socket.setReceiveBufferSize(8 * 1024); // before connect: the window it announces
      socket.connect(server.address, 5000);
      try (RawPeer raw = new RawPeer(socket)) {
        raw.sendHandshake(RawPeer.info("raw", TransportConfig.DEFAULT_NETWORK_ID, "bytes"));
        raw.readHandshake();
        Connection<byte[]> s = server.nextOpened();
        // The raw peer does not read yet: queue messages up to the hard limit (never over it,
        // so no policy applies), then PINGs, which are counted whatever the limit.
        int messages = 0;
        while (messages < 10_000 && s.pendingBytes() + MESSAGE + Wire.HEADER_SIZE <= HARD) {
          s.send(new byte[MESSAGE]);
          messages++;
        }
        while (messages < 20_000 && s.pendingBytes() + Wire.HEADER_SIZE <= HARD) {
          s.send(new byte[0]); // top up to within a few bytes: PINGs are bounded by count
          messages++;
        }
        int pings = 0;
        while (pings < 10_000 && s.pendingBytes() <= HARD) {
          s.ping();
          pings++;
        }
        assertTrue(s.pendingBytes() > HARD, "setup: pending " + s.pendingBytes()
            + " is over the hard limit " + HARD + " after " + messages + " messages and "
            + pings + " pings");

        CompletableFuture<Void> shut = s.shutdownOutput();

        assertNull(s.closeCause(), "shutdownOutput() must not close the connection (policy "
            + policy + ")");
        // The peer reads again: everything queued, then end of stream.
        socket.setSoTimeout(5000);
        int framesRead = 0;
        String end = null;
        for (int i = 0; i < 100_000 && end == null; i++) {
          try {
            raw.readFrame();
            framesRead++;
          } catch (EOFException e) {
            end = "end of stream";
          } catch (SocketTimeoutException e) {
            end = "nothing for 5 s and no end of stream";
          }
        }
        assertTrue("end of stream".equals(end), "after " + messages + " messages and " + pings
            + " pings were queued and shutdownOutput() was called (policy " + policy + "), the"
            + " peer read " + framesRead + " frames, then " + end + "; shutdownOutput future "
            + shut + ", close cause " + s.closeCause());
        try {
          shut.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
          throw new AssertionError("the shutdownOutput() future must complete normally once the"
              + " FIN is out: " + e, e);
        }
      }
    }
  }
}
