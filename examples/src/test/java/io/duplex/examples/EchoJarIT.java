package io.duplex.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar as users run it: echo-server and echo-client in two child JVMs. Runs under
 * failsafe, after the package phase has built the jar; skipped if the jar is not there.
 */
class EchoJarIT {
  private static final Pattern LISTENING =
      Pattern.compile(
          "echo-server listening on 127\\.0\\.0\\.1:(\\d+) \\(codec json, node ([0-9a-f]{40})\\)");

  @TempDir
  Path logs;

  /** The jar: where failsafe says it is, else target/ under the module or the repository. */
  private static Path jar() {
    String configured = System.getProperty("duplex.examples.jar");
    List<Path> candidates = configured != null
        ? List.of(Path.of(configured))
        : List.of(Path.of("target", "duplex-examples.jar"),
            Path.of("examples", "target", "duplex-examples.jar"));
    for (Path p : candidates) {
      if (Files.isRegularFile(p)) {
        return p.toAbsolutePath();
      }
    }
    return null;
  }

  private static ProcessBuilder java(Path jar, String... args) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java, "-jar", jar.toString()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command);
  }

  @Test
  @Timeout(120)
  void shouldEchoBetweenTwoProcessesAndStopGracefullyOnSigterm() throws Exception {
    Path jar = jar();
    assumeTrue(jar != null, "examples/target/duplex-examples.jar is not built; run mvn package");
    File serverErr = logs.resolve("server.err").toFile();
    File clientOut = logs.resolve("client.out").toFile();
    File clientErr = logs.resolve("client.err").toFile();

    Process server = java(jar, "echo-server", "--port", "0")
        .redirectError(serverErr)
        .start();
    try (BufferedReader serverOut = new BufferedReader(
        new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
      String line = serverOut.readLine(); // the one line, once it listens; @Timeout bounds it
      assertNotNull(line, () -> "echo-server printed nothing; stderr: " + read(serverErr));
      Matcher listening = LISTENING.matcher(line);
      assertTrue(listening.matches(), line);

      Process client = java(jar, "echo-client", "--port", listening.group(1), "--count", "2000",
          "--server-id", listening.group(2)) // only that key may answer
          .redirectOutput(clientOut)
          .redirectError(clientErr)
          .start();
      if (!client.waitFor(60, TimeUnit.SECONDS)) {
        client.destroyForcibly();
        throw new AssertionError("echo-client still running after 60 s: " + read(clientOut));
      }
      assertEquals(0, client.exitValue(), () -> read(clientOut) + read(clientErr));
      assertTrue(read(clientOut).startsWith(
          "echo-client: 2000 of 2000 echoes intact and in order (codec json, size 256,"
              + " window 64)\nthroughput: "), read(clientOut));

      server.destroy(); // SIGTERM: the shutdown hook closes the transport
      assertTrue(server.waitFor(10, TimeUnit.SECONDS),
          "echo-server still running 10 s after SIGTERM");
      if (!System.getProperty("os.name").startsWith("Windows")) {
        assertEquals(128 + 15, server.exitValue(), () -> read(serverErr)); // ended by SIGTERM
      }
      assertEquals("", read(serverErr));
    } finally {
      server.destroyForcibly();
    }
  }

  private static String read(File f) {
    try {
      return Files.readString(f.toPath());
    } catch (IOException e) {
      return "(cannot read " + f + ": " + e + ")";
    }
  }
}
