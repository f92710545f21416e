package io.duplex.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.NodeId;
import io.duplex.peer.PeerAddress;
import io.duplex.security.Identity;
import io.duplex.TransportConfig;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.nio.NioTransport;
import io.duplex.peer.MembershipListener;
import io.duplex.peer.PeerNode;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Running a node", run as written there: the lines between the markers below are
 * the README's code block, but for those ending in {@code // test only}, and {@link
 * #shouldShowInTheReadmeTheCodeThisTestRuns} checks that the two still match.
 */
@Timeout(60)
class ReadmeNodeTest {
  private static final String BEGIN = "// --- README.md: Running a node ---";
  private static final String END = "// --- end of README.md ---";
  private static final String TEST_ONLY = "// test only";

  @Test
  void shouldRunANodeAsTheReadmeShows(@TempDir Path keys) throws Exception {
    List<byte[]> atB = new CopyOnWriteArrayList<>();
    Identity identityB = Identity.generate();
    try (PeerNode<byte[]> b = PeerNode.builder(NioTransport.builder(ByteArrayCodec.instance())
            .config(TransportConfig.builder().identity(identityB).build()).factory())
        .listen(new InetSocketAddress("127.0.0.1", 0))
        .onMessage((peer, message) -> atB.add(message))
        .build()) {
      InetSocketAddress nodeB = b.listenAddress().orElseThrow();
      NodeId nodeBId = identityB.nodeId();
      Path keyFile = keys.resolve("node-a.key");
      CompletableFuture<Throwable> written = new CompletableFuture<>();
      // --- README.md: Running a node ---
      Identity identity = Identity.loadOrGenerate(keyFile); // the node's key; its id follows
      PeerNode<byte[]> node = PeerNode.builder(
              NioTransport.builder(ByteArrayCodec.instance())
                  .config(TransportConfig.builder().identity(identity).build())
                  .factory())
          .listen(new InetSocketAddress("127.0.0.1", 0))   // port 0: any free port
          .onMessage((peer, message) ->                   // every peer's messages
              System.out.println(peer.peer().nodeId() + ": " + message.length + " bytes"))
          .membershipListener(new MembershipListener<>() {
            @Override
            public void joined(Connection<byte[]> peer) {
              System.out.println(peer.peer().nodeId() + " joined");
            }

            @Override
            public void left(Connection<byte[]> peer, ConnectionClosedException cause) {
              System.out.println(peer.peer().nodeId() + " left: " + cause.getMessage());
            }

            @Override
            public void dialFailed(InetSocketAddress address, Throwable cause, int attempt,
                Duration nextRetry) {
              System.out.println("dial " + attempt + " to " + address + " failed: " + cause);
            }
          })
          .errorHandler((address, connection, error) ->   // every failure of a peer
              System.out.println(address + " failed: " + error))
          .build();
      InetSocketAddress address = node.listenAddress().orElseThrow(); // tell your peers

      node.addPeer(PeerAddress.of(nodeBId, nodeB));       // dials; redials whenever it drops
      // ... once node-b has joined:
      Await.until(() -> node.size() == 1 && b.size() == 1); // test only
      assertEquals(address.getPort(), b.peers().get(0).peer().listenPort()); // test only
      node.sendTo(nodeBId, "hello".getBytes())
          .whenComplete((v, error) -> {
            // error == null: WRITTEN, handed to the kernel; not yet read by node-b
            written.complete(error); // test only
          });
      Await.until(() -> atB.size() == 1); // test only
      node.close();                                       // tells every peer GOING_AWAY
      // --- end of README.md ---
      assertNull(written.get(10, TimeUnit.SECONDS), "the send was written");
      assertEquals("hello", new String(atB.get(0), StandardCharsets.UTF_8));
      Await.until(() -> b.size() == 0);
    }
  }

  @Test
  void shouldShowInTheReadmeTheCodeThisTestRuns() throws Exception {
    List<String> test = new ArrayList<>();
    boolean in = false;
    for (String line : Files.readAllLines(
        Path.of("src/test/java/io/duplex/examples/ReadmeNodeTest.java"))) {
      if (line.trim().equals(END)) {
        break;
      }
      if (in && !line.trim().endsWith(TEST_ONLY)) {
        test.add(line);
      }
      in |= line.trim().equals(BEGIN);
    }
    int indent = test.get(0).length() - test.get(0).stripLeading().length();
    List<String> expected = new ArrayList<>();
    for (String line : test) {
      expected.add(line.length() >= indent ? line.substring(indent) : line.trim());
    }
    List<String> readme = Files.readAllLines(Path.of("../README.md"));
    int section = readme.indexOf("## Running a node");
    assertTrue(section >= 0, "README.md has a section 'Running a node'");
    int start = readme.subList(section, readme.size()).indexOf("```java") + section + 1;
    int end = readme.subList(start, readme.size()).indexOf("```") + start;
    assertEquals(expected, readme.subList(start, end));
  }
}
