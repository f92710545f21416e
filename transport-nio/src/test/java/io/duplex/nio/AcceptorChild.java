package io.duplex.nio;

import io.duplex.Connection;
import io.duplex.NodeId;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.codec.ByteArrayCodec;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The child JVM of {@link AcceptorTest}, run under a small {@code ulimit -n}: a listening
 * transport that then takes every descriptor left, so each accept fails with "Too many open
 * files" while connections wait in its backlog. Prints {@code READY <port>}; once the first
 * accept has failed, counts the accept failures reported to the error handler over a 2 s window
 * and prints {@code FAILURES <count> CPU <ticks>} (the read loop's CPU time in the window, in
 * clock ticks, from /proc, or -1), then exits.
 */
public final class AcceptorChild {
  private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(2);

  private AcceptorChild() {}

  public static void main(String[] args) throws Exception {
    LongAdder acceptFailures = new LongAdder();
    Transport<byte[]> server = NioTransport.builder(ByteArrayCodec.instance())
        .config(TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of("server")).build())
        .errorHandler((c, e) -> {
          if (c == null && e instanceof IOException) {
            acceptFailures.increment();
          }
        })
        .build();
    InetSocketAddress at = server.listen(new InetSocketAddress("127.0.0.1", 0));
    // Warm up every path once (accept, handshake, close) while descriptors are still left.
    Transport<byte[]> client = NioTransport.builder(ByteArrayCodec.instance())
        .config(TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of("client")).build()).build();
    Connection<byte[]> c = client.connect(at).get(10, TimeUnit.SECONDS);
    c.close().get(10, TimeUnit.SECONDS);
    client.close();
    // The server's read loop (its transport is this JVM's first: duplex-1), whose CPU time is
    // read from /proc through a file opened now: none can be opened later.
    RandomAccessFile readLoopStat = stat("duplex-1-read-0");
    long before = acceptFailures.sum();

    List<FileInputStream> held = new ArrayList<>();
    try {
      for (int i = 0; i < 100_000; i++) {
        held.add(new FileInputStream("/dev/null"));
      }
    } catch (IOException expected) {
      // out of descriptors: every accept fails from now on
    }
    print("READY " + at.getPort() + " " + held.size());

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (acceptFailures.sum() == before && System.nanoTime() - deadline < 0) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // poll, bounded by the deadline
    }
    long failuresFrom = acceptFailures.sum();
    long cpuFrom = cpuTicks(readLoopStat);
    long end = System.nanoTime() + WINDOW_NANOS;
    while (System.nanoTime() - end < 0) {
      LockSupport.parkNanos(end - System.nanoTime()); // the measurement window itself
    }
    long failures = acceptFailures.sum() - failuresFrom;
    long cpu = cpuFrom < 0 ? -1 : cpuTicks(readLoopStat) - cpuFrom;
    print("FAILURES " + failures + " CPU " + cpu + " HELD " + held.size());
    System.exit(0);
  }

  /** /proc/self/task/TID/stat of the thread named {@code name}, open, or null. */
  private static RandomAccessFile stat(String name) {
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        if (Files.readString(t.resolve("comm"), StandardCharsets.UTF_8).trim().equals(name)) {
          return new RandomAccessFile(t.resolve("stat").toFile(), "r");
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: no CPU figure
    }
    return null;
  }

  /** utime + stime from a task's stat file, in clock ticks, or -1. */
  private static long cpuTicks(RandomAccessFile stat) {
    if (stat == null) {
      return -1;
    }
    try {
      byte[] b = new byte[1024];
      stat.seek(0); // procfs renders the file again on each read from the start
      int n = stat.read(b);
      String line = new String(b, 0, Math.max(n, 0), StandardCharsets.US_ASCII);
      String[] f = line.substring(line.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static synchronized void print(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
