package io.duplex.nio;

import static io.duplex.nio.Peers.duplexThreads;
import static io.duplex.nio.Peers.node;
import static io.duplex.nio.Peers.openDescriptors;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.HandshakeException;
import io.duplex.NodeId;
import io.duplex.TransportConfig;
import io.duplex.TransportStats;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.peer.PeerNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Connection floods against a listening transport while an honest peer keeps round-tripping:
 * thousands of connects and closes, and hundreds of connections held open without a handshake.
 * The transport stays healthy, the honest peer is served throughout, and every slot, descriptor
 * and thread comes back.
 */
@Timeout(60)
class FloodTest {
  private static final int FLOOD = 2_000;
  private static final int FLOOD_THREADS = 4;
  private static final int IDLE = 500;

  private static Peers.Node echoServer(Consumer<TransportConfig.Builder> settings)
      throws Exception {
    return node("server", settings, c -> c.onMessage((conn, m) -> conn.send(m))).listen();
  }

  /**
   * Live duplex threads other than handler threads, from one snapshot. (Counting all duplex
   * threads and then the handler threads in a second snapshot was off by one whenever a handler
   * thread started or ended in between: seen once as "expected: <5> but was: <6>".)
   */
  private static long loopThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive()
        && t.getName().startsWith("duplex-") && !t.getName().contains("-handler-")).count();
  }

  /**
   * Connections the kernel destroyed before any accept() could return them: the TcpExt counter
   * EmbryonicRsts of /proc/net/netstat (for this network namespace, so other processes in it
   * count too), or -1 if it cannot be read.
   *
   * <p>Under the flood the listen backlog (1,024) fills: read loop 0 accepts more slowly than
   * four threads connect. Linux then drops SYNs (counted in ListenOverflows; the client resends
   * after 1 s), and, when the queue filled between a connection's SYN and its final ACK, that
   * ACK too: the client believes it is connected, the server holds only a SYN_RECV request. If
   * that client then resets (every odd flood connection does), the reset destroys the request
   * (EmbryonicRsts and AttemptFails + 1) and no accept() ever returns that connection, so it is
   * neither accepted nor refused. A client that closes with a FIN instead is accepted later.
   * Seen once in 15 runs beside two CPU hogs: 1,999 of 2,000 seen, in the one run with
   * EmbryonicRsts + 1.
   */
  static long embryonicResets() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/net/netstat"));
      for (int i = 0; i + 1 < lines.size(); i += 2) {
        String[] names = lines.get(i).split(" ");
        String[] values = lines.get(i + 1).split(" ");
        for (int j = 1; j < names.length && j < values.length; j++) {
          if (names[0].equals("TcpExt:") && names[j].equals("EmbryonicRsts")) {
            return Long.parseLong(values[j]);
          }
        }
      }
    } catch (IOException | RuntimeException unreadable) {
      // not Linux, or no procfs: count nothing as lost
    }
    return -1;
  }

  /**
   * One connect and close from {@code ip}; a reset instead of a FIN if {@code reset}. A
   * connection the transport refuses may already be reset when connect() returns.
   */
  private static void connectAndClose(String ip, InetSocketAddress to, boolean reset)
      throws IOException {
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress(ip, 0));
      try {
        s.connect(to, 5000);
      } catch (java.net.SocketException refused) {
        if (refused instanceof java.net.ConnectException) {
          throw refused; // nothing listening, or the backlog full: not what this test expects
        }
        return;
      }
      if (reset) {
        s.setSoLinger(true, 0);
      }
    }
  }

  @Test
  void shouldStayHealthyThroughTwoThousandConnectsAndClosesAndGiveEverySlotBack()
      throws Exception {
    Assumptions.assumeTrue(openDescriptors() > 0, "needs /proc/self/fd to count descriptors");
    Peers.await("threads of earlier tests to end", 30, () -> duplexThreads() == 0);
    long logStart = System.nanoTime();
    try (LogCapture log = new LogCapture();
        Peers.Node server = echoServer(b -> { });
        Peers.Node client = node("client")) {
      Connection<byte[]> honest = client.connect(server);
      // Warm up what the JDK opens once per process (socket classes, the reset path).
      for (int i = 0; i < 20; i++) {
        connectAndClose("127.0.0.2", server.address, i % 2 == 1);
      }
      Peers.await("warm-up accepted or refused, and closed", 10, () -> {
        TransportStats s = server.transport.stats();
        return s.accepted() + s.refusedByLimit() == 21 && s.inboundConnections() == 1;
      });
      long descriptorsBefore = openDescriptors();
      long loopsBefore = loopThreads();
      TransportStats before = server.transport.stats();

      try (EchoProbe probe = new EchoProbe(honest)) {
        probe.baseline(100);
        // Half the flood from one address (the per-address limit meets it), half from 1,000.
        ExecutorService pool = Executors.newFixedThreadPool(FLOOD_THREADS);
        long resetsBefore = embryonicResets();
        LongSupplier lostByKernel =
            () -> resetsBefore < 0 ? 0 : embryonicResets() - resetsBefore;
        long start = System.nanoTime();
        List<Future<?>> flooders = new ArrayList<>();
        int each = FLOOD / FLOOD_THREADS;
        for (int t = 0; t < FLOOD_THREADS; t++) {
          int thread = t;
          flooders.add(pool.submit(() -> {
            for (int i = 0; i < each; i++) {
              int k = thread * each + i;
              connectAndClose(thread % 2 == 0 ? "127.0.0.3" : Swarm.address(k), server.address,
                  k % 2 == 1);
            }
            return null;
          }));
        }
        for (Future<?> f : flooders) {
          f.get(40, TimeUnit.SECONDS);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        int duringFlood = probe.roundTrips();
        probe.attackOver();

        // Connected is not yet accepted: some may still wait in the backlog. Wait for them all,
        // but for those the kernel destroyed before they could be accepted (embryonicResets).
        try {
          Peers.await("every flood connection accepted or refused (or lost in the kernel's"
              + " backlog), and every slot back", 20, () -> {
                TransportStats s = server.transport.stats();
                return s.accepted() - before.accepted() + s.refusedByLimit()
                    - before.refusedByLimit() + lostByKernel.getAsLong() >= FLOOD
                    && s.inboundConnections() == 1;
              });
        } catch (AssertionError e) { // say where it stands, to tell a lost accept from a lost slot
          throw new AssertionError(e.getMessage() + "; before " + before + "; now "
              + server.transport.stats() + "; open " + server.transport.connections().size()
              + "; embryonic connections reset since the flood began "
              + lostByKernel.getAsLong() + "; errors " + server.errors.stream().collect(
                  Collectors.groupingBy(Throwable::toString, Collectors.counting())), e);
        }
        TransportStats after = server.transport.stats();
        long accepted = after.accepted() - before.accepted();
        long refused = after.refusedByLimit() - before.refusedByLimit();
        long lost = lostByKernel.getAsLong();
        assertTrue(accepted + refused <= FLOOD, accepted + " accepted and " + refused
            + " refused of " + FLOOD + " connects");
        Peers.await("every accepted one counted closed", 10, () -> {
          TransportStats s = server.transport.stats(); // one snapshot: a late accept moves both
          return s.closed() - before.closed() == s.accepted() - before.accepted();
        });
        Peers.await("descriptors back to " + descriptorsBefore + " (now " + openDescriptors()
            + ")", 20, () -> openDescriptors() <= descriptorsBefore);
        assertEquals(loopsBefore, loopThreads(), "no loop or timer thread added by the flood");
        probe.awaitRoundTrips(duringFlood + 20);

        // New honest connections: the flooded address gets all its 16 slots, and no more.
        List<RawPeer> fresh = new ArrayList<>();
        try {
          for (int i = 0; i < TransportConfig.DEFAULT_MAX_INBOUND_CONNECTIONS_PER_ADDRESS; i++) {
            RawPeer p = RawPeer.from("127.0.0.3", server.address);
            fresh.add(p);
            p.sendHandshake(RawPeer.info("fresh-" + i, TransportConfig.DEFAULT_NETWORK_ID,
                "bytes")).readHandshake();
          }
          ConnectionLimitTest.assertRefused("127.0.0.3", server.address); // the 17th
        } finally {
          for (RawPeer p : fresh) {
            p.close();
          }
        }
        Peers.await("the log to account for every refusal", 10,
            () -> log.refusalsLogged() == server.transport.stats().refusedByLimit());
        int lines = log.refusalLines().size();
        double span = (System.nanoTime() - logStart) / 1e9;
        assertTrue(lines <= span + 2, lines + " refusal lines in " + span + " s");
        System.out.printf("flood: %d connect/close cycles in %.2f s (%.0f/s): %d accepted, %d"
            + " refused by the per-address limit, %d lost in the kernel's backlog (EmbryonicRsts"
            + " +%d), %d log lines; %s%n", FLOOD, seconds, FLOOD / seconds, accepted, refused,
            FLOOD - accepted - refused, lost, lines, probe.summary());
        assertTrue(honest.isAlive());
      }
    }
    Peers.await("every duplex thread to end", 30, () -> duplexThreads() == 0);
  }

  @Test
  void shouldLogAPeerNodesRefusalsOfAFloodInAFewLines() throws Exception {
    long logStart = System.nanoTime();
    try (LogCapture log = new LogCapture();
        PeerNode<byte[]> hub = peerNode("hub", b -> b.listen(Peers.ANY_LOCAL))) {
      InetSocketAddress at = hub.listenAddress().orElseThrow();
      for (int i = 0; i < FLOOD; i++) { // one address: PeerNode's maxPerAddress (8) meets it
        connectAndClose("127.0.0.4", at, i % 2 == 1);
      }
      try (PeerNode<byte[]> honest = peerNode("honest", b -> b.dial(at))) {
        Peers.await("an honest peer to join after the flood", 10,
            () -> hub.size() == 1 && honest.size() == 1);
      }
      int lines = log.lines("refusing inbound peer").size();
      double span = (System.nanoTime() - logStart) / 1e9;
      assertTrue(lines <= span + 2, lines + " PeerNode refusal lines in " + span + " s");
      System.out.printf("PeerNode flood: %d connect/close cycles from one address, %d refusal"
          + " lines in %.2f s%n", FLOOD, lines, span);
    }
  }

  private static PeerNode<byte[]> peerNode(String name,
      UnaryOperator<PeerNode.Builder<byte[]>> how) throws Exception {
    return how.apply(PeerNode.builder(NioTransport.builder(ByteArrayCodec.instance())
        .config(TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of(name)).build()).factory())).build();
  }

  @Test
  void shouldCloseFiveHundredIdleConnectionsAtTheHandshakeDeadlineAndServeAnHonestPeer()
      throws Exception {
    try (Peers.Node server = echoServer(b -> b.handshakeTimeout(Duration.ofSeconds(1)));
        Peers.Node client = node("client")) {
      Connection<byte[]> honest = client.connect(server);
      try (EchoProbe probe = new EchoProbe(honest)) {
        probe.baseline(100);
        try (Swarm idle = new Swarm(server.address, IDLE)) {
          Peers.await("all accepted", 10, () -> server.transport.stats().accepted() == IDLE + 1);
          assertEquals(0, server.transport.stats().refusedByLimit(), "the default limits admit "
              + IDLE + " from distinct addresses");
          int closed = idle.trickle(new byte[0], Duration.ofMillis(20), Duration.ofSeconds(30));
          assertEquals(IDLE, closed, "every idle connection closed by the handshake deadline");
          probe.attackOver();
          Peers.await("idle slots back", 10,
              () -> server.transport.stats().inboundConnections() == 1);
          assertEquals(IDLE, server.errors.stream().filter(e -> e instanceof HandshakeException
              && ((HandshakeException) e).field() == HandshakeException.Field.TIMEOUT).count());
          probe.awaitRoundTrips(probe.roundTrips() + 20);
          System.out.printf("idle: %d connections never handshaking, handshakeTimeout 1 s: %s;"
              + " %s%n", IDLE, idle.summary(), probe.summary());
        }
      }
      assertTrue(honest.isAlive());
      assertEquals(1, server.opened.size(), "only the honest peer ever opened");
    }
  }
}
