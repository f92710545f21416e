package io.duplex.internal;

import io.duplex.HandshakeException;
import io.duplex.HandshakeException.Field;
import io.duplex.Lane;
import io.duplex.TransportConfig;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;

/**
 * One side's lane table as the handshake carries it (docs/PROTOCOL.md, "Lanes"): for each lane,
 * lane 0 first, its name, the largest message it accepts and the window it grants the peer. It
 * travels as handshake extension {@value #EXTENSION_TYPE}:
 *
 * <pre>
 *   u16 type = 1   u16 length
 *   u8 count (2..16)
 *   count times:   u8 n, n bytes name (UTF-8, 1..32)   u32 max message size   u32 window
 * </pre>
 *
 * Immutable. A transport without lanes has no table (null) and sends no extension.
 */
public final class LaneTable {
  /** The handshake extension type of the lane table. */
  public static final int EXTENSION_TYPE = 1;
  /** Chunk data a sender may put in one frame, at most: a window must leave room for one. */
  public static final int MAX_CHUNK = TransportConfig.MAX_CHUNK_SIZE;

  private final String[] names;
  private final int[] maxMessageSize;
  private final int[] window;

  private LaneTable(String[] names, int[] maxMessageSize, int[] window) {
    this.names = names;
    this.maxMessageSize = maxMessageSize;
    this.window = window;
  }

  /** This side's table, or null if {@code config} has no lanes. */
  public static LaneTable of(TransportConfig config) {
    List<Lane> lanes = config.lanes();
    if (lanes.isEmpty()) {
      return null;
    }
    int n = lanes.size() + 1;
    String[] names = new String[n];
    int[] max = new int[n];
    int[] window = new int[n];
    names[0] = Lane.DEFAULT.name();
    max[0] = config.maxFrameSize() - Wire.TYPE_SIZE;
    window[0] = defaultLaneWindow(config);
    for (int i = 1; i < n; i++) {
      Lane l = lanes.get(i - 1);
      names[i] = l.name();
      max[i] = l.maxMessageSize();
      window[i] = l.inboundWindow();
    }
    return new LaneTable(names, max, window);
  }

  /**
   * The default lane's window: the transport's inbound byte bound, raised to the least its max
   * message size needs.
   */
  static int defaultLaneWindow(TransportConfig config) {
    int min = Lane.minWindow(config.maxFrameSize() - Wire.TYPE_SIZE);
    return (int) Math.max(min, Math.min(Integer.MAX_VALUE, config.inboundQueueMaxBytes()));
  }

  /** Lanes in the table, lane 0 included. */
  public int size() {
    return names.length;
  }

  public String name(int lane) {
    return names[lane];
  }

  /** The largest message body the side that sent this table accepts on {@code lane}. */
  public int maxMessageSize(int lane) {
    return maxMessageSize[lane];
  }

  /** The bytes the side that sent this table lets its peer send on {@code lane} before credit. */
  public int window(int lane) {
    return window[lane];
  }

  /** Bytes of the whole extension entry, type and length included. */
  public int extensionSize() {
    int n = 4 + 1;
    for (String name : names) {
      n += 1 + name.getBytes(StandardCharsets.UTF_8).length + 8;
    }
    return n;
  }

  /** Writes the extension entry (type, length, table) into {@code out}. */
  public void writeExtension(ByteBuffer out) {
    out.putShort((short) EXTENSION_TYPE).putShort((short) (extensionSize() - 4));
    out.put((byte) names.length);
    for (int i = 0; i < names.length; i++) {
      byte[] name = names[i].getBytes(StandardCharsets.UTF_8);
      out.put((byte) name.length).put(name).putInt(maxMessageSize[i]).putInt(window[i]);
    }
  }

  /**
   * Reads the extension entries that fill {@code area} (each u16 type, u16 length, bytes),
   * skipping types it does not know, and returns the lane table if one is there.
   *
   * @throws HandshakeException {@link Field#FORMAT} if an entry runs past the area, the lane
   *     table appears twice, or the table is malformed
   */
  public static LaneTable readExtensions(ByteBuffer area) {
    return readExtensions(area, d -> new HandshakeException(Field.FORMAT, "handshake failed:"
        + " malformed handshake extensions: " + d + "; the peer is broken or speaks another"
        + " protocol"));
  }

  /**
   * As {@link #readExtensions(ByteBuffer)}; {@code format} makes the {@link Field#FORMAT}
   * exception for a detail, in the caller's words.
   */
  public static LaneTable readExtensions(ByteBuffer area,
      Function<String, HandshakeException> format) {
    LaneTable table = null;
    try {
      while (area.hasRemaining()) {
        int type = area.getShort() & 0xFFFF;
        int n = area.getShort() & 0xFFFF;
        if (n > area.remaining()) {
          throw format.apply("an extension entry of " + n + " bytes runs past the end of the"
              + " extension area (" + area.remaining() + " bytes left)");
        }
        ByteBuffer entry = area.slice();
        entry.limit(n);
        area.position(area.position() + n);
        if (type == EXTENSION_TYPE) {
          if (table != null) {
            throw format.apply("the lane table extension appears twice");
          }
          table = read(entry, format);
        }
      }
    } catch (BufferUnderflowException e) {
      throw format.apply("an extension entry ends inside its type or length");
    }
    return table;
  }

  private static LaneTable read(ByteBuffer in, Function<String, HandshakeException> formatter) {
    Function<String, HandshakeException> format = d -> formatter.apply("lane table: " + d);
    try {
      int count = in.get() & 0xFF;
      if (count < 2 || count > Lane.MAX_LANES) {
        throw format.apply("a lane table has 2.." + Lane.MAX_LANES + " lanes, this one " + count);
      }
      String[] names = new String[count];
      int[] max = new int[count];
      int[] window = new int[count];
      for (int i = 0; i < count; i++) {
        byte[] name = Handshake.shortField(in);
        if (name == null || name.length > 32) {
          throw format.apply("lane " + i + "'s name must be 1 to 32 bytes");
        }
        names[i] = Handshake.strictUtf8(name);
        if (names[i] == null) {
          throw format.apply("lane " + i + "'s name is not valid UTF-8");
        }
        max[i] = in.getInt();
        window[i] = in.getInt();
        if (max[i] <= 0 || window[i] <= 0) {
          throw format.apply("lane '" + names[i] + "': max message size and window must be"
              + " 1..2^31-1");
        }
        if ((long) window[i] < (long) max[i] + MAX_CHUNK) {
          throw format.apply("lane '" + names[i] + "': a window of " + window[i] + " bytes is below"
              + " its max message size " + max[i] + " plus 65,536, so a message might never"
              + " complete");
        }
      }
      if (in.hasRemaining()) {
        throw format.apply(in.remaining() + " bytes after the last lane of the lane table");
      }
      return new LaneTable(names, max, window);
    } catch (BufferUnderflowException e) {
      throw format.apply("the lane table ends inside a lane");
    }
  }

  /**
   * Checks the peer's table against ours: both have lanes or neither, the same names in the same
   * order.
   *
   * @throws HandshakeException {@link Field#LANES} naming the difference
   */
  public static void check(LaneTable local, LaneTable remote) {
    if (local == null && remote == null) {
      return;
    }
    if (remote == null) {
      throw new HandshakeException(Field.LANES, "handshake failed: this node has lanes "
          + local.describe() + " and the peer has none (or runs a version without lanes); both"
          + " peers must configure the same lanes(...)");
    }
    if (local == null) {
      throw new HandshakeException(Field.LANES, "handshake failed: the peer has lanes "
          + remote.describe() + " and this node has none; both peers must configure the same"
          + " lanes(...)");
    }
    if (!java.util.Arrays.equals(local.names, remote.names)) {
      throw new HandshakeException(Field.LANES, "handshake failed: lane tables differ (ours "
          + local.describe() + ", theirs " + remote.describe() + "); both peers must configure"
          + " the same lane names in the same order");
    }
  }

  private String describe() {
    return String.join(",", names);
  }

  @Override
  public String toString() {
    return "LaneTable[" + describe() + "]";
  }
}
