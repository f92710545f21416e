package io.duplex;

import java.util.Objects;

/**
 * A lane of a connection: a class of messages with its own priority, size limit, outbound limit
 * and inbound flow control, so that a vote never waits behind a block queued ahead of it.
 *
 * <p>A transport configured with {@link TransportConfig.Builder#lanes(Lane...)} carries several
 * lanes on every connection. Lane 0, {@link #DEFAULT}, is always there: {@code send(message)}
 * uses it, with the transport's own limits ({@code maxFrameSize}, {@code outboundHardLimit},
 * {@code slowPeerPolicy}). The lanes given to the builder are lanes 1, 2, ... in that order, and
 * {@link Connection#send(Lane, Object)} picks one per message. Both peers must configure the
 * same lane names in the same order: the handshake compares them.
 *
 * <ul>
 *   <li><b>Weight</b> (1..1,000): when several lanes have messages queued, the write half
 *       interleaves their chunks in proportion to their weights, and a lane that was idle is
 *       served next, ahead of the bytes queued on busier lanes. No lane starves.</li>
 *   <li><b>Max message size</b>: larger sends fail with {@link
 *       io.duplex.codec.EncoderException}; a peer that sends larger is closed.</li>
 *   <li><b>Outbound hard limit and slow-peer policy</b>: bytes this lane may queue for one peer,
 *       and what happens to a send past them (for example {@code FAIL_SEND} for votes, {@code
 *       DROP_OLDEST} for a mempool lane).</li>
 *   <li><b>Inbound window</b>: bytes of this lane the peer may send before the application has
 *       consumed them. It is announced in the handshake and refilled by credit as messages are
 *       handled, so a stalled handler on one lane stops only that lane's sender. It is at least
 *       {@link #minWindow(int) the max message size plus a third, plus 128 KiB}.</li>
 * </ul>
 *
 * <p>Messages larger than the chunk size ({@link TransportConfig#chunkSize()}) travel as chunks
 * that interleave with other lanes' chunks. Within a lane, messages go out and are delivered in
 * the order they were sent. Immutable.
 */
public final class Lane {
  /** The most lanes a connection carries, lane 0 included. */
  public static final int MAX_LANES = 16;
  /** Default {@link #weight()}. */
  public static final int DEFAULT_WEIGHT = 1;
  /** The largest {@link #weight()}. */
  public static final int MAX_WEIGHT = 1_000;
  /** Default {@link #maxMessageSize()} of a lane built here: 1 MiB. */
  public static final int DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024;
  /** Default {@link #outboundHardLimit()} of a lane built here: 32 MiB. */
  public static final long DEFAULT_OUTBOUND_HARD_LIMIT = 32L * 1024 * 1024;

  /**
   * Lane 0, what {@code send(message)} uses. Its limits are the transport's ({@code
   * maxFrameSize}, {@code outboundHardLimit}, {@code slowPeerPolicy}); only its name and weight
   * are read from here.
   */
  public static final Lane DEFAULT = new Lane("default", DEFAULT_WEIGHT, 0, 0,
      SlowPeerPolicy.FAIL_SEND, 0);

  private final String name;
  private final int weight;
  private final int maxMessageSize;
  private final long outboundHardLimit;
  private final SlowPeerPolicy slowPeerPolicy;
  private final int inboundWindow;

  private Lane(String name, int weight, int maxMessageSize, long outboundHardLimit,
      SlowPeerPolicy slowPeerPolicy, int inboundWindow) {
    this.name = name;
    this.weight = weight;
    this.maxMessageSize = maxMessageSize;
    this.outboundHardLimit = outboundHardLimit;
    this.slowPeerPolicy = slowPeerPolicy;
    this.inboundWindow = inboundWindow;
  }

  /** A builder for a lane called {@code name} (1 to 32 bytes of UTF-8, unique per transport). */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** The smallest inbound window a lane of {@code maxMessageSize} may have. */
  public static int minWindow(int maxMessageSize) {
    long w = (long) maxMessageSize + maxMessageSize / 3 + 2L * 65_536;
    return (int) Math.min(Integer.MAX_VALUE, w);
  }

  /** The lane's name, as the handshake compares it. */
  public String name() {
    return name;
  }

  /** Its share of the connection when lanes compete: 1..{@value #MAX_WEIGHT}. */
  public int weight() {
    return weight;
  }

  /** The largest message body this lane carries, in bytes; 0 for {@link #DEFAULT}. */
  public int maxMessageSize() {
    return maxMessageSize;
  }

  /** Bytes this lane may queue for one peer; 0 for {@link #DEFAULT}. */
  public long outboundHardLimit() {
    return outboundHardLimit;
  }

  /** What a send past {@link #outboundHardLimit()} does. */
  public SlowPeerPolicy slowPeerPolicy() {
    return slowPeerPolicy;
  }

  /** Bytes the peer may send on this lane ahead of the application; 0 for {@link #DEFAULT}. */
  public int inboundWindow() {
    return inboundWindow;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Lane)) {
      return false;
    }
    Lane l = (Lane) o;
    return name.equals(l.name) && weight == l.weight && maxMessageSize == l.maxMessageSize
        && outboundHardLimit == l.outboundHardLimit && slowPeerPolicy == l.slowPeerPolicy
        && inboundWindow == l.inboundWindow;
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, weight, maxMessageSize, outboundHardLimit, slowPeerPolicy,
        inboundWindow);
  }

  @Override
  public String toString() {
    return "Lane{" + name + ", weight=" + weight + (this == DEFAULT ? "" : ", maxMessageSize="
        + maxMessageSize + ", outboundHardLimit=" + outboundHardLimit + ", " + slowPeerPolicy
        + ", inboundWindow=" + inboundWindow) + "}";
  }

  /** Collects a lane's settings; {@link #build()} checks how they fit. Not thread-safe. */
  public static final class Builder {
    private final String name;
    private int weight = DEFAULT_WEIGHT;
    private int maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
    private long outboundHardLimit = DEFAULT_OUTBOUND_HARD_LIMIT;
    private SlowPeerPolicy slowPeerPolicy = SlowPeerPolicy.FAIL_SEND;
    private int inboundWindow; // 0: twice the minimum

    private Builder(String name) {
      Objects.requireNonNull(name, "name");
      int bytes = name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      if (bytes < 1 || bytes > 32) {
        throw new IllegalArgumentException("a lane name is 1 to 32 bytes of UTF-8, '" + name
            + "' is " + bytes);
      }
      this.name = name;
    }

    /** See {@link Lane#weight()}; default {@value Lane#DEFAULT_WEIGHT}. */
    public Builder weight(int weight) {
      if (weight < 1 || weight > MAX_WEIGHT) {
        throw new IllegalArgumentException("lane weight must be 1.." + MAX_WEIGHT + ": "
            + weight);
      }
      this.weight = weight;
      return this;
    }

    /** See {@link Lane#maxMessageSize()}; 1 byte to 1 GiB, default 1 MiB. */
    public Builder maxMessageSize(int bytes) {
      if (bytes < 1 || bytes > (1 << 30)) {
        throw new IllegalArgumentException("lane max message size must be 1..2^30 bytes: "
            + bytes);
      }
      this.maxMessageSize = bytes;
      return this;
    }

    /** See {@link Lane#outboundHardLimit()}; default 32 MiB. */
    public Builder outboundHardLimit(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("lane outbound hard limit must be positive: "
            + bytes);
      }
      this.outboundHardLimit = bytes;
      return this;
    }

    /** See {@link Lane#slowPeerPolicy()}; default {@code FAIL_SEND}. */
    public Builder slowPeerPolicy(SlowPeerPolicy policy) {
      this.slowPeerPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * See {@link Lane#inboundWindow()}; at least {@link Lane#minWindow(int)} of the max message
     * size. Left unset, twice that minimum.
     */
    public Builder inboundWindow(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("lane inbound window must be positive: " + bytes);
      }
      this.inboundWindow = bytes;
      return this;
    }

    /** The lane. */
    public Lane build() {
      int min = minWindow(maxMessageSize);
      int window = inboundWindow != 0 ? inboundWindow
          : (int) Math.min(Integer.MAX_VALUE, 2L * min);
      if (window < min) {
        throw new IllegalArgumentException("lane '" + name + "': inbound window " + window
            + " is below " + min + ", the least a max message size of " + maxMessageSize
            + " needs (the size, a third more, and two 64 KiB chunks) so that a message can"
            + " always complete; raise inboundWindow or lower maxMessageSize");
      }
      if (outboundHardLimit < maxMessageSize) {
        throw new IllegalArgumentException("lane '" + name + "': outbound hard limit "
            + outboundHardLimit + " is below the max message size " + maxMessageSize
            + ", so its largest message could never be queued");
      }
      return new Lane(name, weight, maxMessageSize, outboundHardLimit, slowPeerPolicy, window);
    }
  }
}
