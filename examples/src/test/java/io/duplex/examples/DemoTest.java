package io.duplex.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The demo, in the short mode CI can afford: a few nodes for a few seconds, over loopback, run
 * through {@link Main#run} in this process so its output can be read back.
 */
class DemoTest {
  private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
  private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
  private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

  private String out() {
    return outBytes.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return errBytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  @Timeout(90)
  void bothModesRunAndDuplexDeliversEveryProposalAndVoteToTheFastNodes() {
    int status = Main.run(new String[] {"demo", "--nodes", "4", "--slow", "1", "--seconds", "3",
        "--block-kib", "64", "--mode", "both"}, out, err);

    assertEquals(0, status, () -> "exit status; stdout:\n" + out() + "\nstderr:\n" + err());
    String text = out();
    // The summary table: one column per mode; the split column must say "yes". The locked
    // column may or may not: its slow node blocks its senders, which is what it shows.
    Matcher complete = Pattern.compile("fast nodes saw every proposal and vote +(\\S+)")
        .matcher(text);
    assertTrue(complete.find(), () -> "no completeness row in:\n" + text);
    assertEquals("yes", complete.group(1), text);
    Matcher proposals = Pattern.compile("proposals made +(\\d+) +(\\d+)").matcher(text);
    assertTrue(proposals.find(), () -> "no proposals row for two modes in:\n" + text);
    // 3 s at one proposal per 200 ms.
    assertEquals(15, Integer.parseInt(proposals.group(1)), text);
    // Lanes are on by default.
    assertTrue(text.contains("split (duplex, lanes)") && text.contains("locked (one lock)"),
        text);
    assertTrue(Pattern.compile("lanes \\(proposals / votes\\) +on: blocks / consensus +-")
        .matcher(text).find(), text);
    assertTrue(text.contains("slow node saw blocks"), text);
    assertEquals("", err(), "nothing on stderr for a clean run");
  }

  /**
   * The demo with lanes on (proposals on the blocks lane, votes on the consensus lane) and with
   * {@code --lanes off} (one lane, as before lanes): in both, every vote between fast nodes is
   * delivered, and the table says which it was. No timing is asserted.
   */
  @ParameterizedTest(name = "--lanes {0}")
  @ValueSource(strings = {"on", "off"})
  @Timeout(60)
  void duplexDeliversEveryVoteWithLanesOnAndOff(String lanes) {
    int status = Main.run(new String[] {"demo", "--nodes", "4", "--slow", "1", "--seconds", "2",
        "--block-kib", "128", "--mode", "split", "--lanes", lanes}, out, err);

    assertEquals(0, status, () -> "exit status; stdout:\n" + out() + "\nstderr:\n" + err());
    String text = out();
    boolean on = lanes.equals("on");
    assertTrue(text.contains(on ? "split (duplex, lanes)" : "split (duplex, no lanes)"), text);
    assertTrue(text.contains(on ? "on: blocks / consensus" : "off: one lane"), text);
    Matcher complete = Pattern.compile("fast nodes saw every proposal and vote +(\\S+)")
        .matcher(text);
    assertTrue(complete.find(), () -> "no completeness row in:\n" + text);
    assertEquals("yes", complete.group(1), text);
    // The last progress line counts the votes the fast nodes saw: some must have arrived.
    Matcher votes = Pattern.compile("\\[split, " + (on ? "lanes" : "no lanes")
        + "\\].* votes +(\\d+)").matcher(text);
    long seen = -1;
    while (votes.find()) {
      seen = Long.parseLong(votes.group(1));
    }
    assertTrue(seen > 0, () -> "no votes delivered:\n" + text);
    Matcher latency = Pattern.compile("fast nodes' vote latency p50 / p99 +(\\S+ ms) / ")
        .matcher(text);
    assertTrue(latency.find(), () -> "no vote latency in:\n" + text);
    assertEquals("", err(), "nothing on stderr for a clean run");
  }

  @Test
  void anUnknownLanesValueIsAUsageError() {
    int status = Main.run(new String[] {"demo", "--lanes", "maybe"}, out, err);

    assertEquals(Args.USAGE_STATUS, status);
    assertTrue(err().contains("--lanes must be on or off or both"), this::err);
  }

  @Test
  @Timeout(30)
  void aPortInUseEndsTheDemoWithAClearMessageAndStatusOne() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      int port = taken.getLocalPort();

      int status = Main.run(new String[] {"demo", "--nodes", "2", "--slow", "0", "--seconds", "1",
          "--port", Integer.toString(port)}, out, err);

      assertEquals(1, status, this::err);
      assertTrue(err().contains("cannot start the split network on 127.0.0.1 ports " + port),
          this::err);
      assertTrue(err().contains("--port 0"), this::err);
    }
  }

  @Test
  void aBadOptionIsAUsageError() {
    int status = Main.run(new String[] {"demo", "--nodes", "1"}, out, err);

    assertEquals(Args.USAGE_STATUS, status);
    assertTrue(err().contains("usage: demo"), this::err);
  }
}
