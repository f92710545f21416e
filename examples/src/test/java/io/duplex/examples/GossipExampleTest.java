package io.duplex.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The custom codec example, run as the jar would run it, over loopback. */
class GossipExampleTest {
  @Test
  @Timeout(60)
  void everyNodeHearsEveryRumorOnceThroughTheCustomCodec() {
    ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
    PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

    int status = Main.run(new String[] {"gossip", "--nodes", "4", "--rumors", "6"}, out, err);

    String text = outBytes.toString(StandardCharsets.UTF_8);
    assertEquals(0, status, () -> text + errBytes.toString(StandardCharsets.UTF_8));
    assertTrue(text.contains("speaking gossip/1"), text);
    assertTrue(text.contains("every node heard every rumor"), text);
    // Each of nodes 1..3 reports each rumor exactly once (node 0 started them).
    for (int node = 1; node <= 3; node++) {
      for (int rumor = 1; rumor <= 6; rumor++) {
        Matcher m = Pattern.compile("node-" + node + " heard rumor " + rumor + " from")
            .matcher(text);
        int count = 0;
        while (m.find()) {
          count++;
        }
        assertEquals(1, count, "node-" + node + ", rumor " + rumor + " in:\n" + text);
      }
    }
    assertFalse(text.contains("node-0 heard"), "node 0 started the rumors:\n" + text);
  }
}
