package io.duplex.nio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Lane;
import io.duplex.NodeId;
import io.duplex.TransportConfig;
import io.duplex.internal.LaneFrames;
import io.duplex.internal.LaneTable;
import io.duplex.internal.Wire;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The lanes example in docs/PROTOCOL.md ("Lanes", "Example") is what the code produces: the lane
 * table of {@link LaneTable#of}, the frames {@link LaneFrames} lays a chunked message out as,
 * and the CREDIT frame {@link ControlQueue#offerCredit} queues. The text between the document's
 * markers must equal the generated text, so the document cannot drift (as SecureTranscriptTest
 * does for the secure transcript). To regenerate after a deliberate change, run this test and
 * copy the printed block.
 */
class LaneWireDocTest {
  private static final Path DOC = Path.of("../docs/PROTOCOL.md");
  private static final String BEGIN = "<!-- lanes example begin -->";
  private static final String END = "<!-- lanes example end -->";

  static final Lane CONSENSUS = Lane.builder("consensus").maxMessageSize(65_536)
      .inboundWindow(262_144).build();
  static final Lane BLOCKS = Lane.builder("blocks").maxMessageSize(4 * 1024 * 1024)
      .inboundWindow(8 * 1024 * 1024).build();

  @Test
  void theDocumentedLaneExampleIsWhatTheCodeSendsByteForByte() throws IOException {
    String produced = example();
    System.out.println(BEGIN);
    System.out.println("```text");
    System.out.print(produced);
    System.out.println("```");
    System.out.println(END);
    assertEquals(produced, documented(), "docs/PROTOCOL.md's lanes example differs from what"
        + " the code sends (printed above)");
  }

  static String example() {
    TransportConfig config = TransportConfig.builder().insecurePlaintext()
        .nodeId(NodeId.of("a")).lanes(CONSENSUS, BLOCKS).build();
    Text t = new Text();

    LaneTable table = LaneTable.of(config);
    ByteBuffer ext = ByteBuffer.allocate(table.extensionSize());
    table.writeExtension(ext);
    ext.flip();
    t.line("Lane table (default, consensus, blocks), the whole extension area:");
    t.row(new byte[] {0, (byte) ext.remaining()}, "x = " + ext.remaining()
        + ": extension area length");
    t.row(take(ext, 2), "type 1: lane table");
    int n = ext.getShort(ext.position()) & 0xFFFF;
    t.row(take(ext, 2), "length " + n);
    t.row(take(ext, 1), ext.get(ext.position() - 1) + " lanes");
    for (int i = 0; i < table.size(); i++) {
      byte[] len = take(ext, 1);
      t.row(len, "lane " + i + ": name length " + len[0]);
      t.row(take(ext, len[0]), "\"" + table.name(i) + "\"");
      t.row(take(ext, 4), "max message size " + String.format("%,d", table.maxMessageSize(i)));
      t.row(take(ext, 4), "window " + String.format("%,d", table.window(i)));
    }
    assertEquals(0, ext.remaining());
    t.line("");

    int size = 70_000;
    int chunk = 32_768;
    ByteBuffer wire = LaneFrames.layout(2, ByteBuffer.allocate(size), chunk);
    t.line("A message of " + String.format("%,d", size) + " bytes on lane 2, chunk size "
        + String.format("%,d", chunk) + " (" + String.format("%,d", wire.remaining())
        + " bytes on the wire):");
    int at = 0;
    int done = 0;
    while (at < wire.limit()) {
      int length = wire.getInt(at);
      byte type = wire.get(at + 4);
      boolean first = (type & 0xF0) == Wire.FIRST_CHUNK;
      int header = first ? Wire.FIRST_CHUNK_HEADER : Wire.HEADER_SIZE;
      int data = length - (header - Wire.LENGTH_SIZE);
      byte[] h = new byte[header];
      wire.get(at, h);
      t.row(sub(h, 0, 4), "length " + String.format("%,d", length));
      t.row(sub(h, 4, 5), (first ? "FIRST_CHUNK" : "NEXT_CHUNK") + " on lane " + (type & 0x0F));
      if (first) {
        t.row(sub(h, 5, 9), "total message size " + String.format("%,d", wire.getInt(at + 5)));
      }
      t.line(pad("..") + "data bytes " + String.format("%,d", done) + ".."
          + String.format("%,d", done + data - 1) + " (" + String.format("%,d", data) + ")");
      done += data;
      at += Wire.LENGTH_SIZE + length;
    }
    assertEquals(size, done);
    t.line("");

    ConnectionMetrics metrics = new ConnectionMetrics();
    ControlQueue control = new ControlQueue(metrics, new PendingBytes(config, metrics, () -> { }));
    control.offerCredit(2, size);
    ByteBuffer credit = control.poll().bytes;
    byte[] c = new byte[credit.remaining()];
    credit.get(credit.position(), c);
    t.line("The CREDIT the receiver sends once the application consumed it:");
    t.row(sub(c, 0, 4), "length " + ByteBuffer.wrap(c).getInt());
    t.row(sub(c, 4, 5), "CREDIT");
    t.row(sub(c, 5, 6), "lane " + c[5]);
    t.row(sub(c, 6, 10), "bytes " + String.format("%,d", ByteBuffer.wrap(c, 6, 4).getInt()));
    return t.toString();
  }

  private static byte[] take(ByteBuffer b, int n) {
    byte[] a = new byte[n];
    b.get(a);
    return a;
  }

  private static byte[] sub(byte[] a, int from, int to) {
    return java.util.Arrays.copyOfRange(a, from, to);
  }

  private static String pad(String s) {
    StringBuilder b = new StringBuilder(s);
    while (b.length() < 28) {
      b.append(' ');
    }
    return b.toString();
  }

  private static String documented() throws IOException {
    List<String> lines = Files.readAllLines(DOC, StandardCharsets.UTF_8);
    int from = lines.indexOf(BEGIN);
    assertTrue(from >= 0, "docs/PROTOCOL.md has no line '" + BEGIN + "'");
    int to = lines.indexOf(END);
    assertTrue(to > from, "docs/PROTOCOL.md has no '" + END + "' after " + BEGIN);
    List<String> block = new ArrayList<>(lines.subList(from + 1, to));
    assertEquals("```text", block.get(0), "the example opens with a ```text fence");
    assertEquals("```", block.get(block.size() - 1), "the example closes with a ``` fence");
    StringBuilder s = new StringBuilder();
    for (String line : block.subList(1, block.size() - 1)) {
      s.append(line).append('\n');
    }
    return s.toString();
  }

  /** Rows of hex bytes (at most 8 a line) with a note in a column after them. */
  private static final class Text {
    private final StringBuilder s = new StringBuilder();

    void line(String text) {
      s.append(text.stripTrailing()).append('\n');
    }

    void row(byte[] bytes, String note) {
      for (int i = 0; i < bytes.length; i += 8) {
        StringBuilder hex = new StringBuilder();
        for (int j = i; j < Math.min(bytes.length, i + 8); j++) {
          hex.append(j > i ? " " : "").append(String.format("%02x", bytes[j] & 0xFF));
        }
        line(pad(hex.toString()) + (i == 0 ? note : ""));
      }
    }

    @Override
    public String toString() {
      return s.toString();
    }
  }
}
