package io.duplex.nio;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Copies what is written to System.err (where slf4j-simple logs in tests) while it is open, so a
 * test can count log lines. It still passes everything on to the real System.err.
 */
final class LogCapture implements AutoCloseable {
  private static final Pattern SUMMARY =
      Pattern.compile("(\\d+) inbound connections refused by the connection limits");

  private final PrintStream original = System.err;
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

  LogCapture() {
    System.setErr(new PrintStream(new OutputStream() {
      @Override
      public void write(int b) {
        synchronized (captured) {
          captured.write(b);
        }
        original.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        synchronized (captured) {
          captured.write(b, off, len);
        }
        original.write(b, off, len);
      }
    }, true, StandardCharsets.UTF_8));
  }

  /** The captured lines that contain {@code text}. */
  List<String> lines(String text) {
    String all;
    synchronized (captured) {
      all = captured.toString(StandardCharsets.UTF_8);
    }
    List<String> lines = new ArrayList<>();
    for (String line : all.split("\n")) {
      if (line.contains(text)) {
        lines.add(line);
      }
    }
    return lines;
  }

  /** The lines about connections refused by a limit. */
  List<String> refusalLines() {
    return lines("refused inbound connection from");
  }

  /** How many refusals the refusal lines account for: one each, or a summary line's count. */
  long refusalsLogged() {
    long n = 0;
    for (String line : refusalLines()) {
      Matcher m = SUMMARY.matcher(line);
      n += m.find() ? Long.parseLong(m.group(1)) : 1;
    }
    return n;
  }

  @Override
  public void close() {
    System.setErr(original);
  }
}
