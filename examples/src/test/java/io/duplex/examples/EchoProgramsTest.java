package io.duplex.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.duplex.Connection;
import io.duplex.ConnectionListener;
import io.duplex.Transport;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.nio.NioTransport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Assumptions;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.Path;
import java.nio.file.Files;
import io.duplex.security.Identity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The echo programs run in this process through their {@code run} methods, against each other
 * (or against a deliberately broken echo server) over loopback sockets.
 */
class EchoProgramsTest {
  private final Output serverOut = new Output();
  private final Output serverErr = new Output();
  private final Output out = new Output();
  private final Output err = new Output();
  private Thread serverThread;
  private final CompletableFuture<Integer> serverExit = new CompletableFuture<>();

  /** A print stream whose text the test reads back. */
  private static final class Output extends PrintStream {
    private final ByteArrayOutputStream bytes;

    Output() {
      this(new ByteArrayOutputStream());
    }

    private Output(ByteArrayOutputStream bytes) {
      super(bytes, true, StandardCharsets.UTF_8);
      this.bytes = bytes;
    }

    String text() {
      flush();
      return bytes.toString(StandardCharsets.UTF_8);
    }
  }

  /** Runs {@link EchoServer#run} on a thread; returns the server once it listens. */
  private EchoServer.Running startServer(String... args) throws Exception {
    CompletableFuture<EchoServer.Running> started = new CompletableFuture<>();
    serverThread = new Thread(() -> {
      try {
        int status = EchoServer.run(args, serverOut, serverErr, started::complete);
        serverExit.complete(status);
        started.completeExceptionally(new AssertionError("echo-server exited with " + status
            + " before it listened: " + serverErr.text()));
      } catch (Throwable t) {
        serverExit.completeExceptionally(t);
        started.completeExceptionally(t);
        throw t;
      }
    }, "echo-server-under-test");
    serverThread.start();
    return started.get(10, TimeUnit.SECONDS);
  }

  /** Stops the server the test started and returns its exit status. */
  private int stop(EchoServer.Running server) throws Exception {
    server.close();
    return serverExit.get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stopServerLeftRunning() throws Exception {
    if (serverThread != null && serverThread.isAlive()) {
      serverThread.interrupt(); // run() closes its server when interrupted
      serverThread.join(TimeUnit.SECONDS.toMillis(10));
    }
  }

  // ---- the programs together -----------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"json", "binary", "bytes"})
  @Timeout(60)
  void shouldEchoEveryMessageIntactAndInOrderWithEachCodec(String codec) throws Exception {
    EchoServer.Running server = startServer("--port", "0", "--codec", codec);
    String port = Integer.toString(server.address().getPort());

    int status = EchoClient.run(new String[] {"--port", port, "--count", "2000", "--size", "300",
        "--codec", codec, "--window", "16"}, out, err);

    assertEquals(0, status, err.text());
    assertEquals("", err.text());
    String[] lines = out.text().split("\n");
    assertEquals(3, lines.length, out.text());
    assertEquals("echo-client: 2000 of 2000 echoes intact and in order (codec " + codec
        + ", size 300, window 16)", lines[0]);
    assertMatches("throughput: \\d+ msg/s, \\d+\\.\\d\\d MB/s each way \\(frames on the wire\\),"
        + " \\d+\\.\\d{3} s", lines[1]);
    assertMatches("round trip us: p50 [\\d.]+  p90 [\\d.]+  p99 [\\d.]+  max [\\d.]+", lines[2]);
    assertPercentilesAscend(lines[2]);

    assertEquals(0, stop(server));
    assertMatches("echo-server listening on 127\\.0\\.0\\.1:" + port + " \\(codec " + codec
        + ", node [0-9a-f]{40}\\)\n", serverOut.text());
    assertEquals("", serverErr.text());
  }

  @Test
  @Timeout(60)
  void shouldKeepEveryEchoWhenTheWindowIsLargerThanTheTransportQueues() throws Exception {
    // 2,000 messages of 64 KiB in flight at once: over the high water mark on both sides and
    // over the inbound queue's 1,024 messages, so both programs' backpressure paths run.
    EchoServer.Running server = startServer("--port", "0", "--codec", "bytes");
    String port = Integer.toString(server.address().getPort());

    int status = EchoClient.run(new String[] {"--port", port, "--count", "2000", "--size",
        "65536", "--codec", "bytes", "--window", "2000"}, out, err);

    assertEquals(0, status, err.text());
    assertTrue(out.text().startsWith("echo-client: 2000 of 2000 echoes intact and in order"),
        out.text());
    assertEquals(0, stop(server));
  }

  @Test
  @Timeout(30)
  void shouldServeClientsOneAfterAnother() throws Exception {
    EchoServer.Running server = startServer("--port", "0");
    String port = Integer.toString(server.address().getPort());
    for (int i = 0; i < 3; i++) {
      assertEquals(0, EchoClient.run(new String[] {"--port", port, "--count", "200"}, out, err),
          err.text());
    }
    assertEquals(0, stop(server));
  }

  // ---- the client's checks -------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "swap    | 99 of 100 echoes intact and in order; 0 lost, 0 corrupted, 1 out of order",
      "corrupt | 99 of 100 echoes intact and in order; 0 lost, 1 corrupted, 0 out of order",
      "close   | 30 of 100 echoes intact and in order; 70 lost, 0 corrupted, 0 out of order"
          + " (stopped: "})
  @Timeout(30)
  void shouldReportEchoesThatAreLostCorruptedOrOutOfOrder(String fault, String report)
      throws Exception {
    try (Transport<byte[]> server = brokenEchoServer(fault)) {
      InetSocketAddress at = server.listen(new InetSocketAddress("127.0.0.1", 0));

      int status = EchoClient.run(new String[] {"--port", Integer.toString(at.getPort()),
          "--count", "100", "--size", "64", "--codec", "bytes", "--window", "8"}, out, err);

      assertEquals(1, status, out.text());
      assertTrue(err.text().startsWith("echo-client: FAILED: " + report), err.text());
      assertEquals(1, err.text().lines().count(), err.text());
      assertEquals("", out.text());
    }
  }

  /**
   * An echo server for byte messages that breaks one rule: {@code swap} sends echo 10 after echo
   * 11, {@code corrupt} flips a bit of echo 20, {@code close} closes the connection when message
   * 30 arrives, after echoing 0 to 29.
   */
  private static Transport<byte[]> brokenEchoServer(String fault) {
    AtomicReference<byte[]> held = new AtomicReference<>();
    return NioTransport.builder(ByteArrayCodec.instance())
        .listener(new ConnectionListener<byte[]>() {
          @Override
          public void onOpen(Connection<byte[]> connection) {
            connection.onMessage((c, m) -> {
              int seq = ByteBuffer.wrap(m).getInt();
              switch (fault) {
                case "swap" -> {
                  if (seq == 10) {
                    held.set(m);
                    return;
                  }
                  c.send(m);
                  if (seq == 11) {
                    c.send(held.get());
                  }
                }
                case "corrupt" -> {
                  if (seq == 20) {
                    m[m.length - 1] ^= 1;
                  }
                  c.send(m);
                }
                case "close" -> {
                  if (seq == 30) {
                    c.close();
                  }
                  c.send(m); // refused from 30 on: the connection is closing
                }
                default -> fail("no such fault: " + fault);
              }
            });
          }
        })
        .build();
  }

  // ---- failures to start ---------------------------------------------------------------------

  @Test
  @Timeout(30)
  void shouldFailWithOneLineWhenNothingListens() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      port = s.getLocalPort();
    }

    int status = EchoClient.run(new String[] {"--port", Integer.toString(port)}, out, err);

    assertEquals(1, status);
    assertEquals("echo-client: cannot connect to 127.0.0.1:" + port + ": Connection refused\n",
        err.text());
    assertEquals("", out.text());
  }

  // ---- security options ----------------------------------------------------------------------

  @Test
  @Timeout(60)
  void shouldKeepTheNodeIdOfAKeyFileAndLetOnlyThatServerAnswer(@TempDir Path dir)
      throws Exception {
    Path key = dir.resolve("keys").resolve("server.key");
    EchoServer.Running server = startServer("--port", "0", "--key", key.toString());
    String id = Identity.load(key).nodeId().toHex(); // made there, owner-only (load checks)
    String port = Integer.toString(server.address().getPort());

    assertEquals(0, EchoClient.run(new String[] {"--port", port, "--count", "100",
        "--server-id", id}, out, err), err.text());
    String other = Identity.generate().nodeId().toHex();
    assertEquals(1, EchoClient.run(new String[] {"--port", port, "--count", "100",
        "--server-id", other}, new Output(), err));
    assertTrue(err.text().contains("dialed node " + other + " and reached node " + id),
        err.text());
    assertEquals(0, stop(server));
    assertTrue(serverOut.text().contains("node " + id + ")"), serverOut.text());
  }

  @Test
  @Timeout(60)
  void shouldEchoInPlaintextOnlyWhenBothSidesAreInsecure() throws Exception {
    EchoServer.Running server = startServer("--port", "0", "--insecure");
    String port = Integer.toString(server.address().getPort());

    assertEquals(0, EchoClient.run(new String[] {"--port", port, "--count", "100",
        "--insecure"}, out, err), err.text());
    assertEquals(1, EchoClient.run(new String[] {"--port", port, "--count", "100"},
        new Output(), err), "a secure client refuses a plaintext server");
    assertTrue(err.text().contains("insecure plaintext") && err.text().contains("agree"),
        err.text());
    assertEquals(0, stop(server));
    assertTrue(serverOut.text().contains("(codec json, INSECURE plaintext)"), serverOut.text());
  }

  @Test
  @Timeout(30)
  void shouldRefuseAKeyFileOthersCanRead(@TempDir Path dir) throws Exception {
    Path key = dir.resolve("server.key");
    Identity.generate().save(key);
    Assumptions.assumeTrue(key.getFileSystem().supportedFileAttributeViews().contains("posix"));
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));

    assertEquals(1, EchoServer.run(new String[] {"--port", "0", "--key", key.toString()},
        serverOut, serverErr, r -> fail("it must not listen")));
    assertTrue(serverErr.text().contains("chmod 600"), serverErr.text());
    assertEquals(2, EchoClient.run(new String[] {"--port", "1", "--key", key.toString(),
        "--insecure"}, out, err), "the two options contradict each other");
  }

  @Test
  @Timeout(30)
  void shouldRefuseToConnectToAServerOfAnotherCodec() throws Exception {
    EchoServer.Running server = startServer("--port", "0", "--codec", "binary");
    String port = Integer.toString(server.address().getPort());

    int status = EchoClient.run(new String[] {"--port", port, "--codec", "json"}, out, err);

    assertEquals(1, status);
    assertTrue(err.text().startsWith("echo-client: cannot connect to 127.0.0.1:" + port + ": "),
        err.text());
    assertTrue(err.text().contains("codec"), err.text());
    assertEquals(1, err.text().lines().count(), err.text());
    assertEquals(0, stop(server));
  }

  @Test
  @Timeout(30)
  void shouldFailWithOneLineWhenThePortIsTaken() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      String port = Integer.toString(taken.getLocalPort());

      int status = EchoServer.run(new String[] {"--port", port}, out, err,
          server -> fail("started on a port that is taken"));

      assertEquals(1, status);
      assertTrue(err.text().startsWith("echo-server: cannot listen on "), err.text());
      assertTrue(err.text().contains(":" + port), err.text());
      assertEquals(1, err.text().lines().count(), err.text());
      assertEquals("", out.text());
    }
  }

  // ---- options -------------------------------------------------------------------------------

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "''                              | --port is required",
      "--port x                        | --port must be a number: x",
      "--port 70000                    | --port must be 1 to 65535: 70000",
      "--port 0                        | --port must be 1 to 65535: 0",
      "--prot 1                        | unknown option '--prot'",
      "port 1                          | unknown option 'port'",
      "--port                          | option --port needs a value",
      "--port 1 --port 2               | option --port given twice",
      "--port 1 --count 0              | --count must be 1 to 10000000: 0",
      "--port 1 --size -1              | --size must be 0 to 4194304: -1",
      "--port 1 --window 1e3           | --window must be a number: 1e3",
      "--port 1 --codec xml            | --codec must be json or binary or bytes: xml"})
  @Timeout(10)
  void clientShouldRefuseBadOptionsWithItsUsage(String args, String problem) {
    String[] argv = args.isEmpty() ? new String[0] : args.split(" ");

    assertEquals(2, EchoClient.run(argv, out, err));

    assertEquals("echo-client: " + problem + "\nusage: " + EchoClient.USAGE + "\n", err.text());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "''                              | --port is required",
      "--port -1                       | --port must be 0 to 65535: -1",
      "--port 0 --count 5              | unknown option '--count'",
      "--port 0 --codec xml            | --codec must be json or binary or bytes: xml"})
  @Timeout(10)
  void serverShouldRefuseBadOptionsWithItsUsage(String args, String problem) {
    String[] argv = args.isEmpty() ? new String[0] : args.split(" ");

    assertEquals(2, EchoServer.run(argv, out, err, server -> fail("started with bad options")));

    assertEquals("echo-server: " + problem + "\nusage: " + EchoServer.USAGE + "\n", err.text());
  }

  @Test
  @Timeout(10)
  void mainShouldPrintTheUsageWithoutArguments() {
    assertEquals(0, Main.run(new String[0], out, err));

    assertTrue(out.text().contains(EchoServer.USAGE), out.text());
    assertTrue(out.text().contains(EchoClient.USAGE), out.text());
    assertEquals("", err.text());
  }

  @Test
  @Timeout(10)
  void mainShouldRefuseAnUnknownProgram() {
    assertEquals(2, Main.run(new String[] {"echo-srever"}, out, err));

    assertTrue(err.text().startsWith("unknown program 'echo-srever'\n"), err.text());
    assertEquals("", out.text());
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static void assertMatches(String regex, String actual) {
    assertTrue(Pattern.matches(regex, actual), () -> "'" + actual + "' does not match " + regex);
  }

  private static void assertPercentilesAscend(String line) {
    Matcher m = Pattern.compile("(?:p50|p90|p99|max) ([\\d.]+)").matcher(line);
    double last = 0;
    int found = 0;
    while (m.find()) {
      double v = Double.parseDouble(m.group(1));
      assertTrue(v >= last, line);
      last = v;
      found++;
    }
    assertEquals(4, found, line);
  }
}
