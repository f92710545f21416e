package io.duplex.nio;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Transport;
import io.duplex.codec.ByteArrayCodec;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The listening side: accepting without descriptors, and listen() racing close(). */
@Timeout(90)
class AcceptorTest {

  @Test
  void shouldBackOffInsteadOfSpinningWhenAcceptRunsOutOfDescriptors() throws Exception {
    List<Socket> peers = new ArrayList<>();
    try (ChildJvm child = ChildJvm.start(AcceptorChild.class, 256, List.of())) {
      String[] ready = child.awaitValue("READY ", 30).split(" ");
      InetSocketAddress server = new InetSocketAddress("127.0.0.1", Integer.parseInt(ready[0]));
      // Peers keep connecting: the kernel completes their handshakes into the backlog, and
      // every accept of them fails for want of a descriptor.
      for (int i = 0; i < 20; i++) {
        Socket s = new Socket();
        s.connect(server, 5000);
        peers.add(s);
      }
      String[] result = child.awaitValue("FAILURES ", 30).split(" ");
      long failures = Long.parseLong(result[0]);
      long cpuTicks = Long.parseLong(result[2]);
      assertTrue(failures <= 40, failures + " accept failures reported in 2 s (at most a"
          + " handful a second with a backoff) while " + peers.size() + " connections waited in"
          + " the backlog of a process out of descriptors; the read loop used " + cpuTicks
          + " ticks of CPU (1/100 s each) in those 2 s");
      // The reports could be thinned out without the loop backing off: it must not spin either.
      // (A loop that waits between attempts uses next to no CPU; one that spins, all of one.)
      assertTrue(cpuTicks < 100, "the read loop used " + cpuTicks + " ticks of CPU (1/100 s"
          + " each) in 2 s of failing accepts: it spins instead of backing off (" + failures
          + " failures reported)");
    } finally {
      for (Socket s : peers) {
        s.close();
      }
    }
  }

  @Test
  void shouldLeaveNoSocketListeningWhenListenRacesTheTransportsClose() throws Exception {
    InetSocketAddress local = new InetSocketAddress("127.0.0.1", 0);
    List<InetSocketAddress> leaked = new ArrayList<>();
    java.util.Random random = new java.util.Random(7);
    int rounds = 0;
    int listened = 0;
    long start = System.nanoTime();
    for (; rounds < 2_000 && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10);
        rounds++) {
      Transport<byte[]> t = NioTransport.builder(ByteArrayCodec.instance()).build();
      AtomicReference<InetSocketAddress> bound = new AtomicReference<>();
      CountDownLatch started = new CountDownLatch(1);
      Thread listener = new Thread(() -> {
        started.countDown();
        try {
          bound.set(t.listen(local));
        } catch (IllegalStateException | IOException refused) {
          // the close came first: nothing was bound
        }
      });
      listener.start();
      started.await(10, TimeUnit.SECONDS);
      long spinUntil = System.nanoTime() + random.nextInt(300_000); // 0-300 us into listen()
      while (System.nanoTime() - spinUntil < 0) {
        Thread.onSpinWait();
      }
      t.close();
      listener.join(10_000);
      assertTrue(!listener.isAlive(), "listen() returned");
      InetSocketAddress at = bound.get();
      if (at != null) {
        listened++;
        try (Socket probe = new Socket()) {
          probe.connect(at, 1000);
          leaked.add(at);
        } catch (ConnectException expected) {
          // nothing listens there any more
        }
      }
    }
    assertTrue(leaked.isEmpty(), leaked.size() + " of " + listened + " listen() calls that"
        + " returned an address while the transport closed (" + rounds + " rounds) left a"
        + " socket listening after both returned: " + leaked);
  }
}
