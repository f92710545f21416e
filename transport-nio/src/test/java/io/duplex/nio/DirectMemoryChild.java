package io.duplex.nio;

import io.duplex.Connection;
import io.duplex.NodeId;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.codec.ByteArrayCodec;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The child JVM of {@link WriteRoleTest}, run with a small {@code -XX:MaxDirectMemorySize}: a
 * server and a client connected over 127.0.0.1; the main thread sends once (so it has its
 * direct write buffer), then takes every byte of direct memory left, and a fresh thread sends:
 * its first write through needs a 256 KiB direct buffer of its own, which cannot be allocated.
 * Prints what happened, one line each, then exits:
 * <ul>
 *   <li>{@code FIRST threw <class>: <message>}, or {@code FIRST <outcome>} of its future;
 *   <li>{@code CLOSED <cause chain>}, or {@code CLOSED no} if the connection is still open 5 s
 *       later;
 *   <li>{@code LATER <outcome>} of a send made afterwards by the main thread;
 * </ul>
 * where an outcome is {@code completed}, {@code failed <cause chain>} or {@code incomplete
 * after 5 s}.
 */
public final class DirectMemoryChild {
  private DirectMemoryChild() {}

  public static void main(String[] args) throws Exception {
    Transport<byte[]> server = NioTransport.builder(ByteArrayCodec.instance())
        .config(TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of("server")).build()).build();
    InetSocketAddress at = server.listen(new InetSocketAddress("127.0.0.1", 0));
    Transport<byte[]> client = NioTransport.builder(ByteArrayCodec.instance())
        .config(TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of("client")).build())
        .errorHandler((c, e) -> { })
        .build();
    Connection<byte[]> c = client.connect(at).get(10, TimeUnit.SECONDS);
    c.send(new byte[100]).get(10, TimeUnit.SECONDS); // this thread's direct buffer, now

    List<ByteBuffer> hog = new ArrayList<>();
    try {
      for (int i = 0; i < 100_000; i++) {
        hog.add(ByteBuffer.allocateDirect(16 * 1024));
      }
    } catch (OutOfMemoryError expected) {
      // every byte of direct memory is taken, but for less than 16 KiB
    }
    print("HOG " + hog.size() * 16 + " KiB");

    CompletableFuture<CompletableFuture<Void>> first = new CompletableFuture<>();
    Thread fresh = new Thread(() -> {
      try {
        first.complete(c.send(new byte[1000]));
      } catch (Throwable t) {
        first.completeExceptionally(t);
      }
    }, "fresh-sender");
    fresh.start();
    try {
      print("FIRST " + outcome(first.get(10, TimeUnit.SECONDS)));
    } catch (ExecutionException e) {
      print("FIRST threw " + e.getCause());
    }
    try {
      c.closeFuture().get(5, TimeUnit.SECONDS);
      print("CLOSED " + chain(c.closeCause()));
    } catch (TimeoutException e) {
      print("CLOSED no");
    }
    print("LATER " + outcome(c.send(new byte[1000])));
    print("HELD " + hog.size()); // (keeps the hog reachable to here)
    System.exit(0);
  }

  private static String outcome(CompletableFuture<Void> f) throws InterruptedException {
    try {
      f.get(5, TimeUnit.SECONDS);
      return "completed";
    } catch (ExecutionException e) {
      return "failed " + chain(e.getCause());
    } catch (TimeoutException e) {
      return "incomplete after 5 s";
    }
  }

  /** "Class: message <- Class: message ..." of {@code t} and its causes. */
  static String chain(Throwable t) {
    StringBuilder s = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      s.append(s.length() == 0 ? "" : " <- ").append(c.getClass().getSimpleName()).append(": ")
          .append(c.getMessage());
    }
    return s.toString();
  }

  private static synchronized void print(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
