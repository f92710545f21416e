package io.duplex.nio;

import static io.duplex.nio.FaultTest.causedBy;
import static io.duplex.nio.FaultTest.message;
import static io.duplex.nio.FaultTest.sequenceOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.BackpressureException;
import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.DuplexException;
import io.duplex.NodeId;
import io.duplex.PongTimeoutException;
import io.duplex.SlowPeerPolicy;
import io.duplex.TransportConfig;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.nio.Netns.End;
import io.duplex.peer.BroadcastResult;
import io.duplex.peer.BroadcastResult.Outcome;
import io.duplex.peer.PeerNode;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * duplex between two hosts joined by a real link: this JVM in the root network namespace, a
 * {@link NetnsPeer} in a child JVM in a namespace of its own, a veth pair between them shaped
 * with {@code tc} ({@link Netns}). Real TCP over a real (virtual) NIC, a real qdisc queue, real
 * packet loss: no proxy in the path. Each test skips, saying why, where this machine does not
 * allow namespaces (CI without root, a sandbox) or the kernel lacks the qdisc it needs.
 *
 * <p>As in {@link FaultTest}: every future settles, every waiting {@code receive} ends, each
 * connection closes once, what arrives arrives intact and in order, memory stays within the hard
 * limit. Figures (latency, throughput, detection time) are printed as {@code NetnsTest ...}
 * lines, never asserted.
 */
@Timeout(60)
class NetnsTest {
  private static final int MIB = 1 << 20;

  // ---- 1. delivery over a shaped link ------------------------------------------------------

  /** A link, as a qdisc on each end's egress (both ways alike), and how much to send over it. */
  enum Link {
    /** 40 Mbit/s each way, token bucket: a narrow link with a short queue (50 ms). */
    RATE(40, 40, "tbf", "rate", "40mbit", "burst", "64kb", "latency", "50ms"),
    /** 40 Mbit/s each way and 20 ms each way: a 40 ms round trip, as across a country. */
    DELAY_RATE(40, 40, "netem", "delay", "20ms", "rate", "40mbit"),
    /**
     * The same and 1% of packets lost each way: TCP retransmits under duplex. Less data: at 1%
     * loss and a 40 ms round trip, TCP manages well under 1 MB/s whatever the link's rate.
     */
    DELAY_LOSS_RATE(40, 10, "netem", "delay", "20ms", "loss", "1%", "rate", "40mbit");

    final long bytesPerSecond;
    final int messages;
    final String[] qdisc;

    Link(int mbit, int messages, String... qdisc) {
      this.bytesPerSecond = mbit * 1_000_000L / 8;
      this.messages = messages;
      this.qdisc = qdisc;
    }
  }

  /** Message sizes, by sequence number: 64 B to 1 MiB (about 1.3 MB per five). */
  private static final int[] MIXED = {64, 1_000, 16 * 1024, 256 * 1024, MIB};

  @ParameterizedTest
  @EnumSource(Link.class)
  void shouldDeliverMixedSizesIntactAndInOrderBothWaysOverAShapedLink(Link link)
      throws Exception {
    try (Netns ns = Netns.create()) {
      ns.requireQdisc(link.qdisc[0], probeArgs(link.qdisc));
      ns.shape(End.ROOT, link.qdisc);
      ns.shape(End.PEER, link.qdisc);
      Netns.Child echo = ns.start("echo", "sendTimeout=30000");
      InetSocketAddress echoAddress = new InetSocketAddress(ns.peerAddress, echo.port);
      try (Peers.Node client = Peers.node("client", b -> b.sendTimeout(Duration.ofSeconds(30))
          .closeTimeout(Duration.ofSeconds(2)))) {
        Connection<byte[]> c = client.transport.connect(echoAddress).get(10, TimeUnit.SECONDS);
        Connection<byte[]> probe = client.transport.connect(echoAddress)
            .get(10, TimeUnit.SECONDS);

        // Idle round trips first: 20 echoes of 64 bytes, one at a time.
        List<Long> idle = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          long t0 = System.nanoTime();
          probe.send(message(i, 64)).get(10, TimeUnit.SECONDS);
          assertEquals(i, sequenceOf(probe.receive(Duration.ofSeconds(10)), 64));
          idle.add(System.nanoTime() - t0);
        }

        // Then messages of mixed sizes (40 of them: 10.6 MB) pipelined on c, echoed back;
        // meanwhile the probe connection keeps timing 64-byte round trips across the busy link.
        int n = link.messages;
        long total = 0;
        for (int i = 0; i < n; i++) {
          total += MIXED[i % MIXED.length];
        }
        List<Long> loaded = new CopyOnWriteArrayList<>();
        AtomicBoolean bulkDone = new AtomicBoolean();
        AtomicLong probeSeq = new AtomicLong(1_000);
        CompletableFuture<Void> prober = CompletableFuture.runAsync(() -> {
          try {
            for (int i = 0; i < 2_000 && !bulkDone.get(); i++) {
              long seq = probeSeq.getAndIncrement();
              long t0 = System.nanoTime();
              probe.send(message(seq, 64)).get(10, TimeUnit.SECONDS);
              assertEquals(seq, sequenceOf(probe.receive(Duration.ofSeconds(10)), 64));
              loaded.add(System.nanoTime() - t0);
              LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // pacing, 50 a second
            }
          } catch (Exception e) {
            throw new AssertionError("a probe round trip failed", e);
          }
        }, runnable -> startDaemon(runnable, "netns-probe"));
        long start = System.nanoTime();
        List<CompletableFuture<Void>> sends = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          sends.add(c.send(message(i, MIXED[i % MIXED.length])));
        }
        for (int i = 0; i < n; i++) {
          byte[] m = c.receive(Duration.ofSeconds(30));
          assertEquals(i, sequenceOf(m, MIXED[i % MIXED.length]), "echo out of order");
        }
        long elapsed = System.nanoTime() - start;
        bulkDone.set(true);
        prober.get(20, TimeUnit.SECONDS);
        FaultTest.Outcome sent = FaultTest.settle(sends);
        assertEquals(n, sent.ok, "every send succeeded: " + sent);
        Map<String, Long> peer = echo.stats();
        assertEquals(n + 20 + probeSeq.get() - 1_000, peer.get("received"), peer.toString());
        assertEquals(0, peer.get("sendFailures"), "the echo peer's sends: " + peer);

        double seconds = elapsed / 1e9;
        double goodput = total / seconds;
        // Not a timing assertion: a floor that only a link not shaped at all can break (a slow
        // machine only makes the transfer longer). Without it, the figures below would be
        // meaningless. Both qdiscs let through at most their burst above the rate.
        assertTrue(total - 128 * 1024 <= link.bytesPerSecond * seconds * 1.05,
            "the link is not shaped: " + total + " bytes each way in " + seconds + " s");
        System.out.printf("NetnsTest link %s (%s): %d messages of 64 B to 1 MiB (%.1f MB) each"
                + " way in %.2f s = %.2f MB/s each way, %.0f%% of the configured %.1f MB/s;"
                + " 64 B round trips idle p50 %.2f ms p99 %.2f ms, across the busy link p50 %.1f"
                + " ms p99 %.1f ms (%d); 0 lost, 0 out of order%n",
            link, String.join(" ", link.qdisc), n, total / 1e6, seconds, goodput / 1e6,
            100 * goodput / link.bytesPerSecond, link.bytesPerSecond / 1e6,
            ms(idle, 0.5), ms(idle, 0.99), ms(loaded, 0.5), ms(loaded, 0.99), loaded.size());
        c.close().get(10, TimeUnit.SECONDS); // graceful, across the shaped link
        probe.close().get(10, TimeUnit.SECONDS);
        assertEquals(null, c.closeCause().getCause(), "an orderly close");
      }
    }
  }

  /** Parameters a qdisc loads with (tbf needs its rate, burst and latency). */
  private static String[] probeArgs(String[] qdisc) {
    return qdisc[0].equals("tbf")
        ? new String[] {"rate", "1mbit", "burst", "16kb", "latency", "50ms"}
        : new String[] {"delay", "1ms"};
  }

  // ---- 2. a silent partition ---------------------------------------------------------------

  @Test
  void shouldDetectASilentPartitionAndSettleEverySendWithinTheHardLimit() throws Exception {
    long hard = MIB;
    int size = 16 * 1024;
    Duration pingInterval = Duration.ofMillis(200);
    Duration pongTimeout = Duration.ofMillis(400);
    try (Netns ns = Netns.create()) {
      ns.requireQdisc("blackhole");
      String[] narrow = {"tbf", "rate", "8mbit", "burst", "32kb", "latency", "100ms"};
      ns.requireQdisc("tbf", probeArgs(narrow));
      // A narrow link (1 MB/s), so the stream below keeps bytes in flight both ways (in the
      // qdiscs, the socket buffers and the peer) for longer than the cut takes to make.
      ns.shape(End.ROOT, narrow);
      ns.shape(End.PEER, narrow);
      Netns.Child echo = ns.start("echo", "pingInterval=200", "pongTimeout=400",
          "sendTimeout=10000");
      try (Peers.Node client = Peers.node("client", b -> b.pingInterval(pingInterval)
          .pongTimeout(pongTimeout).sendTimeout(Duration.ofSeconds(10))
          .maxFrameSize(64 * 1024).outboundHardLimit(hard).highWaterMark(256 * 1024)
          .lowWaterMark(128 * 1024).closeTimeout(Duration.ofSeconds(1)),
          t -> t.sendBufferSize(64 * 1024), c -> { })) {
        Connection<byte[]> c = client.transport
            .connect(new InetSocketAddress(ns.peerAddress, echo.port)).get(10, TimeUnit.SECONDS);
        AtomicLong closedAt = new AtomicLong();
        c.closeFuture().whenComplete((v, e) -> closedAt.set(System.nanoTime()));
        FaultTest.Receiver echoes = new FaultTest.Receiver(c, size);

        // Traffic flows both ways at the link's rate: 16 KiB messages, echoed, with 8 of them
        // (128 KiB) always on the way, until 50 echoes are back.
        List<CompletableFuture<Void>> sends = new ArrayList<>();
        long flowDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (int polls = 0; echoes.count() < 50 && polls < 1_000_000; polls++) {
          assertTrue(System.nanoTime() - flowDeadline < 0, "no echo flow within 10 s");
          if (sends.size() - echoes.count() < 8) {
            sends.add(c.send(message(sends.size(), size)));
          } else {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // the window is full
          }
        }
        int beforeCut = sends.size();
        int echoedBeforeCut = echoes.count();

        long cutting = System.nanoTime();
        ns.blackhole(); // mid-stream; no RST, no FIN, no ICMP: nothing but silence
        long cut = System.nanoTime();
        // The application keeps sending as fast as duplex takes it, then paced, until the
        // connection closes: the socket fills, then the queue, then sends are refused.
        long sendDeadline = cut + TimeUnit.SECONDS.toNanos(10);
        boolean refused = false;
        while (c.closeCause() == null && sends.size() < beforeCut + 20_000
            && System.nanoTime() - sendDeadline < 0) {
          CompletableFuture<Void> f = c.send(message(sends.size(), size));
          sends.add(f);
          refused |= f.isCompletedExceptionally();
          if (refused) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2)); // pacing
          }
        }
        Peers.await("the client closes the dead connection", 10, () -> closedAt.get() != 0);
        long detection = closedAt.get() - cut;

        ConnectionClosedException cause = c.closeCause();
        assertInstanceOf(PongTimeoutException.class, cause.getCause(), "close cause " + cause);
        ConnectionClosedException receiveEnded = echoes.awaitEnd(); // receive threw, not hung
        assertTrue(causedBy(receiveEnded, PongTimeoutException.class), receiveEnded.toString());
        FaultTest.Outcome outcome = FaultTest.settle(sends); // none pending: asserted there
        assertTrue(outcome.failedWith(BackpressureException.class),
            "the hard limit was reached: " + outcome);
        assertTrue(outcome.failures.getOrDefault("ConnectionClosedException(PongTimeoutException)",
            0) > 0, "queued sends failed with the close's cause: " + outcome);
        for (String failure : outcome.failures.keySet()) {
          assertTrue(failure.equals("BackpressureException")
              || failure.equals("ConnectionClosedException(PongTimeoutException)"),
              "unexpected failure " + failure + ": " + outcome);
        }
        long highWater = c.stats().pendingBytesHighWater();
        assertTrue(highWater <= hard, "queued " + highWater + " > hard limit " + hard);
        assertTrue(highWater > hard - size - 64, "queue peak " + highWater + " never reached"
            + " the hard limit: the test did not test it");
        assertEquals(0, c.pendingBytes(), "pending bytes after the close");
        // Echoes that came back are a gap-free prefix of what was sent (each checked intact).
        for (int i = 0; i < echoes.count(); i++) {
          assertEquals(i, echoes.received.get(i), "echo at position " + i);
        }
        assertTrue(echoes.count() <= outcome.ok);
        Throwable ping = c.ping().handle((v, e) -> e).get(10, TimeUnit.SECONDS);
        assertInstanceOf(DuplexException.class, ping instanceof ExecutionException
            || ping instanceof java.util.concurrent.CompletionException ? ping.getCause() : ping,
            "ping on the closed connection");
        // The other host, as silent, finds it out the same way.
        String peerClosed = echo.awaitLine("CLOSED", l -> l.startsWith("CLOSED"), 10);
        assertTrue(peerClosed.contains("PongTimeoutException"), peerClosed);
        long peerDetection = echo.arrival(peerClosed) - cut;

        client.close();
        Peers.await("onClose heard", 5, () -> client.closed.size() >= 1);
        assertEquals(List.of(c), new ArrayList<>(client.closed), "onClose exactly once");
        assertEquals(1, client.closeCauses.size());
        Map<String, Long> peer = echo.stats();
        long atPeer = peer.get("received");
        assertTrue(atPeer <= outcome.ok && echoes.count() <= atPeer, "sent " + outcome.ok
            + ", the peer received " + atPeer + ", echoes back " + echoes.count());
        System.out.printf("NetnsTest silent partition: cut in %.1f ms; dead peer detected %d ms"
                + " after the cut (pingInterval + pongTimeout = %d ms); the other host in %d ms;"
                + " %d sends"
                + " before the cut (%d echoed by then), %d after; %s; queue peak %d B (hard"
                + " limit %d B); the peer received %d, %d echoes back, in order (%d of the"
                + " successful sends and %d echoes lost in the partition)%n",
            (cut - cutting) / 1e6, TimeUnit.NANOSECONDS.toMillis(detection),
            pingInterval.plus(pongTimeout).toMillis(), TimeUnit.NANOSECONDS.toMillis(
                peerDetection), beforeCut, echoedBeforeCut, sends.size() - beforeCut, outcome,
            highWater, hard, atPeer, echoes.count(), outcome.ok - atPeer,
            atPeer - echoes.count());
      }
    }
  }

  // ---- 3. a slow real link in a broadcast --------------------------------------------------

  @ParameterizedTest
  @EnumSource(SlowPeerPolicy.class)
  void shouldKeepFastPeersFastWhileOnePeerSitsBehindANarrowLink(SlowPeerPolicy policy)
      throws Exception {
    long hard = MIB;
    int size = 4 * 1024;
    int messages = 1_000;
    int fastCount = 4;
    try (Netns ns = Netns.create()) {
      ns.requireQdisc("tbf", "rate", "1mbit", "burst", "16kb", "latency", "50ms");
      // The hub's side of the link sends at 8 Mbit/s (1 MB/s); the stream needs 4 MB/s. The
      // hard limit (1 MiB) is 0.25 s of the stream: a fast peer on this 2-CPU machine may be
      // descheduled for a good part of that (at 256 KiB, one was refused in 1 run of 10).
      ns.shape(End.ROOT, "tbf", "rate", "8mbit", "burst", "16kb", "latency", "100ms");
      Netns.Child sink = ns.start("sink");
      NodeId slowId = NodeId.of("sink");
      TransportConfig config = TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of("hub"))
          .maxFrameSize(64 * 1024).highWaterMark(64 * 1024).lowWaterMark(32 * 1024)
          .outboundHardLimit(hard).slowPeerPolicy(policy)
          .closeTimeout(Duration.ofMillis(500)).maxInboundConnectionsPerAddress(64).build();
      Map<String, AtomicInteger> next = new ConcurrentHashMap<>();
      List<String> problems = new CopyOnWriteArrayList<>();
      List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
      List<Peers.Node> fast = new ArrayList<>();
      try (PeerNode<byte[]> hub = PeerNode.builder(NioTransport.builder(
              ByteArrayCodec.instance()).config(config).sendBufferSize(32 * 1024).factory())
          .listen(Peers.ANY_LOCAL).maxPerAddress(64)
          .dial(new InetSocketAddress(ns.peerAddress, sink.port))
          .reconnect(Duration.ofSeconds(30), Duration.ofSeconds(60)) // no redial in the test
          .build()) {
        for (int i = 0; i < fastCount; i++) {
          String name = "fast-" + i;
          next.put(name, new AtomicInteger());
          Peers.Node peer = Peers.node(name, b -> { }, conn -> conn.onMessage((x, m) -> {
            ByteBuffer bb = ByteBuffer.wrap(m);
            int seq = bb.getInt();
            latencies.add(System.nanoTime() - bb.getLong());
            if (next.get(name).getAndIncrement() != seq) {
              problems.add(name + " got " + seq + " out of order");
            }
          }));
          fast.add(peer);
          peer.transport.connect(hub.listenAddress().orElseThrow()).get(10, TimeUnit.SECONDS);
        }
        Peers.await("the sink and the fast peers joined the hub", 10,
            () -> hub.size() == fastCount + 1 && hub.peer(slowId).isPresent());
        Connection<byte[]> toSlow = hub.peer(slowId).orElseThrow();

        // One 4 KiB broadcast a millisecond, paced (open loop), like a stream of blocks.
        List<BroadcastResult> results = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < messages; i++) {
          long due = start + i * 1_000_000L;
          for (long now; (now = System.nanoTime()) - due < 0; ) {
            LockSupport.parkNanos(due - now); // pacing
          }
          byte[] m = new byte[size];
          ByteBuffer.wrap(m).putInt(i).putLong(System.nanoTime());
          results.add(hub.broadcast(m));
        }
        long streamNanos = System.nanoTime() - start;
        Map<Outcome, Integer> slow = new EnumMap<>(Outcome.class);
        for (BroadcastResult r : results) {
          r.all().get(20, TimeUnit.SECONDS); // every outcome known: none left pending
          for (NodeId peer : r.peers()) {
            if (peer.equals(slowId)) {
              slow.merge(r.outcome(peer), 1, Integer::sum);
            } else {
              assertEquals(Outcome.WRITTEN, r.outcome(peer), "fast peer " + peer);
            }
          }
        }
        Peers.await("the fast peers received every broadcast", 20,
            () -> next.values().stream().allMatch(x -> x.get() == messages));
        assertEquals(List.of(), problems);

        long highWater = toSlow.stats().pendingBytesHighWater();
        assertTrue(highWater <= hard, "queued for the slow peer " + highWater + " > " + hard);
        assertTrue(highWater > hard - 2 * (size + 64), "queued for the slow peer: peak "
            + highWater + " never reached the hard limit " + hard + ": the test did not test it");
        int written = slow.getOrDefault(Outcome.WRITTEN, 0);
        String sinkSaw = "open";
        switch (policy) {
          case FAIL_SEND:
            assertTrue(slow.containsKey(Outcome.REFUSED), slow::toString);
            assertTrue(toSlow.isAlive());
            break;
          case DROP_OLDEST:
            assertTrue(slow.containsKey(Outcome.DROPPED), slow::toString);
            assertTrue(toSlow.isAlive());
            break;
          default: // DISCONNECT
            assertTrue(slow.containsKey(Outcome.FAILED), slow::toString);
            assertInstanceOf(BackpressureException.class, toSlow.closeCause().getCause());
            Peers.await("the slow peer left", 5, () -> hub.size() == fastCount);
            sinkSaw = sink.awaitLine("CLOSED", l -> l.startsWith("CLOSED"), 10);
        }
        // What the slow peer got: every frame written to its socket (all of them, in order,
        // while it stays connected), nothing else.
        Map<String, Long> got = sink.stats();
        if (policy != SlowPeerPolicy.DISCONNECT) {
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
          for (int i = 0; i < 10_000 && got.get("received") < written; i++) {
            assertTrue(System.nanoTime() - deadline < 0, "the slow peer got " + got
                + " of " + written + " written to it, after 20 s");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            got = sink.stats();
          }
          assertEquals(written, got.get("received"), "slow peer: received vs written");
        } else {
          assertTrue(got.get("received") <= written, got + " vs written " + written);
        }
        assertEquals(0, got.get("outOfOrder"), got.toString());
        System.out.printf("NetnsTest broadcast %s: %d x %d B in %.2f s to %d fast peers on"
                + " loopback and 1 behind 8 Mbit/s; fast latency p50 %.2f ms p99 %.2f ms max"
                + " %.1f ms, all %d delivered in order; slow peer: %s, received %d, queue peak"
                + " %d B (hard limit %d B), its connection %s%n",
            policy, messages, size, streamNanos / 1e9, fastCount, ms(latencies, 0.5),
            ms(latencies, 0.99), ms(latencies, 1.0), messages, slow, got.get("received"),
            highWater, hard, sinkSaw);
      } finally {
        fast.forEach(Peers.Node::close);
      }
    }
  }

  // ---- 4. a PeerNode mesh through a partition ----------------------------------------------

  @Test
  void shouldRejoinAPeerNodeAcrossTheLinkOnceAPartitionHeals() throws Exception {
    try (Netns ns = Netns.create()) {
      ns.requireQdisc("blackhole");
      Netns.Child b = ns.start("node", "name=b", "pingInterval=100", "pongTimeout=400",
          "handshakeTimeout=500", "closeTimeout=500");
      List<String> events = new CopyOnWriteArrayList<>();
      List<Connection<byte[]>> left = new CopyOnWriteArrayList<>();
      List<ConnectionClosedException> causes = new CopyOnWriteArrayList<>();
      AtomicLong leftAt = new AtomicLong();
      TransportConfig config = TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of("a"))
          .pingInterval(Duration.ofMillis(100)).pongTimeout(Duration.ofMillis(400))
          .handshakeTimeout(Duration.ofMillis(500)).closeTimeout(Duration.ofMillis(500))
          .build();
      try (PeerNode<byte[]> a = PeerNode.builder(NioTransport.builder(ByteArrayCodec.instance())
              .config(config).factory())
          .dial(new InetSocketAddress(ns.peerAddress, b.port))
          .reconnect(Duration.ofMillis(20), Duration.ofMillis(200))
          .membershipListener(new io.duplex.peer.MembershipListener<>() {
            @Override
            public void joined(Connection<byte[]> peer) {
              events.add("joined " + peer.peer().nodeId());
            }

            @Override
            public void left(Connection<byte[]> peer, ConnectionClosedException cause) {
              leftAt.compareAndSet(0, System.nanoTime());
              left.add(peer);
              causes.add(cause);
              events.add("left " + peer.peer().nodeId());
            }
          })
          .build()) {
        roundTrip(a, 0);
        Connection<byte[]> first = a.peer(NodeId.of("b")).orElseThrow();
        b.awaitLine("JOINED a", l -> l.equals("JOINED a"), 10);

        ns.blackhole();
        long cut = System.nanoTime();
        Peers.await("a drops b", 10, () -> left.contains(first));
        String bLeft = b.awaitLine("LEFT a", l -> l.startsWith("LEFT a"), 10);
        assertInstanceOf(PongTimeoutException.class, causes.get(0).getCause(),
            causes.get(0).toString());
        assertTrue(bLeft.contains("PongTimeoutException"), bLeft);
        long dialed = a.transport().stats().dialed();
        Peers.await("a keeps redialing into the partition", 10,
            () -> a.transport().stats().dialed() >= dialed + 2);
        assertTrue(a.peer(NodeId.of("b")).isEmpty(), "no peer across a blackholed link");

        int bLines = b.lines.size();
        ns.heal();
        long healed = System.nanoTime();
        roundTrip(a, 100);
        long rejoined = System.nanoTime() - healed;
        b.awaitLine("JOINED a again", l -> l.equals("JOINED a"), bLines, 10);
        assertEquals(1, left.stream().filter(x -> x == first).count(), "first left once");
        assertEquals("joined b", events.get(0));
        assertEquals("left b", events.get(1));
        System.out.printf("NetnsTest PeerNode partition: a dropped b %d ms after the cut, b"
                + " dropped a %d ms after (pingInterval 100 ms + pongTimeout 400 ms); %d redials"
                + " into the partition; rejoined and round-tripped %d ms after the heal; events"
                + " a %s, b %s%n",
            TimeUnit.NANOSECONDS.toMillis(leftAt.get() - cut),
            TimeUnit.NANOSECONDS.toMillis(b.arrival(bLeft) - cut),
            a.transport().stats().dialed() - dialed, TimeUnit.NANOSECONDS.toMillis(rejoined),
            events, b.lines.subList(1, b.lines.size()));
      }
    }
  }

  // ---- 5. dials into the partition ---------------------------------------------------------

  /**
   * Over a real link a dropped SYN leaves the TCP connect itself pending (the kernel retransmits
   * it after 1 s, 3 s, ...), a state loopback and the fault proxy never reach: there the connect
   * completes at once and only the handshake can hang. The handshake timeout must end it too.
   */
  @Test
  void shouldFailDialsIntoABlackholeAtTheHandshakeTimeoutAndLeakNothing() throws Exception {
    Duration handshakeTimeout = Duration.ofSeconds(1);
    int dials = 20;
    try (Netns ns = Netns.create()) {
      ns.requireQdisc("blackhole");
      Netns.Child echo = ns.start("echo");
      InetSocketAddress to = new InetSocketAddress(ns.peerAddress, echo.port);
      // The child JVM's first handshake, cold, can take longer than the short timeout below.
      try (Peers.Node warm = Peers.node("warm")) {
        Connection<byte[]> c = warm.transport.connect(to).get(10, TimeUnit.SECONDS);
        c.send(message(0, 64)).get(10, TimeUnit.SECONDS);
        assertEquals(0, sequenceOf(c.receive(Duration.ofSeconds(10)), 64));
      }
      try (Peers.Node client = Peers.node("client", b -> b.handshakeTimeout(handshakeTimeout))) {
        client.transport.connect(to).get(10, TimeUnit.SECONDS).close() // one good dial first
            .get(10, TimeUnit.SECONDS);
        Peers.await("the warm-up connection closed", 10, () -> client.closed.size() == 1);
        long fds = Peers.openDescriptors();

        ns.blackhole();
        long start = System.nanoTime();
        List<CompletableFuture<Connection<byte[]>>> connects = new ArrayList<>();
        for (int i = 0; i < dials; i++) {
          connects.add(client.transport.connect(to));
        }
        List<Long> failedAfter = new CopyOnWriteArrayList<>();
        for (CompletableFuture<Connection<byte[]>> f : connects) {
          f.whenComplete((c, e) -> failedAfter.add(System.nanoTime() - start));
        }
        for (CompletableFuture<Connection<byte[]>> f : connects) {
          Throwable e = f.handle((c, error) -> error).get(10, TimeUnit.SECONDS);
          assertInstanceOf(java.net.SocketTimeoutException.class, e instanceof
              java.util.concurrent.CompletionException ? e.getCause() : e, "dial into a"
              + " blackhole: " + e);
        }
        Peers.await("every dial reported to onHandshakeFailed", 10,
            () -> client.handshakeFailures.size() == dials);
        assertEquals(1, client.opened.size(), "only the warm-up connection ever opened");
        assertEquals(1, client.closed.size(), "only the warm-up connection ever closed");
        assertEquals(0, client.transport.stats().openConnections());
        Peers.await("descriptors back to " + fds, 10, () -> Peers.openDescriptors() <= fds);

        ns.heal();
        Connection<byte[]> after = client.transport.connect(to).get(10, TimeUnit.SECONDS);
        after.send(message(7, 64)).get(10, TimeUnit.SECONDS);
        assertEquals(7, sequenceOf(after.receive(Duration.ofSeconds(10)), 64));
        System.out.printf("NetnsTest dials into a blackhole: %d of %d failed with"
                + " SocketTimeoutException after %.0f to %.0f ms (handshakeTimeout %d ms);"
                + " descriptors back to %d; a dial after the heal round-tripped%n",
            connects.size(), dials, ms(failedAfter, 0), ms(failedAfter, 1.0),
            handshakeTimeout.toMillis(), fds);
      }
    }
  }

  /**
   * Within 20 s, a has b and a message goes to b and its echo comes back on a's current
   * connection. A try that meets a connection closing under it (a stale dial from the partition
   * being dropped) tries again with the next sequence number.
   */
  private static void roundTrip(PeerNode<byte[]> a, int seq) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    Throwable last = null;
    for (int attempt = 0; attempt < 1000 && System.nanoTime() - deadline < 0; attempt++) {
      Peers.await("a has b", 20, () -> a.peer(NodeId.of("b")).map(Connection::isAlive)
          .orElse(false));
      try {
        Connection<byte[]> toB = a.peer(NodeId.of("b")).orElseThrow();
        toB.send(message(seq + attempt, 100)).get(10, TimeUnit.SECONDS);
        assertEquals(seq + attempt, sequenceOf(toB.receive(Duration.ofSeconds(5)), 100));
        return;
      } catch (java.util.NoSuchElementException | ExecutionException | DuplexException e) {
        last = e; // the connection changed under the try
      }
    }
    throw new AssertionError("a and b did not round-trip within 20 s", last);
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** The {@code q} quantile of {@code nanos}, in milliseconds (NaN if empty). */
  private static double ms(List<Long> nanos, double q) {
    List<Long> sorted;
    synchronized (nanos) {
      sorted = new ArrayList<>(nanos);
    }
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    Collections.sort(sorted);
    int i = (int) Math.min(sorted.size() - 1, Math.max(0, Math.ceil(q * sorted.size()) - 1));
    return sorted.get(i) / 1e6;
  }

  private static void startDaemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
  }
}
