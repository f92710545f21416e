package io.duplex.examples;

import io.duplex.codec.Codec;
import io.duplex.codec.Codecs;
import io.duplex.codec.json.JsonCodec;
import io.duplex.codec.message.ConsensusMessage;
import io.duplex.codec.message.Proposal;
import io.duplex.codec.message.Vote;
import io.duplex.codec.message.VoteType;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The demo: a small P2P network on 127.0.0.1 running a consensus-like load. A rotating proposer
 * broadcasts a block proposal every 200 ms; every node that receives one broadcasts a vote; the
 * last {@code --slow} nodes read slowly, like peers on a poor link. It shows progress while it
 * runs and a summary at the end, for duplex ({@code split}), for the single-locked design
 * duplex replaces ({@code locked}), or for both side by side. Duplex runs with lanes by default
 * (proposals on a {@code blocks} lane, votes on a {@code consensus} lane); {@code --lanes off}
 * runs it on one lane as before lanes, and {@code --lanes both} runs it both ways.
 */
final class Demo {
  static final String USAGE = "demo [--nodes 8] [--slow 1] [--seconds 30]"
      + " [--mode split|locked|both] [--lanes on|off|both] [--port 0] [--block-kib 256]";
  static final long INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
  /** The slow nodes' read rate: a quarter of the 1.25 MiB/s of proposals the others send. */
  static final long SLOW_BYTES_PER_SECOND = 320 << 10;

  private Demo() {}

  /** What one mode's run measured; {@code lanes} is whether duplex ran with lanes. */
  record Outcome(String mode, boolean lanes, DemoStats stats, long mostPending,
      boolean complete) {
    /** The run's name in progress lines: "split, lanes", "split, no lanes", "locked". */
    String label() {
      return mode.equals("split") ? "split, " + (lanes ? "lanes" : "no lanes") : mode;
    }
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    int nodes;
    int slow;
    int seconds;
    String mode;
    String lanes;
    int port;
    int blockKib;
    try {
      Args a = Args.parse(args, Set.of("nodes", "slow", "seconds", "mode", "lanes", "port",
          "block-kib"));
      nodes = a.intValue("nodes", 8, 2, 64);
      slow = a.intValue("slow", 1, 0, nodes - 1);
      seconds = a.intValue("seconds", 30, 1, 3600);
      mode = a.oneOf("mode", "split", List.of("split", "locked", "both"));
      lanes = a.oneOf("lanes", "on", List.of("on", "off", "both"));
      port = a.intValue("port", 0, 0, 65535 - 3 * nodes);
      blockKib = a.intValue("block-kib", 256, 1, 8192);
    } catch (Args.UsageException e) {
      err.println("demo: " + e.getMessage());
      err.println("usage: " + USAGE);
      return Args.USAGE_STATUS;
    }
    boolean terminal = out == System.out && System.console() != null;
    out.printf(Locale.ROOT, "%d nodes on 127.0.0.1 (%d slow, reading %d KiB/s), a %d KiB proposal"
        + " every 200 ms, %d s per mode%n", nodes, slow, SLOW_BYTES_PER_SECOND >> 10, blockKib,
        seconds);
    warmUpCodec(blockKib << 10);
    // The runs, in order: duplex with lanes, duplex without, then the locked design.
    List<String> modes = mode.equals("both") ? List.of("split", "locked") : List.of(mode);
    List<Boolean> laneChoices = lanes.equals("both") ? List.of(true, false)
        : List.of(lanes.equals("on"));
    List<Outcome> outcomes = new ArrayList<>();
    int run = 0;
    for (String m : modes) {
      for (boolean withLanes : m.equals("split") ? laneChoices : List.of(false)) {
        // Each run gets its own ports, so that no run meets another's stragglers.
        int base = port == 0 ? 0 : port + run++ * nodes;
        try {
          outcomes.add(runMode(m, withLanes, nodes, slow, seconds, base, blockKib << 10, out,
              terminal));
        } catch (IOException e) {
          err.println("demo: cannot start the " + m + " network on 127.0.0.1"
              + (base == 0 ? "" : " ports " + base + "-" + (base + nodes - 1))
              + (m.equals("split") ? (withLanes ? " (lanes on)" : " (lanes off)") : "") + ": "
              + e + ". Choose free ports with --port, or --port 0 for any.");
          return 1;
        }
      }
    }
    DemoSummary.print(outcomes, slow, out);
    for (Outcome o : outcomes) {
      if (o.mode().equals("split") && !o.complete()) {
        err.println("demo: duplex (" + (o.lanes() ? "lanes on" : "lanes off")
            + ") lost messages between fast nodes: that is a bug");
        return 1;
      }
    }
    return 0;
  }

  /**
   * Encodes and decodes the demo's messages with the JSON codec both modes use, for about a
   * second, before either runs: otherwise whichever mode runs first pays for compiling the codec
   * and the second looks better for it (measured here: the locked vote p99 halved when it ran
   * after split).
   */
  private static void warmUpCodec(int blockBytes) {
    Codec<ConsensusMessage> codec = JsonCodec.consensus();
    Proposal proposal = new Proposal(1, 0, DemoNetwork.name(0), "%064x".formatted(1),
        new byte[blockBytes]);
    Vote vote = new Vote(1, 0, VoteType.PREVOTE, proposal.blockHash(), DemoNetwork.name(1), 1);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    for (int i = 0; i < 100_000 && System.nanoTime() < end; i++) {
      Codecs.decode(codec, Codecs.encode(codec, vote));
      if (i % 100 == 0) {
        Codecs.decode(codec, Codecs.encode(codec, proposal));
      }
    }
  }

  private static Outcome runMode(String mode, boolean lanes, int nodes, int slowCount,
      int seconds, int port, int blockBytes, PrintStream out, boolean terminal)
      throws IOException {
    boolean[] slow = new boolean[nodes];
    for (int i = nodes - slowCount; i < nodes; i++) {
      slow[i] = true;
    }
    DemoStats stats = new DemoStats(slow);
    byte[] block = new byte[blockBytes];
    new SplittableRandom(42).nextBytes(block);
    long mostPending = 0;
    boolean complete;
    ExecutorService[] proposers = new ExecutorService[nodes];
    try (DemoNetwork network = mode.equals("split")
        ? new SplitNetwork(stats, port, SLOW_BYTES_PER_SECOND, lanes)
        : new LockedNetwork(stats, port, SLOW_BYTES_PER_SECOND)) {
      for (int i = 0; i < nodes; i++) {
        proposers[i] = Executors.newSingleThreadExecutor(daemon("proposer-" + i));
      }
      String label = new Outcome(mode, lanes, stats, 0, false).label();
      Progress progress = new Progress(label, mode.equals("split"), out, terminal,
          nodes - slowCount);
      long start = System.nanoTime();
      long end = start + TimeUnit.SECONDS.toNanos(seconds);
      for (long height = 0; ; height++) {
        long due = start + height * INTERVAL_NANOS;
        if (due >= end) {
          break;
        }
        while (System.nanoTime() < due) {
          mostPending = Math.max(mostPending, pending(network, slowCount, nodes));
          progress.maybePrint(stats, mostPending, System.nanoTime() - start);
          LockSupport.parkNanos(Math.min(due - System.nanoTime(), 20_000_000L));
        }
        int proposer = (int) (height % nodes);
        Proposal p = new Proposal(height, 0, DemoNetwork.name(proposer),
            String.format(Locale.ROOT, "%064x", height), block);
        stats.proposing(proposer, p.height()); // due now: a proposer that is stuck is charged
        proposers[proposer].execute(() -> {
          long t0 = System.nanoTime();
          network.propose(proposer, p);
          stats.proposed(System.nanoTime() - t0);
        });
      }
      // Let what is in flight arrive: up to 10 s for duplex, 3 s for the locked design (whose
      // blocked writers may never finish; that is what it shows).
      long drain = System.nanoTime() + TimeUnit.SECONDS.toNanos(mode.equals("split") ? 10 : 3);
      while (!(complete = stats.fastNodesComplete()) && System.nanoTime() < drain) {
        mostPending = Math.max(mostPending, pending(network, slowCount, nodes));
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
      progress.finish(stats, mostPending, System.nanoTime() - start);
    } finally {
      for (ExecutorService e : proposers) {
        if (e != null) {
          e.shutdownNow();
        }
      }
    }
    return new Outcome(mode, lanes, stats, mostPending, complete);
  }

  /** The most bytes one node holds for the (last) slow node; -1 where nothing is queued. */
  private static long pending(DemoNetwork network, int slowCount, int nodes) {
    return slowCount == 0 ? 0 : network.pendingTowards(nodes - 1);
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
