package io.duplex.nio;

import static io.duplex.nio.Peers.node;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.ConnectionStats;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A handshaken peer that sends PINGs and never reads: every PING is owed a PONG, and a PONG that
 * cannot be written is memory on the server. The server must owe such a peer only a few PONGs
 * at once (a receiver may answer only the latest of the PINGs it has not answered yet), stop
 * reading it while they are owed, and close it when they do not drain within the pong timeout,
 * while serving everyone else.
 */
@Timeout(90)
class PingFloodTest {
  private static final long HARD = 64 * 1024;
  /**
   * PINGs the flooder may send: far more than it gets through. A receiver answers the PINGs of
   * one read with at most 8 PONGs, so a flooder must send many MiB before those PONGs fill the
   * server's socket (an 8 KiB send buffer here) and its own 4 KiB window; from then on the
   * server stops reading it, and its writes block until the server closes it.
   */
  private static final int FLOOD = 20_000_000;
  /** PONGs a server may owe one peer at once, and a few bytes each. */
  private static final int MAX_OWED_FRAMES = 20;
  private static final long MAX_OWED_BYTES = 1024;
  private static final int PING_FRAME = 13;

  @Test
  void shouldAnswerAPingFloodWithBoundedMemoryAndCloseAPeerThatNeverReadsItsPongs()
      throws Exception {
    try (Peers.Node server = node("server", b -> b.maxFrameSize(16 * 1024)
            .highWaterMark(32 * 1024).lowWaterMark(16 * 1024).outboundHardLimit(HARD)
            .pongTimeout(Duration.ofMillis(500)), t -> t.sendBufferSize(8 * 1024),
            c -> c.onMessage((conn, m) -> conn.send(m))).listen();
        Peers.Node client = node("honest")) {
      Connection<byte[]> honest = client.connect(server);
      server.nextOpened();
      try (EchoProbe probe = new EchoProbe(honest);
          PingFlooder flooder = new PingFlooder(server.address, "flooder")) {
        Connection<byte[]> attacked = server.nextOpened();
        probe.awaitRoundTrips(5);

        flooder.start(FLOOD);
        long maxPending = 0;
        long maxFrames = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        // Watch the attacked connection while the flood runs: until the server has read every
        // PING sent, or closed the flooder, or 30 s.
        long floodBytes = (long) FLOOD * PING_FRAME;
        while (attacked.closeCause() == null && System.nanoTime() - deadline < 0
            && !(flooder.done() && attacked.stats().bytesIn() >= floodBytes)) {
          ConnectionStats s = attacked.stats();
          maxPending = Math.max(maxPending, s.pendingBytes());
          maxFrames = Math.max(maxFrames, s.framesQueued());
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // sampling pace
        }
        ConnectionStats last = attacked.stats();
        maxPending = Math.max(maxPending, last.pendingBytes());
        maxFrames = Math.max(maxFrames, last.framesQueued());
        String seen = "the flooder sent " + flooder.sent() + " PINGs without reading; the"
            + " server's connection to it held up to " + maxPending + " pending bytes in up to "
            + maxFrames + " queued frames (hard limit " + HARD + "); now " + last
            + "; close cause " + attacked.closeCause() + "; the flood "
            + (flooder.ended() != null ? "ended with " + flooder.ended() : "was not cut off");

        System.out.println("PingFloodTest: " + seen);
        assertTrue(maxFrames <= MAX_OWED_FRAMES, "PONGs owed to a peer that does not read must"
            + " stay a handful (<= " + MAX_OWED_FRAMES + " frames): " + seen);
        assertTrue(maxPending <= MAX_OWED_BYTES, "the bytes owed to a peer that does not read"
            + " must stay a few hundred (<= " + MAX_OWED_BYTES + "): " + seen);
        try {
          attacked.closeFuture().get(10, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
          throw new AssertionError("the server did not close a peer whose PONGs did not drain"
              + " within the 500 ms pong timeout (waited 10 s more): " + seen);
        }
        System.out.println("PingFloodTest: closed " + attacked.closeCause());
        int before = probe.roundTrips();
        probe.awaitRoundTrips(before + 20); // the honest peer is still served
      }
    }
  }
}
