package io.duplex.nio;

import static io.duplex.nio.Peers.node;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.Encoded;
import io.duplex.FrameDroppedException;
import io.duplex.SlowPeerPolicy;
import io.duplex.TransportConfig;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * DROP_OLDEST drops broadcast frames to a peer over its hard limit: a dropped frame must be gone
 * from memory, not only from the pending-byte count, so a peer that never reads costs at most
 * the hard limit however much is broadcast to it. (The write loop's deadline tick happens to
 * unlink dropped frames at the head of the queue; these queue behind a message of the node's
 * own, which only the peer reading can take away.)
 */
@Timeout(60)
class DropOldestMemoryTest {
  private static final int MIB = 1024 * 1024;
  private static final long HARD = 8L * MIB;
  private static final int BLOCKS = 100;

  /** Heap in use after full collections (System.gc() under the default collector). */
  private static long heapUsedAfterGc() {
    Runtime rt = Runtime.getRuntime();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      used = Math.min(used, rt.totalMemory() - rt.freeMemory());
    }
    return used;
  }

  @Test
  void shouldFreeTheMemoryOfFramesDroppedForAPeerThatDoesNotRead() throws Exception {
    try (Peers.Node server = node("server", b -> b.maxFrameSize(2 * MIB)
            .highWaterMark(4L * MIB).lowWaterMark(2L * MIB).outboundHardLimit(HARD)
            .slowPeerPolicy(SlowPeerPolicy.DROP_OLDEST).sendTimeout(Duration.ofSeconds(60)),
            t -> t.sendBufferSize(64 * 1024), c -> { }).listen()) {
      Socket socket = new Socket();
      socket.setReceiveBufferSize(16 * 1024); // before connect; it never reads past the handshake
      socket.connect(server.address, 5000);
      try (RawPeer raw = new RawPeer(socket)) {
        raw.sendHandshake(RawPeer.info("raw", TransportConfig.DEFAULT_NETWORK_ID, "bytes"));
        raw.readHandshake();
        Connection<byte[]> s = server.nextOpened();
        // Fill the socket until a message is cut short (the rest waits to be written), then
        // queue one more message of the node's own (not droppable): the broadcasts queue behind
        // it, and only a write or the drop itself can take them out of the queue.
        for (int i = 0; i < 100_000 && s.pendingBytes() == 0; i++) {
          s.send(new byte[1000]);
        }
        s.send(new byte[1000]);
        assertTrue(s.pendingBytes() > 1000, "setup: a message waits in the queue");
        long before = heapUsedAfterGc();

        List<CompletableFuture<Void>> sent = new ArrayList<>(); // futures hold no frame bytes
        for (int i = 0; i < BLOCKS; i++) {
          byte[] block = new byte[MIB - 5];
          block[0] = (byte) i;
          Encoded<byte[]> e = server.transport.encode(block);
          sent.add(s.send(e));
        } // the test holds no block and no Encoded from here on

        long dropped = sent.stream().filter(f -> f.isCompletedExceptionally()
            && f.handle((v, t) -> t instanceof CompletionException ? t.getCause() : t)
            .join() instanceof FrameDroppedException).count();
        assertTrue(dropped >= BLOCKS / 2, "setup: most of the " + BLOCKS + " blocks were"
            + " dropped, " + dropped + " were");
        long retained = heapUsedAfterGc() - before;
        assertTrue(retained < 40L * MIB, "after broadcasting " + BLOCKS + " blocks of 1 MiB to a"
            + " peer that does not read, " + dropped + " dropped, with " + s.pendingBytes()
            + " bytes pending (hard limit " + HARD + "), the heap after GC grew by "
            + retained / MIB + " MiB: dropped frames are still reachable");
      }
    }
  }
}
