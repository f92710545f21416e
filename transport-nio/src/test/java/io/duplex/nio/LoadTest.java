package io.duplex.nio;

import static io.duplex.nio.Peers.duplexThreads;
import static io.duplex.nio.Peers.openDescriptors;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.NodeId;
import io.duplex.TransportConfig;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.peer.BroadcastResult;
import io.duplex.peer.PeerNode;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/**
 * Mixed traffic on a churning mesh of {@link PeerNode}s, checked per connection: nothing lost,
 * reordered, duplicated or corrupted. Four nodes on 127.0.0.1 each send small "votes" to every
 * peer at a steady pace, a large "proposal" (256 KiB) now and then and a broadcast ({@link
 * PeerNode#broadcast}) every few ticks, while the test thread makes nodes leave and rejoin.
 *
 * <p>Every message carries a header: kind, sender index, the sender's send number {@code g}
 * (one counter per node instance, taken by its single traffic thread, so the numbers on any one
 * connection rise in the order of the send calls) and the CRC32 of its body. The sender notes
 * each send on a per-connection ledger before the call; the receiver, which sees the same
 * socket from the other end (matched by its address pair), takes the ledger's entries off in
 * order. At the end:
 * <ul>
 *   <li>on every connection, received numbers strictly rise (no reordering or duplicate) and
 *       every body matches its checksum;</li>
 *   <li>a send the receiver passed over must have failed (refused, timed out): a send whose
 *       future succeeded and that is followed by a received message was lost, on any
 *       connection; so on a connection that closed, what arrived is a gap-free, in-order prefix
 *       of what was written;</li>
 *   <li>on a connection still open at the end, every send whose future succeeded arrived.</li>
 * </ul>
 * A broadcast goes to whoever is in the group when it is queued; when a peer joined or left
 * around the call the test cannot tell which of its connections got it, so that entry may or
 * may not arrive, and a connection whose first message is such a broadcast has no ledger yet
 * ("unattributed", counted and printed).
 *
 * <p>{@code -Dduplex.load.seconds} sets the duration (default 30). {@code -Dduplex.load.flat=true}
 * (the {@code soak} profile, with 600 s) also asserts that heap after GC, duplex threads and open
 * descriptors stay flat, sampled every 10 s with the full mesh up. Whatever the duration, threads
 * and descriptors must return to the baseline once every node is closed.
 */
class LoadTest {
  private static final int NODES = 4;
  private static final byte SMALL = 0;
  private static final byte LARGE = 1;
  private static final byte BROADCAST = 2;
  private static final String[] KIND = {"small", "large", "broadcast"};
  private static final int HEADER = 1 + 1 + 8 + 4;
  private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
  private static final long SAMPLE_NANOS = TimeUnit.SECONDS.toNanos(10);
  /** A closed connection's ledgers are dropped this long after it closed (soak: bounded heap). */
  private static final long PRUNE_AFTER_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final long seconds = Long.getLong("duplex.load.seconds", defaultSeconds());
  private final boolean checkFlat = Boolean.getBoolean("duplex.load.flat");

  /** Send ledgers by "senderLocal>senderRemote"; written by traffic threads, read by handlers. */
  private final Map<String, Ledger> ledgers = new ConcurrentHashMap<>();
  /** Receive state by receiving connection; each entry touched by that connection's handler. */
  private final Map<Connection<byte[]>, Rx> receiving = new ConcurrentHashMap<>();
  /** Entries a receiver passed over; checked at the end, once their futures are done. */
  private final Queue<Entry> skipped = new ConcurrentLinkedQueue<>();
  private final Queue<String> failures = new ConcurrentLinkedQueue<>();
  private final AtomicInteger failureCount = new AtomicInteger();

  private final LongAdder[] sent = adders();
  private final LongAdder[] written = adders();
  private final LongAdder[] notWritten = adders();
  private final LongAdder[] received = adders();
  private final LongAdder[] receivedBytes = adders();
  private final LongAdder unattributed = new LongAdder();
  private final LongAdder tailLost = new LongAdder();
  private int joins;
  private int leaves;
  private final LongAdder ledgersChecked = new LongAdder();
  private int ledgersOpenAtEnd;
  private final List<String> samples = new ArrayList<>();

  /** The run's length without {@code -Dduplex.load.seconds}. A constant: called at construction. */
  long defaultSeconds() {
    return 30;
  }

  /** The node id of node {@code index}, in every incarnation. */
  NodeId nodeId(int index) {
    return NodeId.of("n" + index);
  }

  /** The configuration of node {@code index}: insecure plaintext here, secure in SecureLoadTest. */
  TransportConfig.Builder config(int index) {
    return TransportConfig.builder().insecurePlaintext().nodeId(nodeId(index));
  }

  private static LongAdder[] adders() {
    return new LongAdder[] {new LongAdder(), new LongAdder(), new LongAdder()};
  }

  /** One send noted on a connection's ledger, before the send call. */
  private static final class Entry {
    final long g;
    /** The send's future: set by the traffic thread after the call, before the next entry. */
    volatile CompletableFuture<Void> future;
    /** A broadcast that may have gone to another connection of that peer (membership moved). */
    volatile boolean maybe;
    final String where;

    Entry(long g, String where) {
      this.g = g;
      this.where = where;
    }

    boolean succeeded() {
      CompletableFuture<Void> f = future;
      return !maybe && f != null && f.isDone() && !f.isCompletedExceptionally();
    }
  }

  /** The sends on one connection, in order; entries leave as the receiver takes them. */
  private static final class Ledger {
    final Connection<byte[]> connection;
    final Queue<Entry> entries = new ConcurrentLinkedQueue<>();
    volatile long closedAt;

    Ledger(Connection<byte[]> connection) {
      this.connection = connection;
      connection.closeFuture().whenComplete((v, e) -> closedAt = System.nanoTime());
    }
  }

  /** What one receiving connection saw; used only by its handler (calls never overlap). */
  private static final class Rx {
    /** The sender's side of this socket, once found. */
    Ledger ledger;
    long last = -1;
    volatile long closedAt;
  }

  private static String key(InetSocketAddress from, InetSocketAddress to) {
    return from + ">" + to;
  }

  private void fail(String what) {
    if (failureCount.incrementAndGet() <= 50) {
      failures.add(what);
    }
  }

  // ---- receiving ---------------------------------------------------------------------------

  private void onMessage(Connection<byte[]> c, byte[] m) {
    try {
      ByteBuffer b = ByteBuffer.wrap(m);
      byte kind = b.get();
      int sender = b.get();
      long g = b.getLong();
      int crc = b.getInt();
      CRC32 check = new CRC32();
      check.update(m, HEADER, m.length - HEADER);
      if ((int) check.getValue() != crc) {
        fail("corrupt " + KIND[kind] + " " + g + " on " + c);
      }
      if (!nodeId(sender).equals(c.peer().nodeId())) {
        fail("message from n" + sender + " on a connection to " + c.peer().nodeId());
      }
      Rx rx = receiving.computeIfAbsent(c, k -> {
        Rx r = new Rx();
        k.closeFuture().whenComplete((v, e) -> r.closedAt = System.nanoTime());
        return r;
      });
      if (g <= rx.last) {
        fail("reordered or duplicated: " + g + " after " + rx.last + " on " + c);
      }
      rx.last = g;
      if (rx.ledger == null) {
        rx.ledger = find(c, g);
      }
      if (rx.ledger == null) {
        if (kind == BROADCAST) {
          // The connection joined the group after the sender's snapshot and before its
          // broadcast, and this is its first message: the sender has noted nothing on it yet.
          unattributed.increment();
        } else {
          fail(KIND[kind] + " " + g + " on a connection no sender noted: " + c);
        }
        received[kind].increment();
        receivedBytes[kind].add(m.length);
        return;
      }
      Entry e;
      while ((e = rx.ledger.entries.peek()) != null && e.g < g) {
        skipped.add(rx.ledger.entries.poll());
      }
      if (e != null && e.g == g) {
        rx.ledger.entries.poll();
      } else if (kind == BROADCAST) {
        unattributed.increment(); // queued to a connection that joined around the broadcast
      } else {
        fail(KIND[kind] + " " + g + " arrived but was not sent on " + c);
      }
      received[kind].increment();
      receivedBytes[kind].add(m.length);
    } catch (RuntimeException e) {
      fail("handler failed on " + c + ": " + e);
    }
  }

  /**
   * The sender's ledger of the socket {@code c} receives on, or null if the sender has noted
   * nothing on it yet. A closed connection's ledger under the same address pair (loopback may
   * reuse a pair in TIME_WAIT) is taken only if it holds {@code g}.
   */
  private Ledger find(Connection<byte[]> c, long g) {
    Ledger l = ledgers.get(key(c.remoteAddress(), c.localAddress()));
    if (l == null || l.connection.closeCause() == null
        || l.entries.stream().anyMatch(e -> e.g == g)) {
      return l;
    }
    return null;
  }

  // ---- sending -----------------------------------------------------------------------------

  /** One node instance and the thread that sends its traffic. */
  private final class Member {
    final int index;
    final PeerNode<byte[]> node;
    final Thread traffic;
    volatile boolean running = true;
    private long g;
    private final Random random;
    private final CRC32 crc = new CRC32();

    Member(int index, InetSocketAddress listen, List<InetSocketAddress> dial, long stopAt,
        long seed) throws Exception {
      this.index = index;
      this.random = new Random(seed);
      TransportConfig config = config(index)
          .closeTimeout(Duration.ofMillis(500))
          .maxInboundConnectionsPerAddress(64) // every node is on 127.0.0.1
          .build();
      this.node = PeerNode.builder(NioTransport.builder(ByteArrayCodec.instance())
              .config(config).factory())
          .listen(listen)
          .dial(dial.toArray(new InetSocketAddress[0]))
          .maxPerAddress(64)
          .reconnect(Duration.ofMillis(20), Duration.ofMillis(200))
          .onMessage(LoadTest.this::onMessage)
          .build();
      this.traffic = new Thread(() -> run(stopAt), "load-n" + index);
      traffic.setDaemon(true);
      traffic.start();
    }

    private void run(long stopAt) {
      long next = System.nanoTime();
      for (long tick = 1; running && System.nanoTime() - stopAt < 0; tick++) {
        List<Connection<byte[]>> peers = node.peers();
        if (!peers.isEmpty()) {
          if (tick % 50 == 0) {
            broadcast(message(BROADCAST, 1024));
          } else if (tick % 200 == 7) {
            unicast(peers.get(random.nextInt(peers.size())), message(LARGE, 256 * 1024));
          }
          for (Connection<byte[]> c : peers) {
            unicast(c, message(SMALL, 64 + random.nextInt(64)));
          }
        }
        next += TICK_NANOS; // the traffic's pace
        long now = System.nanoTime();
        if (now - next > TimeUnit.MILLISECONDS.toNanos(100)) {
          next = now; // fell behind (a loaded machine): no burst to catch up
        }
        LockSupport.parkNanos(next - now);
      }
    }

    private byte[] message(byte kind, int body) {
      byte[] m = new byte[HEADER + body];
      for (int i = HEADER; i < m.length; i += 8) {
        long r = random.nextLong();
        for (int j = i; j < Math.min(i + 8, m.length); j++, r >>>= 8) {
          m[j] = (byte) r;
        }
      }
      crc.reset();
      crc.update(m, HEADER, body);
      ByteBuffer.wrap(m).put(kind).put((byte) index).putLong(++g).putInt((int) crc.getValue());
      return m;
    }

    /**
     * The ledger of {@code c}. Loopback may reuse an address pair in TIME_WAIT for a new
     * connection (tcp_tw_reuse); the old one is closed by then and its ledger is retired.
     */
    private Ledger ledger(Connection<byte[]> c) {
      return ledgers.compute(key(c.localAddress(), c.remoteAddress()), (k, old) -> {
        if (old == null) {
          return new Ledger(c);
        }
        if (old.connection == c) {
          return old;
        }
        if (old.connection.closeCause() == null) {
          fail("two open connections with one address pair: " + c + ", " + old.connection);
        }
        tail(old);
        return new Ledger(c);
      });
    }

    private void unicast(Connection<byte[]> c, byte[] m) {
      byte kind = m[0];
      Entry e = new Entry(ByteBuffer.wrap(m).getLong(2), KIND[kind] + " on " + c);
      ledger(c).entries.add(e);
      sent[kind].increment();
      CompletableFuture<Void> f = c.send(m);
      e.future = f;
      count(kind, f);
    }

    private void broadcast(byte[] m) {
      long g = ByteBuffer.wrap(m).getLong(2);
      Map<NodeId, Connection<byte[]>> before = snapshot();
      Map<NodeId, Entry> noted = new HashMap<>();
      before.forEach((id, c) -> {
        Entry e = new Entry(g, "broadcast on " + c);
        ledger(c).entries.add(e);
        noted.put(id, e);
      });
      BroadcastResult result = node.broadcast(m);
      Map<NodeId, Connection<byte[]>> after = snapshot();
      noted.forEach((id, e) -> {
        if (result.peers().contains(id) && after.get(id) == before.get(id)) {
          e.future = result.future(id);
        } else {
          e.maybe = true;
        }
      });
      for (NodeId id : result.peers()) {
        sent[BROADCAST].increment();
        count(BROADCAST, result.future(id));
      }
    }

    private Map<NodeId, Connection<byte[]>> snapshot() {
      Map<NodeId, Connection<byte[]>> m = new HashMap<>();
      for (Connection<byte[]> c : node.peers()) {
        m.put(c.peer().nodeId(), c);
      }
      return m;
    }

    private void count(byte kind, CompletableFuture<Void> f) {
      f.whenComplete((v, t) -> (t == null ? written : notWritten)[kind].increment());
    }

    /** Stops the traffic thread, waiting up to 10 s. */
    void stopTraffic() throws InterruptedException {
      running = false;
      traffic.join(10_000);
      assertTrue(!traffic.isAlive(), "traffic thread of n" + index + " stopped");
    }
  }

  // ---- the run -----------------------------------------------------------------------------

  @Test
  void shouldLoseNothingAndReorderNothingUnderMixedTrafficAndChurn() throws Exception {
    assertTimeoutPreemptively(Duration.ofSeconds(seconds + 150), this::run);
  }

  private void run() throws Exception {
    boolean counting = openDescriptors() > 0;
    ManyConnectionsTest.warmUp(); // one-time JDK descriptors open before the baseline
    Peers.await("threads of earlier tests to end", 30, () -> duplexThreads() == 0);
    long descriptorsBefore = openDescriptors();
    long start = System.nanoTime();
    long stopAt = start + TimeUnit.SECONDS.toNanos(seconds);
    Random random = new Random(42);
    Member[] members = new Member[NODES];
    InetSocketAddress[] addresses = new InetSocketAddress[NODES];
    List<long[]> figures = new ArrayList<>(); // {seconds, heap, threads, fds}
    try {
      for (int i = 0; i < NODES; i++) {
        members[i] = join(i, Peers.ANY_LOCAL, addresses, stopAt, random);
        addresses[i] = members[i].node.listenAddress().orElseThrow();
      }
      awaitFullMesh(members);
      long nextSample = System.nanoTime();
      long nextChurn = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
      // Churn: n1..n3 leave and rejoin on the same address, one at a time; n0 stays.
      long churnEnd = stopAt - TimeUnit.SECONDS.toNanos(2);
      for (int round = 0; round < 100_000 && System.nanoTime() - churnEnd < 0; round++) {
        LockSupport.parkNanos(nextChurn - System.nanoTime()); // the churn's pace
        nextChurn = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1000);
        int k = 1 + random.nextInt(NODES - 1);
        members[k].stopTraffic();
        members[k].node.close();
        leaves++;
        Peers.await("the others see n" + k + " leave", 30,
            () -> others(members, k).allMatch(m -> m.node.size() == NODES - 2));
        members[k] = join(k, addresses[k], addresses, stopAt, random);
        joins++;
        awaitFullMesh(members);
        if (System.nanoTime() - nextSample >= 0) {
          nextSample += SAMPLE_NANOS;
          prune();
          figures.add(sample(start));
        }
      }
      LockSupport.parkNanos(stopAt - System.nanoTime()); // traffic runs its full duration
      for (Member m : members) {
        m.stopTraffic();
      }
      checkLedgers();
    } finally {
      for (Member m : members) {
        if (m != null) {
          m.running = false;
          m.node.close();
        }
      }
    }
    Peers.await("every duplex thread to end", 30, () -> duplexThreads() == 0);
    if (counting) {
      Peers.await("descriptors back to " + descriptorsBefore + " (now " + openDescriptors() + ")",
          30, () -> openDescriptors() <= descriptorsBefore);
    }
    report(start);
    assertEquals(List.of(), new ArrayList<>(failures), failureCount.get() + " failures");
    for (byte kind = 0; kind < 3; kind++) {
      assertTrue(received[kind].sum() > 0, "some " + KIND[kind] + " messages arrived");
    }
    assertTrue(leaves > 0 && ledgersOpenAtEnd > 0, "churn happened and connections were checked");
    if (checkFlat) {
      assertFlat(figures);
    }
  }

  private Member join(int index, InetSocketAddress listen, InetSocketAddress[] addresses,
      long stopAt, Random random) throws Exception {
    List<InetSocketAddress> dial = new ArrayList<>();
    for (int j = 0; j < index; j++) {
      dial.add(addresses[j]); // node i dials every node before it; the others dial it
    }
    for (int attempt = 1; ; attempt++) {
      try {
        return new Member(index, listen, dial, stopAt, random.nextLong());
      } catch (BindException e) {
        if (attempt == 50) {
          throw e;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // retry pace, bounded
      }
    }
  }

  private static Stream<Member> others(Member[] members, int k) {
    return Arrays.stream(members).filter(m -> m.index != k);
  }

  private static void awaitFullMesh(Member[] members) {
    Peers.await("every node connected to every other", 30,
        () -> Arrays.stream(members).allMatch(m -> m.node.size() == NODES - 1));
  }

  /** Drops ledgers and receive states of connections closed long ago; counts their lost tail. */
  private void prune() {
    long now = System.nanoTime();
    ledgers.values().removeIf(l -> {
      if (l.closedAt == 0 || now - l.closedAt < PRUNE_AFTER_NANOS) {
        return false;
      }
      tail(l);
      return true;
    });
    receiving.values().removeIf(r -> r.closedAt != 0 && now - r.closedAt > PRUNE_AFTER_NANOS);
  }

  /** Counts what a closed connection wrote that never arrived: allowed, but printed. */
  private void tail(Ledger l) {
    ledgersChecked.increment();
    for (Entry e : l.entries) {
      if (e.succeeded()) {
        tailLost.increment();
      }
    }
  }

  private void checkLedgers() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    for (Ledger l : ledgers.values()) {
      for (Entry e : l.entries) {
        await(e.future, deadline);
      }
    }
    for (Entry e : skipped) {
      await(e.future, deadline);
    }
    Peers.await("every open connection's receiver to take what was written", 30,
        () -> ledgers.values().stream().allMatch(l -> l.connection.closeCause() != null
            || l.entries.stream().noneMatch(Entry::succeeded)));
    for (Ledger l : ledgers.values()) {
      if (l.connection.closeCause() == null) {
        ledgersChecked.increment();
        ledgersOpenAtEnd++;
        l.entries.stream().filter(Entry::succeeded).limit(3)
            .forEach(e -> fail("lost on an open connection: " + e.g + " " + e.where));
      } else {
        tail(l);
      }
    }
    for (Entry e : skipped) {
      if (e.succeeded()) {
        fail("gap: " + e.g + " written, then passed over by a later message, " + e.where);
      }
    }
  }

  private static void await(CompletableFuture<Void> f, long deadline) {
    if (f == null) {
      return;
    }
    try {
      f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("a send's future did not complete within 30 s of the end", e);
    } catch (Exception e) {
      // failed sends are fine here; succeeded() tells them apart
    }
  }

  private long[] sample(long start) {
    System.gc();
    Runtime rt = Runtime.getRuntime(); // java.management is not in this module's graph
    long[] s = {TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start),
        rt.totalMemory() - rt.freeMemory(),
        duplexThreads(), openDescriptors()};
    samples.add(s[0] + "s heap " + (s[1] >> 20) + " MiB, threads " + s[2] + ", fds " + s[3]);
    return s;
  }

  /**
   * Flat: after a warm-up (the first tenth of the samples: JIT, pools, buffers growing to their
   * working size), the last third's largest sample is no larger than the first third's largest
   * plus a margin. Each sample is taken with the full mesh up, right after a rejoin, after
   * System.gc(). Margins: heap +50% + 16 MiB (the young generation and the in-flight 256 KiB
   * proposals vary between samples; a leak of one 256 KiB buffer per rejoin, several hundred
   * rejoins in 10 minutes, or of one small object per message, millions, is far above it);
   * threads + NODES * (NODES - 1) (each node's handler pool is a cached pool that grows to one
   * thread per connection draining at once and keeps idle threads 30 s, so it varies by up to
   * one thread per connection); descriptors +16 (about one node's worth: a listener, two
   * selectors and both ends of its connections, e.g. a duplicate connection being closed). A
   * leak of one thread or descriptor per rejoin or per connection grows by hundreds.
   */
  private static void assertFlat(List<long[]> figures) {
    int warm = Math.max(1, figures.size() / 10);
    List<long[]> s = figures.subList(warm, figures.size());
    assertTrue(s.size() >= 6, "at least 6 samples after warm-up: " + s.size());
    int third = s.size() / 3;
    long[] margin = {0, 0, NODES * (NODES - 1), 16};
    for (int f = 1; f <= 3; f++) {
      int field = f;
      long first = s.subList(0, third).stream().mapToLong(x -> x[field]).max().orElseThrow();
      long last = s.subList(s.size() - third, s.size()).stream().mapToLong(x -> x[field]).max()
          .orElseThrow();
      long allowed = field == 1 ? first + first / 2 + (16L << 20) : first + margin[field];
      assertTrue(last <= allowed, new String[] {"", "heap after GC", "duplex threads",
          "open descriptors"}[field] + " grew: first third max " + first
          + ", last third max " + last + ", allowed " + allowed);
    }
  }

  private void report(long start) {
    StringBuilder r = new StringBuilder("LoadTest: " + seconds + " s requested, "
        + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) + " s run, " + NODES
        + " nodes, " + leaves + " leaves, " + joins + " joins\n");
    for (int k = 0; k < 3; k++) {
      r.append(String.format("  %-9s sent %9d, written %9d, not written %6d, received %9d"
              + " (%d MiB)%n", KIND[k], sent[k].sum(), written[k].sum(), notWritten[k].sum(),
          received[k].sum(), receivedBytes[k].sum() >> 20));
    }
    r.append("  connections checked ").append(ledgersChecked).append(" (open at end ")
        .append(ledgersOpenAtEnd).append("), written but cut by a close (tail) ")
        .append(tailLost.sum()).append(", unattributed broadcasts ").append(unattributed.sum())
        .append(", failures ").append(failureCount.get()).append('\n');
    samples.forEach(s -> r.append("  sample ").append(s).append('\n'));
    System.out.print(r);
  }
}
