package io.duplex.nio;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A test program run in a child JVM, for settings that are JVM-wide or process-wide: {@code
 * -XX:MaxDirectMemorySize}, or a descriptor limit ({@code ulimit -n}, set through {@code sh -c}
 * before the JVM starts). It runs on this JVM's java and test class path; its stdout lines are
 * collected for the test to wait on, its stderr kept for failure messages. {@link #close()}
 * closes its stdin and destroys it if it has not ended within a few seconds.
 */
final class ChildJvm implements AutoCloseable {
  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final StringBuffer stderr = new StringBuffer();
  private final OutputStream stdin;

  private ChildJvm(Process process) {
    this.process = process;
    this.stdin = process.getOutputStream();
    pump(new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8)), true);
    pump(new BufferedReader(new InputStreamReader(process.getErrorStream(),
        StandardCharsets.UTF_8)), false);
  }

  /**
   * Starts {@code mainClass} with {@code jvmArgs} and {@code args}; with {@code maxDescriptors}
   * above 0, under {@code ulimit -n maxDescriptors}.
   */
  static ChildJvm start(Class<?> mainClass, int maxDescriptors, List<String> jvmArgs,
      String... args) throws IOException {
    String java = System.getProperty("java.home") + File.separator + "bin" + File.separator
        + "java";
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-Xmx256m");
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass.getName());
    cmd.addAll(List.of(args));
    if (maxDescriptors > 0) {
      StringBuilder line = new StringBuilder("ulimit -n " + maxDescriptors + " && exec");
      for (String c : cmd) {
        line.append(" '").append(c.replace("'", "'\\''")).append('\'');
      }
      cmd = List.of("sh", "-c", line.toString());
    }
    return new ChildJvm(new ProcessBuilder(cmd).start());
  }

  private void pump(BufferedReader in, boolean out) {
    Thread t = new Thread(() -> {
      try (in) {
        for (String line; (line = in.readLine()) != null; ) {
          if (out) {
            lines.add(line);
          } else if (stderr.length() < 64 * 1024) {
            stderr.append(line).append('\n');
          }
        }
      } catch (IOException e) {
        // the child ended
      }
    }, "child-" + (out ? "stdout" : "stderr"));
    t.setDaemon(true);
    t.start();
  }

  /** The first stdout line {@code what} matches, waiting up to {@code seconds} for it. */
  String awaitLine(String description, Predicate<String> what, long seconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() - deadline < 0) {
      for (String line : lines) {
        if (what.test(line)) {
          return line;
        }
      }
      if (!process.isAlive() && lines.stream().noneMatch(what)) {
        throw new AssertionError("the child ended (exit " + process.exitValue() + ") without "
            + description + "; stdout " + lines + "; stderr " + stderr);
      }
      try {
        process.waitFor(5, TimeUnit.MILLISECONDS); // returns early if the child ends
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("no " + description + " from the child within " + seconds
        + " s; stdout " + lines + "; stderr " + stderr);
  }

  /** The line starting with {@code prefix}, without it, waiting up to {@code seconds}. */
  String awaitValue(String prefix, long seconds) {
    return awaitLine("a line starting " + prefix, l -> l.startsWith(prefix), seconds)
        .substring(prefix.length()).trim();
  }

  /** Writes {@code line} to the child's stdin. */
  void tell(String line) throws IOException {
    stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    stdin.flush();
  }

  List<String> lines() {
    return lines;
  }

  String stderr() {
    return stderr.toString();
  }

  @Override
  public void close() {
    try {
      stdin.close();
    } catch (IOException ignored) {
      // it has ended already
    }
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
