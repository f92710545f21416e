package io.duplex.nio.internal;

import io.duplex.LaneException;
import io.duplex.LaneException.Reason;
import io.duplex.internal.LaneTable;
import io.duplex.internal.Wire;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The receiving side of a connection's lanes: it checks every lane frame against the lane
 * table and the credit this side granted, reassembles chunked messages, one per lane at a time,
 * into a buffer the lane reuses (until a quiet period lets it go: {@link #releaseLarge}), and
 * grants credit back as the application consumes.
 *
 * <h2>Credit</h2>
 * Each lane starts with the window this side announced. The peer may send that many data bytes
 * before it hears more; a message costs its data bytes plus {@link Wire#MESSAGE_CREDIT}. As the
 * application consumes a message (a handler returns, or {@code receive} takes it), its cost is
 * <em>withheld</em> until a quarter of the window is, or until the peer has less than 128 KiB of
 * credit left (so a message never waits for credit held back here), and then granted in one
 * CREDIT frame. A stalled handler grants nothing, so only its
 * lane's sender stops.
 *
 * <h2>Fields and their threads</h2>
 * Per lane: {@code buffer}, {@code total}, {@code filled}: the read loop. {@code received}: the
 * read loop writes it (volatile), consumers read it. {@code granted}, {@code withheld}: atomics,
 * consumers add, the read loop reads {@code granted}. {@code lane} (of the last message
 * completed): the read loop.
 */
final class LaneReceiver {
  private static final int NONE = -1;

  private static final class In {
    final String name;
    final int max;
    final long window;
    final AtomicLong granted;
    final AtomicLong withheld = new AtomicLong();
    volatile long received;
    byte[] buffer = new byte[0];
    ByteBuffer view = ByteBuffer.wrap(buffer);
    int total = NONE;
    int filled;
    /** Messages completed; the read loop writes, anyone reads. */
    volatile long messages;

    In(String name, int max, long window) {
      this.name = name;
      this.max = max;
      this.window = window;
      this.granted = new AtomicLong(window);
    }
  }

  private final In[] lanes;
  /** The lane of the message {@link #onFrame} returned last. Read loop. */
  int lane;

  LaneReceiver(LaneTable own) {
    lanes = new In[own.size()];
    for (int i = 0; i < lanes.length; i++) {
      lanes[i] = new In(own.name(i), own.maxMessageSize(i), own.window(i));
    }
  }

  int size() {
    return lanes.length;
  }

  /** Whether {@code type} is a lane data frame (a whole message on lane 1..15, or a chunk). */
  static boolean isLaneData(byte type) {
    int kind = type & 0xF0;
    return (kind == Wire.LANE_MESSAGE && (type & 0x0F) != 0) || kind == Wire.FIRST_CHUNK
        || kind == Wire.NEXT_CHUNK;
  }

  /**
   * Takes a lane data frame ({@code type} MESSAGE or one of {@link #isLaneData}; {@code body} the
   * bytes after the type). Returns the whole message's payload, valid until the next call, with
   * {@link #lane} set; or null if a chunked message is not complete yet. Read loop.
   *
   * @throws LaneException if the frame breaks the lane rules
   */
  ByteBuffer onFrame(byte type, ByteBuffer body) {
    int id = type == Wire.MESSAGE ? 0 : type & 0x0F;
    if (id >= lanes.length) {
      throw new LaneException(Reason.UNKNOWN_LANE, String.valueOf(id), "protocol violation: a "
          + Wire.typeName(type) + " frame for lane " + id + ", and the lane table has "
          + lanes.length + " lanes");
    }
    In in = lanes[id];
    int kind = type & 0xF0;
    if (kind == Wire.FIRST_CHUNK) {
      if (body.remaining() < 4) {
        throw violation(Reason.MALFORMED, in, "a FIRST_CHUNK frame of " + body.remaining()
            + " bytes has no room for its u32 message size");
      }
      long total = body.getInt() & 0xFFFFFFFFL;
      unfinished(in);
      if (total > in.max || body.remaining() > total) {
        throw violation(Reason.TOO_LARGE, in, "a message of " + total + " bytes announced"
            + (body.remaining() > total ? " with a first chunk of " + body.remaining() : "")
            + ", over the lane's max message size " + in.max);
      }
      take(in, body.remaining() + Wire.MESSAGE_CREDIT);
      in.total = (int) total;
      in.filled = 0;
      return append(id, in, body);
    }
    if (kind == Wire.NEXT_CHUNK) {
      if (in.total == NONE) {
        throw violation(Reason.NO_MESSAGE, in, "a NEXT_CHUNK frame with no message in progress"
            + " on the lane");
      }
      if (body.remaining() > in.total - in.filled) {
        throw violation(Reason.TOO_LARGE, in, "a chunk of " + body.remaining() + " bytes where"
            + " the message has " + (in.total - in.filled) + " left of the " + in.total
            + " announced");
      }
      take(in, body.remaining());
      return append(id, in, body);
    }
    unfinished(in); // a whole message: MESSAGE on lane 0, 0x1n on lane n
    if (body.remaining() > in.max) {
      throw violation(Reason.TOO_LARGE, in, "a message of " + body.remaining() + " bytes, over"
          + " the lane's max message size " + in.max);
    }
    take(in, body.remaining() + Wire.MESSAGE_CREDIT);
    lane = id;
    in.messages++;
    return body;
  }

  private ByteBuffer append(int id, In in, ByteBuffer body) {
    int n = body.remaining();
    if (in.buffer.length < in.filled + n) {
      grow(in, in.filled + n);
    }
    body.get(in.buffer, in.filled, n);
    in.filled += n;
    if (in.filled < in.total) {
      return null;
    }
    lane = id;
    in.messages++; // (the read loop is the only writer)
    int total = in.total;
    in.total = NONE;
    return in.view.clear().limit(total);
  }

  /**
   * Grows a lane's buffer to hold at least {@code needed} bytes: as the data arrives, doubling,
   * never past the message's announced total. So a peer that announces a large message and
   * sends little of it makes this side allocate little. The buffer is kept for the lane's later
   * messages.
   */
  private static void grow(In in, int needed) {
    long next = Math.max(needed, Math.min((long) in.total, 2L * in.buffer.length));
    byte[] bigger = new byte[(int) next];
    System.arraycopy(in.buffer, 0, bigger, 0, in.filled);
    in.buffer = bigger;
    in.view = ByteBuffer.wrap(bigger);
  }

  /** Messages received whole on lane {@code id}. Any thread. */
  long messages(int id) {
    return lanes[id].messages;
  }

  /**
   * Lets go of every lane's reassembly buffer larger than {@code keep} bytes whose lane has no
   * message in progress: the lanes' large messages have stopped (a quiet period), so the buffers
   * no longer pin memory. The next chunked message grows a new one as its data arrives. Read
   * loop.
   *
   * @return the bytes let go
   */
  long releaseLarge(int keep) {
    long released = 0;
    for (In in : lanes) {
      if (in.total == NONE && in.buffer.length > keep) {
        released += in.buffer.length;
        in.buffer = new byte[0];
        in.view = ByteBuffer.wrap(in.buffer);
      }
    }
    return released;
  }

  /** The bytes lane {@code id}'s reassembly buffer holds now (for tests). */
  int bufferSize(int id) {
    return lanes[id].buffer.length;
  }

  private static void unfinished(In in) {
    if (in.total != NONE) {
      throw violation(Reason.UNFINISHED, in, "a new message started while " + in.filled + " of "
          + in.total + " bytes of the last one had arrived; one message at a time per lane");
    }
  }

  /** Counts {@code n} data bytes against the lane's credit. */
  private static void take(In in, int n) {
    long after = in.received + n;
    if (after > in.granted.get()) {
      throw violation(Reason.CREDIT_EXCEEDED, in, "the peer sent " + (after - in.granted.get())
          + " bytes more than the credit granted on the lane (window " + in.window + ")");
    }
    in.received = after;
  }

  /** The message's size on lane {@code id}: its data bytes. */
  boolean inProgress(int id) {
    return lanes[id].total != NONE;
  }

  /**
   * The application consumed a message of {@code size} data bytes on {@code id}: grants them
   * back, now or with later ones (see the class description). Any consumer thread.
   */
  void consumed(int id, int size, WriteHalf out) {
    In in = lanes[id];
    long w = in.withheld.addAndGet(size + Wire.MESSAGE_CREDIT);
    if (w >= in.window / 4 || in.granted.get() - in.received < 2L * LaneTable.MAX_CHUNK) {
      long take = in.withheld.getAndSet(0);
      if (take > 0) {
        in.granted.addAndGet(take);
        out.grant(id, take);
      }
    }
  }

  /** A CREDIT of {@code bytes} on {@code lane} (a lane of the table) that breaks the rules. */
  LaneException credit(int lane, long bytes, String why) {
    return violation(Reason.BAD_CREDIT, lanes[lane], "a CREDIT of " + bytes + " bytes: " + why);
  }

  private static LaneException violation(Reason reason, In in, String what) {
    return new LaneException(reason, in.name, "protocol violation on lane '" + in.name + "': "
        + what);
  }
}
