package io.duplex.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The echo programs against each other, in this process, over loopback. */
@Timeout(60)
class EchoProgramsTest {
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

  @ParameterizedTest
  @ValueSource(strings = {"json", "binary", "bytes"})
  void shouldEchoEveryMessageIntactWithEachCodec(String codec) throws Exception {
    try (EchoServer.Running server = EchoServer.start(
        new String[] {"--port", "0", "--codec", codec}, out)) {
      String port = Integer.toString(server.address.getPort());
      assertTrue(out().startsWith("echo-server listening on 127.0.0.1:" + port + " (codec "
          + codec + ")"), out());
      int status = EchoClient.run(new String[] {"--port", port, "--count", "2000", "--size",
          "300", "--codec", codec, "--window", "16"}, out, err);
      assertEquals(0, status, err());
      assertTrue(out().contains("2000 messages of 300 bytes echoed intact and in order"), out());
      assertTrue(out().contains("round trip us: p50"), out());
    }
  }

  @Test
  void shouldFailClearlyWhenNothingListens() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      port = s.getLocalPort();
    }
    assertEquals(1, EchoClient.run(new String[] {"--port", Integer.toString(port)}, out, err));
    assertTrue(err().contains("cannot connect to"), err());
  }

  @Test
  void shouldRefuseBadOptionsWithTheUsage() throws Exception {
    assertEquals(2, EchoClient.run(new String[] {"--port", "x"}, out, err));
    assertTrue(err().contains("--port must be a number: x"), err());
    assertEquals(2, EchoClient.run(new String[] {"--prot", "1"}, out, err));
    assertTrue(err().contains("unknown option '--prot'"), err());
    assertEquals(2, EchoServer.run(new String[] {"--port", "1", "--codec", "xml"}, out, err));
    assertTrue(err().contains("--codec must be json, binary or bytes"), err());
    assertEquals(2, Main.run(new String[] {"nope"}, out, err));
    assertEquals(0, Main.run(new String[0], out, err));
    assertTrue(out().contains("echo-server --port P"), out());
  }

  @Test
  void shouldReportAPortThatCannotBeBound() throws Exception {
    try (EchoServer.Running first = EchoServer.start(new String[] {"--port", "0"}, out)) {
      String port = Integer.toString(first.address.getPort());
      assertEquals(1, EchoServer.run(new String[] {"--port", port}, out, err));
      assertTrue(err().contains("cannot listen on"), err());
    }
  }
}
