package io.duplex.nio;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * A second host for tests: a Linux network namespace joined to this one by a veth pair, each end
 * with an address of a /30 from the benchmarking range 198.18.0.0/15 (RFC 2544), so nothing here
 * can reach or clash with a real network. The test JVM is the host in the root namespace
 * ({@link #rootAddress}); {@link #start} runs a {@link NetnsPeer} in a child JVM inside the
 * namespace ({@link #peerAddress}). Either end's egress can be shaped with a {@code tc} qdisc
 * (a rate with {@code tbf}, delay and loss with {@code netem}) and the link blackholed silently
 * (every packet dropped both ways: no RST, no FIN, no ICMP) and healed.
 *
 * <p>{@link #create} skips the calling test (a JUnit assumption, with the reason) where
 * namespaces cannot be made: not Linux, not root, no {@code ip}, no veth, or a sandbox that
 * forbids it. {@link #requireQdisc} does the same for a qdisc this kernel lacks. Once the
 * namespace exists, every later failure is a real failure. Every command runs with a timeout and
 * its output goes into the exception's message. {@link #close} ends the child JVMs, then deletes
 * the namespace (which deletes both veth ends); {@link #create} first deletes what a test JVM
 * that died left behind (names carry the pid).
 */
final class Netns implements AutoCloseable {
  /** One end of the veth pair: the test JVM's (root namespace) or the child's (the namespace). */
  enum End { ROOT, PEER }

  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static final long PID = ProcessHandle.current().pid();
  private static final Pattern NS_NAME = Pattern.compile("dxt-(\\d+)-(\\d+)");
  private static final Pattern LINK_NAME = Pattern.compile("dx(\\d+)r(\\d+)");
  private static final long COMMAND_SECONDS = 10;
  /** Qdisc kinds found present or missing on this kernel, by probe. */
  private static final Map<String, String> QDISC_PROBES = new ConcurrentHashMap<>();

  final String name;
  final String rootIf;
  final String peerIf;
  final InetAddress rootAddress;
  final InetAddress peerAddress;
  private final Map<End, String[]> shapes = new EnumMap<>(End.class);
  private final List<Child> children = new CopyOnWriteArrayList<>();
  private boolean blackholed;

  private Netns(String name, String rootIf, String peerIf, InetAddress rootAddress,
      InetAddress peerAddress) {
    this.name = name;
    this.rootIf = rootIf;
    this.peerIf = peerIf;
    this.rootAddress = rootAddress;
    this.peerAddress = peerAddress;
  }

  /**
   * A new namespace with its veth pair up and addressed, or the calling test skipped (with the
   * reason) where this machine does not allow it.
   */
  static Netns create() {
    Assumptions.assumeTrue(System.getProperty("os.name", "").toLowerCase().contains("linux"),
        "network namespaces need Linux; this is " + System.getProperty("os.name"));
    try {
      run("ip", "-V");
    } catch (IOException e) {
      Assumptions.abort("no usable `ip` command (iproute2): " + e.getMessage());
    }
    deleteStale();
    int n = COUNTER.incrementAndGet();
    String name = "dxt-" + PID + "-" + n;
    String rootIf = "dx" + PID + "r" + n; // at most 15 characters (IFNAMSIZ): pids < 10^7
    String peerIf = "dx" + PID + "p" + n;
    try {
      run("ip", "netns", "add", name);
    } catch (IOException e) {
      Assumptions.abort("cannot create a network namespace here (needs Linux, root or "
          + "CAP_SYS_ADMIN, and a kernel and sandbox that allow it): " + e.getMessage());
    }
    try {
      run("ip", "link", "add", rootIf, "type", "veth", "peer", "name", peerIf);
      run("ip", "link", "set", peerIf, "netns", name);
      int slot = freeSlot(n);
      InetAddress root = slotAddress(slot, 1);
      InetAddress peer = slotAddress(slot, 2);
      run("ip", "addr", "add", root.getHostAddress() + "/30", "dev", rootIf);
      run("ip", "-n", name, "addr", "add", peer.getHostAddress() + "/30", "dev", peerIf);
      run("ip", "link", "set", rootIf, "up");
      run("ip", "-n", name, "link", "set", peerIf, "up");
      run("ip", "-n", name, "link", "set", "lo", "up");
      run("ip", "netns", "exec", name, "true"); // the child JVMs start this way
      return new Netns(name, rootIf, peerIf, root, peer);
    } catch (IOException e) {
      quietly("ip", "netns", "del", name);
      quietly("ip", "link", "del", rootIf);
      Assumptions.abort("cannot build a veth pair into a network namespace here: "
          + e.getMessage());
      throw new AssertionError("unreachable");
    }
  }

  /**
   * Skips the calling test unless this kernel has the qdisc {@code kind}; {@code args} are
   * parameters it is probed with (tbf will not load without a rate). Probed once per kind, on
   * the root end's egress, which it leaves without a qdisc: call it before {@link #shape}.
   */
  void requireQdisc(String kind, String... args) {
    String missing = QDISC_PROBES.computeIfAbsent(kind, k -> {
      List<String> cmd = new ArrayList<>(List.of("tc", "qdisc", "replace", "dev", rootIf,
          "root", kind));
      cmd.addAll(List.of(args));
      try {
        run(cmd.toArray(new String[0]));
        run("tc", "qdisc", "del", "dev", rootIf, "root");
        return "";
      } catch (IOException e) {
        return e.getMessage();
      }
    });
    Assumptions.assumeTrue(missing.isEmpty(), () -> "this kernel has no `" + kind
        + "` qdisc (or no `tc`): " + missing);
  }

  /**
   * Replaces the root qdisc of {@code end}'s egress with {@code qdisc} (its kind, then its
   * parameters), e.g. {@code "tbf", "rate", "4mbit", "burst", "64kb", "latency", "50ms"}. It
   * stays in force across {@link #heal}.
   */
  synchronized void shape(End end, String... qdisc) throws IOException {
    if (!blackholed) {
      tc(end, "replace", qdisc);
    }
    shapes.put(end, qdisc.clone());
  }

  /**
   * Drops every packet both ways from now on, silently: a {@code blackhole} qdisc on both ends'
   * egress. Sockets get no reset, no FIN and no ICMP error; only timers can tell.
   */
  synchronized void blackhole() throws IOException {
    tc(End.PEER, "replace", "blackhole");
    tc(End.ROOT, "replace", "blackhole");
    blackholed = true;
  }

  /** Ends a {@link #blackhole}: each end gets back its {@link #shape}, or none. */
  synchronized void heal() throws IOException {
    for (End end : End.values()) {
      String[] shape = shapes.get(end);
      if (shape == null) {
        tc(end, "del");
      } else {
        tc(end, "replace", shape);
      }
    }
    blackholed = false;
  }

  private void tc(End end, String verb, String... qdisc) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("tc"));
    if (end == End.PEER) {
      cmd.addAll(List.of("-n", name));
    }
    cmd.addAll(List.of("qdisc", verb, "dev", end == End.ROOT ? rootIf : peerIf, "root"));
    cmd.addAll(List.of(qdisc));
    run(cmd.toArray(new String[0]));
  }

  /**
   * Starts {@code io.duplex.nio.NetnsPeer role args...} in a child JVM inside the namespace, on
   * this JVM's java and class path, and waits (up to 30 s) for its {@code READY <port>} line.
   * The child ends when {@link #close} closes its stdin, or is destroyed.
   */
  Child start(String role, String... args) throws IOException {
    return start(NetnsPeer.class, role, args);
  }

  /**
   * As {@link #start(String, String...)}, with another program than {@link NetnsPeer} whose
   * main takes the same arguments ({@code role bindAddress args...}) and prints the same
   * {@code READY <port>} line.
   */
  Child start(Class<?> main, String role, String... args) throws IOException {
    return start(main, List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx256m"), role,
        args);
  }

  /**
   * As {@link #start(Class, String, String...)}, with {@code jvm} as the child JVM's options
   * instead of the defaults (a small serial-GC heap and the client compiler: quick to start, for
   * tests; a benchmark wants the JVM it measures).
   */
  Child start(Class<?> main, List<String> jvm, String role, String... args) throws IOException {
    String java = ProcessHandle.current().info().command()
        .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator
            + "java");
    List<String> cmd = new ArrayList<>(List.of(tool("ip"), "netns", "exec", name, java));
    cmd.addAll(jvm);
    cmd.addAll(List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-cp", System.getProperty("java.class.path"),
        main.getName(), role, peerAddress.getHostAddress()));
    cmd.addAll(List.of(args));
    Child child = new Child(role, new ProcessBuilder(cmd).start());
    children.add(child);
    child.port = Integer.parseInt(child.awaitLine("READY", l -> l.startsWith("READY "), 30)
        .substring("READY ".length()).trim());
    return child;
  }

  /** Ends the child JVMs, then deletes the namespace and both veth ends. */
  @Override
  public void close() {
    for (Child c : children) {
      c.close();
    }
    quietly("ip", "netns", "del", name);
    quietly("ip", "link", "del", rootIf); // gone with the namespace's end; just in case
  }

  /** A child JVM running {@link NetnsPeer}: its stdout lines, its stderr, commands to it. */
  static final class Child implements AutoCloseable {
    final String role;
    final Process process;
    final List<String> lines = new CopyOnWriteArrayList<>();
    /** When each of {@link #lines} arrived ({@link System#nanoTime()}), by index. */
    final List<Long> arrivals = new CopyOnWriteArrayList<>();
    private final StringBuffer stderr = new StringBuffer();
    private final OutputStream stdin;
    int port;

    Child(String role, Process process) {
      this.role = role;
      this.process = process;
      this.stdin = process.getOutputStream();
      pump("stdout", new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8)), true);
      pump("stderr", new BufferedReader(new InputStreamReader(process.getErrorStream(),
          StandardCharsets.UTF_8)), false);
    }

    private void pump(String what, BufferedReader in, boolean out) {
      Thread t = new Thread(() -> {
        try (in) {
          for (String line; (line = in.readLine()) != null; ) {
            if (out) {
              arrivals.add(System.nanoTime());
              lines.add(line); // after its arrival time: a reader that sees it sees that too
            } else if (stderr.length() < 64 * 1024) {
              stderr.append(line).append('\n');
            }
          }
        } catch (IOException e) {
          // the child is gone
        }
      }, "netns-" + role + "-" + what);
      t.setDaemon(true);
      t.start();
    }

    /**
     * Waits up to {@code seconds} for a line that {@code which} matches among the lines after
     * the first {@code from}, and returns it; fails with the child's output if none comes or the
     * child exits.
     */
    String awaitLine(String what, Predicate<String> which, int from, long seconds) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      for (int polls = 0; polls < 1_000_000; polls++) {
        for (int i = from; i < lines.size(); i++) {
          if (which.test(lines.get(i))) {
            return lines.get(i);
          }
        }
        if (!process.isAlive() || System.nanoTime() - deadline > 0) {
          throw new AssertionError("the " + role + " peer printed no " + what + " line within "
              + seconds + " s (alive: " + process.isAlive() + ")" + diagnostics());
        }
        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
      }
      throw new AssertionError("unreachable");
    }

    String awaitLine(String what, Predicate<String> which, long seconds) {
      return awaitLine(what, which, 0, seconds);
    }

    /** When {@code line} (the first such line) arrived, by {@link System#nanoTime()}. */
    long arrival(String line) {
      return arrivals.get(lines.indexOf(line));
    }

    /**
     * Sends {@code command} (one line) and returns the first line after it that starts with
     * {@code reply}, waiting up to 10 s.
     */
    synchronized String ask(String command, String reply) throws IOException {
      int from = lines.size();
      stdin.write((command + "\n").getBytes(StandardCharsets.UTF_8));
      stdin.flush();
      return awaitLine(reply, l -> l.startsWith(reply), from, 10);
    }

    /** The numbers of a {@code STATS k=v ...} reply, by key. */
    Map<String, Long> stats() throws IOException {
      Map<String, Long> m = new java.util.TreeMap<>();
      for (String kv : ask("stats", "STATS ").substring(6).trim().split(" ")) {
        String[] p = kv.split("=", 2);
        m.put(p[0], Long.parseLong(p[1]));
      }
      return m;
    }

    String diagnostics() {
      return "\n--- stdout of the " + role + " peer ---\n" + String.join("\n", lines)
          + "\n--- stderr ---\n" + stderr;
    }

    /** Closes its stdin (it exits), then destroys it if it has not within 5 s; waits for it. */
    @Override
    public void close() {
      try {
        stdin.close();
      } catch (IOException e) {
        // already gone
      }
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroy();
          if (!process.waitFor(2, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
          }
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  // ---- commands ------------------------------------------------------------------------------

  /**
   * Runs {@code cmd} with a timeout of {@value #COMMAND_SECONDS} s and returns its output
   * (stdout and stderr); throws with the command, exit status and output if it fails.
   */
  static String run(String... command) throws IOException {
    String[] cmd = command.clone();
    cmd[0] = tool(cmd[0]);
    File out = File.createTempFile("dxt-cmd", ".txt");
    try {
      Process p;
      try {
        p = new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(out)).start();
      } catch (IOException e) {
        throw new IOException("`" + String.join(" ", cmd) + "` cannot start: " + e.getMessage(),
            e);
      }
      boolean done;
      try {
        done = p.waitFor(COMMAND_SECONDS, TimeUnit.SECONDS);
        if (!done) {
          p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IOException("interrupted running `" + String.join(" ", cmd) + "`", e);
      }
      String output = Files.readString(out.toPath(), StandardCharsets.UTF_8).trim();
      if (!done || p.exitValue() != 0) {
        throw new IOException("`" + String.join(" ", cmd) + "` "
            + (done ? "exited with " + p.exitValue() : "timed out after " + COMMAND_SECONDS
            + " s") + (output.isEmpty() ? "" : ": " + output));
      }
      return output;
    } finally {
      Files.deleteIfExists(out.toPath());
    }
  }

  /**
   * {@code name} found on the PATH, else in the sbin directories a non-root PATH often lacks
   * (where {@code ip} and {@code tc} live), else {@code name} as given.
   */
  private static String tool(String name) {
    if (name.contains(File.separator)) {
      return name;
    }
    List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "")
        .split(File.pathSeparator)));
    dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
    for (String dir : dirs) {
      File f = new File(dir, name);
      if (!dir.isEmpty() && f.canExecute()) {
        return f.getPath();
      }
    }
    return name;
  }

  private static void quietly(String... cmd) {
    try {
      run(cmd);
    } catch (IOException e) {
      // best effort: cleanup of what may already be gone
    }
  }

  /** Deletes namespaces and root-side veth ends left by test JVMs that no longer run. */
  private static void deleteStale() {
    try {
      for (String line : run("ip", "netns", "list").split("\n")) {
        Matcher m = NS_NAME.matcher(line.trim().split(" ")[0]);
        if (m.matches() && isDead(Long.parseLong(m.group(1)))) {
          quietly("ip", "netns", "del", m.group());
        }
      }
      for (String line : run("ip", "-o", "link", "show").split("\n")) {
        String[] f = line.split(":\\s+");
        if (f.length > 1) {
          Matcher m = LINK_NAME.matcher(f[1].split("@")[0]);
          if (m.matches() && isDead(Long.parseLong(m.group(1)))) {
            quietly("ip", "link", "del", m.group());
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // best effort: a stale name does not stop a new one, which carries this pid
    }
  }

  private static boolean isDead(long pid) {
    return pid != PID && ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true);
  }

  /**
   * A /30 of 198.18.0.0/15 (32,768 of them) that no address of this namespace uses yet, picked
   * from this pid and counter so that test JVMs running at once pick apart.
   */
  private static int freeSlot(int n) throws IOException {
    Set<Integer> used = new HashSet<>();
    Matcher m = Pattern.compile("inet 198\\.(18|19)\\.(\\d+)\\.(\\d+)/")
        .matcher(run("ip", "-o", "-4", "addr", "show"));
    while (m.find()) {
      int offset = (Integer.parseInt(m.group(1)) - 18) << 16
          | Integer.parseInt(m.group(2)) << 8 | Integer.parseInt(m.group(3));
      used.add(offset >> 2);
    }
    int start = (int) ((PID * 64 + n) % 32_768);
    for (int i = 0; i < 32_768; i++) {
      int slot = (start + i) % 32_768;
      if (!used.contains(slot)) {
        return slot;
      }
    }
    throw new IOException("every /30 of 198.18.0.0/15 is in use");
  }

  private static InetAddress slotAddress(int slot, int host) throws IOException {
    int offset = slot << 2 | host;
    byte[] a = {(byte) 198, (byte) (18 + (offset >> 16)), (byte) (offset >> 8), (byte) offset};
    return InetAddress.getByAddress(a);
  }
}
