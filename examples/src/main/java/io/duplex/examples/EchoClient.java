package io.duplex.examples;

import io.duplex.Connection;
import io.duplex.ReceiveTimeoutException;
import io.duplex.Transport;
import io.duplex.nio.NioTransport;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code echo-client --port P [--host 127.0.0.1] [--count N] [--size B] [--codec ...]
 * [--window W]}: sends N numbered messages of about B bytes with at most W unanswered, checks
 * that every echo came back intact and in order, and prints throughput and round-trip
 * percentiles. Exits 0 if all came back, 1 otherwise.
 */
final class EchoClient {
  static final String USAGE = "echo-client --port P [--host 127.0.0.1] [--count N] [--size B]"
      + " [--codec json|binary|bytes] [--window W]";

  private EchoClient() {}

  /** The program; returns the exit status. */
  static int run(String[] args, PrintStream out, PrintStream err) throws InterruptedException {
    Args a;
    EchoCodecs.Kind<?> kind;
    int port;
    int count;
    int size;
    int window;
    try {
      a = Args.parse(args, Set.of("port", "host", "count", "size", "codec", "window"));
      if (!a.has("port")) {
        throw new Args.UsageException("--port is required");
      }
      port = a.integer("port", 0, 1, 65535);
      count = a.integer("count", 10_000, 1, Integer.MAX_VALUE);
      size = a.integer("size", 256, 0, 8 * 1024 * 1024);
      window = a.integer("window", 64, 1, 1_000_000);
      kind = EchoCodecs.named(a.string("codec", "json"));
    } catch (Args.UsageException e) {
      err.println("echo-client: " + e.getMessage());
      err.println("usage: " + USAGE);
      return 2;
    }
    InetSocketAddress server = new InetSocketAddress(a.string("host", "127.0.0.1"), port);
    return run(kind, server, count, size, window, out, err);
  }

  private static <T> int run(EchoCodecs.Kind<T> kind, InetSocketAddress server, int count,
      int size, int window, PrintStream out, PrintStream err) throws InterruptedException {
    try (Transport<T> transport = NioTransport.builder(kind.codec()).build()) {
      Connection<T> c;
      try {
        c = transport.connect(server).get(15, TimeUnit.SECONDS);
      } catch (ExecutionException | TimeoutException e) {
        Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
        err.println("echo-client: cannot connect to " + server + ": " + cause.getMessage());
        return 1;
      }
      ArrayDeque<T> inFlight = new ArrayDeque<>();
      long[] sentAt = new long[count];
      long[] rtt = new long[count];
      int sent = 0;
      int received = 0;
      int corrupted = 0;
      long start = System.nanoTime();
      try {
        while (received < count) {
          while (sent < count && sent - received < window) {
            T m = kind.message(sent, size);
            inFlight.add(m);
            sentAt[sent] = System.nanoTime();
            c.send(m);
            sent++;
          }
          T echo = c.receive(Duration.ofSeconds(10));
          rtt[received] = System.nanoTime() - sentAt[received];
          if (!kind.same(inFlight.poll(), echo)) {
            corrupted++;
          }
          received++;
        }
      } catch (ReceiveTimeoutException | io.duplex.ConnectionClosedException e) {
        err.println("echo-client: " + (count - received) + " of " + count
            + " echoes never came back (" + e.getMessage() + ")");
        return 1;
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      long bytes = c.stats().bytesOut();
      c.close().join();
      if (corrupted > 0) {
        err.println("echo-client: " + corrupted + " of " + count
            + " echoes differ from what was sent (corrupted or out of order)");
        return 1;
      }
      Arrays.sort(rtt);
      out.printf(Locale.ROOT, "echo-client: %d messages of %d bytes echoed intact and in order"
          + " in %.3f s: %.0f msg/s, %.2f MB/s out%n", count, size, seconds, count / seconds,
          bytes / seconds / 1e6);
      out.printf(Locale.ROOT, "round trip us: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f%n",
          micros(rtt, 0.50), micros(rtt, 0.90), micros(rtt, 0.99), rtt[count - 1] / 1e3);
      return 0;
    }
  }

  private static double micros(long[] sorted, double q) {
    return sorted[Math.min(sorted.length - 1, (int) (q * sorted.length))] / 1e3;
  }
}
