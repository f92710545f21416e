package io.duplex.nio;

import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.ConnectionListener;
import io.duplex.Lane;
import io.duplex.NodeId;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.nio.Netns.End;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Workload 6 (votes behind blocks, same direction; the benchmarks module's {@code LaneScenario})
 * over a link shaped to 100 Mbit/s between two network namespaces' ends of a veth pair
 * ({@link Netns}). A, the sender, is a child JVM inside the namespace, so that the namespace's own
 * TCP sysctls ({@code net.ipv4.tcp_notsent_lowat}, the congestion control) apply to its socket and
 * not to the host's; B, the receiver, is this JVM in the root namespace. The namespace's end of
 * the link (A to B) is shaped with {@code tbf} at 100 Mbit/s; B to A (acks, credit) is not.
 *
 * <p>A streams 16 MiB blocks on one connection as fast as {@code isWritable()} allows and, on the
 * same connection, sends 100-byte votes at a fixed 1,000 per second, each carrying its intended
 * send time ({@link System#nanoTime()}, CLOCK_MONOTONIC, the same clock in both JVMs). B records
 * each vote's latency from its intended time (after a warm-up) and the times at which whole
 * blocks complete, from which block goodput: (completed blocks - 1) x 16 MiB over the time
 * between the first and the last completion in the measured window. Variants: {@code one-lane}
 * (duplex without lanes) and {@code lanes} (votes on a {@code consensus} lane, weight 100, 64 KiB
 * max; blocks on a {@code blocks} lane, weight 10, 17 MiB max, 64 MiB hard limit). Raw bytes
 * ({@link ByteArrayCodec}), plaintext.
 *
 * <p>While it runs, B samples (every 250 ms) A's socket send queue ({@code ss}: unacked plus
 * not-yet-sent bytes) and the {@code tbf} backlog, and reports their means and maxima and the
 * qdisc's drops: the block bytes ahead of a vote that lanes cannot reorder.
 *
 * <pre>
 *   NetnsLanes [key=value...]
 *     variant=one-lane|lanes|both (both)  seconds=S (20, 2 of them warm-up)
 *     sndbuf=BYTES      SO_SNDBUF of A's socket (0: the kernel's autotuning; Linux doubles it)
 *     lowat=BYTES       net.ipv4.tcp_notsent_lowat in A's namespace (0: the kernel's default)
 *     limit=BYTES       the tbf queue limit (0: "latency 50ms", about 660 KB at this rate)
 *     secure=true       the secure channel instead of plaintext (a diagnostic)
 *     lent=true         B receives on the lent path (a PayloadHandler), not as byte[] messages
 *     senderjvm="OPTS"  A's JVM options (default: -Xms1g -Xmx1g -XX:+AlwaysPreTouch, G1)
 *     cc=NAME           net.ipv4.tcp_congestion_control in A's namespace (default: inherited)
 *     rate=100mbit burst=32kb
 *     matrix=true       runs the documented set of configurations instead, each variant each
 * </pre>
 *
 * It prints one line per run. Where namespaces cannot be made, it prints why and exits 0.
 * {@link NetnsLanesTest} runs it briefly as part of the suite, asserting only that votes and
 * blocks flowed.
 */
final class NetnsLanes {
  static final int BLOCK = 16 << 20;
  static final int VOTE = 100;
  static final int RATE = 1_000;
  static final Lane CONSENSUS = Lane.builder("consensus").weight(100).maxMessageSize(64 * 1024)
      .build();
  static final Lane BLOCKS = Lane.builder("blocks").weight(10).maxMessageSize(17 << 20)
      .outboundHardLimit(64L << 20).build();
  private static final Pattern BACKLOG = Pattern.compile("backlog (\\d+)b");
  private static final Pattern DROPPED = Pattern.compile("dropped (\\d+)");

  private NetnsLanes() {}

  /** One configuration of the link and of A's socket. */
  record Setup(boolean lanes, int seconds, int sndbuf, int lowat, int limit, String cc,
      String rate, String burst, boolean secure, boolean lent) {
    String describe() {
      return (lanes ? "lanes" : "one-lane") + (secure ? " secure" : "") + (lent ? " lent" : "")
          + " sndbuf=" + (sndbuf == 0 ? "auto" : sndbuf)
          + " lowat=" + (lowat == 0 ? "off" : lowat) + " tbf-limit="
          + (limit == 0 ? "50ms" : limit) + (cc == null ? "" : " cc=" + cc);
    }

    /** The link's rate in bytes per second, from "100mbit". */
    double rateBytesPerSecond() {
      String r = rate.toLowerCase(Locale.ROOT);
      double scale = r.endsWith("gbit") ? 1e9 : r.endsWith("mbit") ? 1e6 : r.endsWith("kbit")
          ? 1e3 : 1;
      return Double.parseDouble(r.replaceAll("[a-z]+$", "")) * scale / 8;
    }
  }

  /**
   * What B measured in one run.
   *
   * @param latencies vote latencies from intended send time, in ns, sorted (measured window)
   * @param blocks blocks completed in the measured window
   * @param blocksTotal blocks completed in the whole run, warm-up and drain included
   * @param goodput block bytes per second between the first and last completion in the window
   */
  record Result(Setup setup, long votesSent, long votesReceived, long[] latencies, int blocks,
      int blocksTotal, double goodput, long sendQueueMean, long sendQueueMax, long backlogMean, long backlogMax,
      long drops, String problem) {
    double percentile(double p) {
      if (latencies.length == 0) {
        return Double.NaN;
      }
      int i = (int) Math.ceil(p / 100 * latencies.length) - 1;
      return latencies[Math.max(0, Math.min(latencies.length - 1, i))] / 1e6;
    }

    String line() {
      return String.format(Locale.ROOT, "%s: votes %d/%d, vote ms p50 %.2f p99 %.2f p99.9 %.2f"
          + " max %.2f; blocks %d, goodput %.2f MB/s (%.1f%% of the link); A's send queue"
          + " mean %d KB max %d KB; tbf backlog mean %d KB max %d KB, drops %d%s",
          setup.describe(), votesReceived, votesSent, percentile(50), percentile(99),
          percentile(99.9), percentile(100), blocks, goodput / 1e6,
          100 * goodput / setup.rateBytesPerSecond(), sendQueueMean / 1000, sendQueueMax / 1000,
          backlogMean / 1000, backlogMax / 1000, drops,
          problem == null ? "" : "; problem: " + problem);
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> s = settings(args, 0);
    if (args.length >= 2 && args[0].equals("sender")) {
      sender(InetAddress.getByName(args[1]), settings(args, 2));
      return;
    }
    List<Setup> setups = new ArrayList<>();
    int seconds = Integer.parseInt(s.getOrDefault("seconds", "20"));
    String rate = s.getOrDefault("rate", "100mbit");
    String burst = s.getOrDefault("burst", "32kb");
    boolean secure = Boolean.parseBoolean(s.getOrDefault("secure", "false"));
    boolean lent = Boolean.parseBoolean(s.getOrDefault("lent", "false"));
    List<String> jvm = s.containsKey("senderjvm")
        ? List.of(s.get("senderjvm").split(" ")) : BENCHMARK_JVM;
    if (Boolean.parseBoolean(s.getOrDefault("matrix", "false"))) {
      int[][] matrix = { // sndbuf, lowat, limit
          {0, 0, 0}, {65_536, 0, 0}, {16_384, 0, 0}, {0, 131_072, 0}, {0, 16_384, 0},
          {16_384, 16_384, 0}, {0, 0, 65_536}, {16_384, 0, 65_536}};
      for (int[] m : matrix) {
        for (boolean lanes : new boolean[] {false, true}) {
          setups.add(new Setup(lanes, seconds, m[0], m[1], m[2], s.get("cc"), rate, burst,
              secure, lent));
        }
      }
    } else {
      String variant = s.getOrDefault("variant", "both");
      for (boolean lanes : new boolean[] {false, true}) {
        if (variant.equals("both") || variant.equals(lanes ? "lanes" : "one-lane")) {
          setups.add(new Setup(lanes, seconds, Integer.parseInt(s.getOrDefault("sndbuf", "0")),
              Integer.parseInt(s.getOrDefault("lowat", "0")),
              Integer.parseInt(s.getOrDefault("limit", "0")), s.get("cc"), rate, burst,
              secure, lent));
        }
      }
    }
    try {
      for (Setup setup : setups) {
        System.out.println(run(setup, jvm).line());
        System.out.flush();
      }
    } catch (org.opentest4j.TestAbortedException e) {
      System.out.println("SKIPPED: " + e.getMessage());
    }
    System.exit(0);
  }

  private static Map<String, String> settings(String[] args, int from) {
    Map<String, String> settings = new HashMap<>();
    for (int i = from; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      if (kv.length == 2) {
        settings.put(kv[0], kv[1]);
      }
    }
    return settings;
  }

  static TransportConfig config(String node, boolean lanes, boolean secure) {
    TransportConfig.Builder b = secure
        ? TransportConfig.builder().identity(io.duplex.security.Identity.generate())
        : TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of(node));
    b.maxFrameSize(17 << 20);
    if (lanes) {
      b.lanes(CONSENSUS, BLOCKS);
    }
    return b.build();
  }

  // ---- B: this JVM, the root namespace ---------------------------------------------------

  /**
   * One run: a fresh namespace shaped as {@code setup} says, A started in it, B connected to A
   * from here, {@code setup.seconds()} of votes and blocks, then the figures. Skips (a JUnit
   * assumption) where namespaces or {@code tbf} are not available.
   */
  static Result run(Setup setup) throws Exception {
    return run(setup, null);
  }

  /**
   * The JVM options of A when this runs as a benchmark ({@link #main}): the heap and collector
   * the benchmarks use, not the test children's small serial-GC heap, whose pauses on 16 MiB
   * blocks stop A's write loop and vote sender (they set the vote tail before this was found).
   */
  static final List<String> BENCHMARK_JVM = List.of("-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch");

  /** As {@link #run(Setup)}, A's JVM started with {@code jvm} (null: the test defaults). */
  static Result run(Setup setup, List<String> jvm) throws Exception {
    try (Netns ns = Netns.create()) {
      String[] tbf = setup.limit() == 0
          ? new String[] {"tbf", "rate", setup.rate(), "burst", setup.burst(), "latency", "50ms"}
          : new String[] {"tbf", "rate", setup.rate(), "burst", setup.burst(), "limit",
              Integer.toString(setup.limit())};
      ns.requireQdisc("tbf", "rate", "1mbit", "burst", "16kb", "latency", "50ms");
      if (setup.lowat() > 0) {
        sysctl(ns, "net.ipv4.tcp_notsent_lowat", setup.lowat());
      }
      if (setup.cc() != null) {
        sysctl(ns, "net.ipv4.tcp_congestion_control", setup.cc());
      }
      ns.shape(End.PEER, tbf);
      String[] args = {"lanes=" + setup.lanes(), "sndbuf=" + setup.sndbuf(),
          "secure=" + setup.secure()};
      Netns.Child a = jvm == null ? ns.start(NetnsLanes.class, "sender", args)
          : ns.start(NetnsLanes.class, jvm, "sender", args);
      long warmup = TimeUnit.SECONDS.toNanos(Math.min(2, setup.seconds() / 2));
      Sink sink = new Sink(setup.seconds() * RATE);
      AtomicReference<String> problem = new AtomicReference<>();
      NioTransport.Builder<byte[]> bb = NioTransport.builder(ByteArrayCodec.instance());
      if (setup.lent()) {
        bb.payloadHandler((conn, lane, payload) -> sink.arrived(payload));
      }
      Transport<byte[]> b = bb
          .config(config("b", setup.lanes(), setup.secure()))
          .listener(new ConnectionListener<>() {
            @Override
            public void onOpen(Connection<byte[]> c) {
              if (!setup.lent()) {
                c.onMessage((conn, m) -> sink.arrived(ByteBuffer.wrap(m)));
              }
            }

            @Override
            public void onClose(Connection<byte[]> c, ConnectionClosedException cause) {
              if (cause != null) {
                problem.compareAndSet(null, "B's connection closed: " + cause);
              }
            }
          }).build();
      try (b) {
        b.connect(new InetSocketAddress(ns.peerAddress, a.port)).get(10, TimeUnit.SECONDS);
        String going = a.ask("go " + setup.seconds(), "GOING ");
        long start = Long.parseLong(going.substring("GOING ".length()).trim());
        sink.window(start + warmup, start + TimeUnit.SECONDS.toNanos(setup.seconds()));
        Sampler sampler = new Sampler(ns);
        sampler.start();
        String done = a.awaitLine("DONE", l -> l.startsWith("DONE "), setup.seconds() + 30);
        long sent = Long.parseLong(done.split(" ")[1].substring("sent=".length()));
        if (done.contains("problem=")) {
          problem.compareAndSet(null, "A: " + done.substring(done.indexOf("problem=") + 8));
        }
        long drained = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (sink.votes() < sent && System.nanoTime() - drained < 0) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        sampler.stop();
        long[] tbfStats = sampler.tbfTotals();
        return new Result(setup, sent, sink.votes(), sink.latencies(), sink.blocksInWindow(),
            sink.completions.size(), sink.goodput(), sampler.mean(sampler.sendQueue), sampler.max(sampler.sendQueue),
            sampler.mean(sampler.backlog), sampler.max(sampler.backlog), tbfStats[0],
            problem.get());
      }
    }
  }

  private static void sysctl(Netns ns, String key, Object value) throws IOException {
    Netns.run("ip", "netns", "exec", ns.name, "sysctl", "-w", key + "=" + value);
  }

  /** B's measurements, from the read loop's handler thread. */
  static final class Sink {
    private final long[] latencies;
    private final List<Long> completions = new CopyOnWriteArrayList<>();
    private final AtomicInteger recorded = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong votes =
        new java.util.concurrent.atomic.AtomicLong();
    private volatile long from = Long.MAX_VALUE;
    private volatile long until = Long.MAX_VALUE;

    Sink(int maxVotes) {
      latencies = new long[maxVotes + 1];
    }

    void window(long from, long until) {
      this.until = until;
      this.from = from;
    }

    void arrived(ByteBuffer m) {
      long now = System.nanoTime();
      if (m.remaining() == VOTE) {
        long intended = m.getLong(m.position());
        if (intended >= from && intended < until) {
          int i = recorded.getAndIncrement();
          if (i < latencies.length) {
            latencies[i] = Math.max(0, now - intended);
          }
        }
        votes.incrementAndGet();
      } else {
        completions.add(now);
      }
    }

    long votes() {
      return votes.get();
    }

    long[] latencies() {
      long[] l = Arrays.copyOf(latencies, Math.min(recorded.get(), latencies.length));
      Arrays.sort(l);
      return l;
    }

    private List<Long> inWindow() {
      List<Long> in = new ArrayList<>();
      for (long t : completions) {
        if (t >= from && t < until) {
          in.add(t);
        }
      }
      return in;
    }

    int blocksInWindow() {
      return inWindow().size();
    }

    double goodput() {
      List<Long> in = inWindow();
      if (in.size() < 2) {
        return 0;
      }
      return (in.size() - 1) * (double) BLOCK / ((in.get(in.size() - 1) - in.get(0)) / 1e9);
    }
  }

  /** Samples A's socket send queue and the tbf backlog in A's namespace while a run goes on. */
  static final class Sampler {
    final List<Long> sendQueue = new CopyOnWriteArrayList<>();
    final List<Long> backlog = new CopyOnWriteArrayList<>();
    private final Netns ns;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    Sampler(Netns ns) {
      this.ns = ns;
      thread = new Thread(this::loop, "netns-sampler");
      thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    private void loop() {
      while (running.get()) {
        try {
          long q = 0;
          for (String line : Netns.run("ip", "netns", "exec", ns.name, "ss", "-tnH", "state",
              "established").split("\n")) {
            String[] f = line.trim().split("\\s+");
            int at = f.length > 0 && f[0].matches("\\d+") ? 1 : 2; // a State column or not
            if (f.length > at) { // [State] Recv-Q Send-Q Local Peer
              q = Math.max(q, Long.parseLong(f[at]));
            }
          }
          sendQueue.add(q);
          Matcher m = BACKLOG.matcher(tcStats());
          if (m.find()) {
            backlog.add(Long.parseLong(m.group(1)));
          }
        } catch (IOException | RuntimeException e) {
          // a sample missed
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250));
      }
    }

    private String tcStats() throws IOException {
      return Netns.run("tc", "-n", ns.name, "-s", "qdisc", "show", "dev", ns.peerIf);
    }

    void stop() throws InterruptedException {
      running.set(false);
      thread.join(5_000);
    }

    /** The qdisc's drops so far. */
    long[] tbfTotals() {
      try {
        Matcher m = DROPPED.matcher(tcStats());
        return new long[] {m.find() ? Long.parseLong(m.group(1)) : -1};
      } catch (IOException e) {
        return new long[] {-1};
      }
    }

    long mean(List<Long> samples) {
      return samples.isEmpty() ? -1
          : Math.round(samples.stream().mapToLong(Long::longValue).average().orElse(0));
    }

    long max(List<Long> samples) {
      return samples.stream().mapToLong(Long::longValue).max().orElse(-1);
    }
  }

  // ---- A: the child JVM in the namespace ---------------------------------------------------

  /**
   * A: listens on {@code bind}, prints {@code READY <port>}; on {@code go <seconds>} (once B
   * has connected) prints {@code GOING <start nanoTime>}, streams blocks and sends votes for
   * that long, then prints {@code DONE sent=<votes> [problem=...]}. Exits when stdin ends.
   */
  static void sender(InetAddress bind, Map<String, String> s) throws Exception {
    boolean lanes = Boolean.parseBoolean(s.getOrDefault("lanes", "false"));
    int sndbuf = Integer.parseInt(s.getOrDefault("sndbuf", "0"));
    boolean secure = Boolean.parseBoolean(s.getOrDefault("secure", "false"));
    NioTransport.Builder<byte[]> builder = NioTransport.builder(ByteArrayCodec.instance());
    if (sndbuf > 0) {
      builder.sendBufferSize(sndbuf);
    }
    CompletableFuture<Connection<byte[]>> opened = new CompletableFuture<>();
    AtomicReference<String> problem = new AtomicReference<>();
    Transport<byte[]> a = builder.config(config("a", lanes, secure))
        .listener(new ConnectionListener<>() {
          @Override
          public void onOpen(Connection<byte[]> c) {
            opened.complete(c);
          }

          @Override
          public void onClose(Connection<byte[]> c, ConnectionClosedException cause) {
            if (cause != null) {
              problem.compareAndSet(null, "A's connection closed: " + cause);
            }
          }
        }).build();
    InetSocketAddress at = a.listen(new InetSocketAddress(bind, 0));
    print("READY " + at.getPort());
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in,
        StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.startsWith("go ")) {
        int seconds = Integer.parseInt(line.substring(3).trim());
        Connection<byte[]> c = opened.get(10, TimeUnit.SECONDS);
        Thread t = new Thread(() -> stream(c, lanes, seconds, problem), "a-run");
        t.setDaemon(true);
        t.start();
      } else if (line.equals("exit")) {
        break;
      }
    }
    a.close();
    System.exit(0);
  }

  private static void stream(Connection<byte[]> c, boolean lanes, int seconds,
      AtomicReference<String> problem) {
    AtomicBoolean streaming = new AtomicBoolean(true);
    Thread streamer = new Thread(() -> {
      byte[] block = new byte[BLOCK];
      while (streaming.get()) {
        while (!c.isWritable()) {
          if (!c.isAlive() || !streaming.get()) {
            return;
          }
          LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
        }
        watch(lanes ? c.send(BLOCKS, block) : c.send(block), "block", problem);
      }
    }, "a-streamer");
    streamer.setDaemon(true);
    long start = System.nanoTime();
    print("GOING " + start);
    streamer.start();
    long period = TimeUnit.SECONDS.toNanos(1) / RATE;
    long sent = 0;
    for (long i = 0; i < (long) seconds * RATE; i++) {
      long intended = start + i * period;
      long wait;
      while ((wait = intended - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      byte[] vote = new byte[VOTE];
      ByteBuffer.wrap(vote).putLong(0, intended);
      watch(lanes ? c.send(CONSENSUS, vote) : c.send(vote), "vote", problem);
      sent++;
    }
    streaming.set(false);
    String p = problem.get();
    print("DONE sent=" + sent + (p == null ? "" : " problem=" + p));
  }

  private static void watch(CompletableFuture<Void> sent, String what,
      AtomicReference<String> problem) {
    sent.whenComplete((v, e) -> {
      if (e != null) {
        problem.compareAndSet(null, "a " + what + " send failed: " + e);
      }
    });
  }

  private static synchronized void print(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
