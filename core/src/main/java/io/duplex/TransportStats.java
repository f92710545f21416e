package io.duplex;

import java.util.Map;
import java.util.Objects;

/**
 * An immutable snapshot of a transport's counters and gauges, read with {@link
 * Transport#stats()}. Counters count from the transport's start and include connections that
 * have closed since; gauges are the value at the moment of the snapshot. Each field is exact for
 * that field; a snapshot taken while traffic flows is not one instant across all fields.
 * docs/METRICS.md describes each field.
 *
 * <p>A transport makes one with {@link #builder()}, setting each field by name:
 *
 * <pre>{@code
 * TransportStats stats = TransportStats.builder()
 *     .openConnections(open).messagesOut(sent).errors(errorCounts)
 *     .build(); // fields not set are 0, errors empty
 * }</pre>
 */
public final class TransportStats {
  private final long openConnections;
  private final long accepted;
  private final long dialed;
  private final long closed;
  private final long inboundConnections;
  private final long refusedByLimit;
  private final long messagesOut;
  private final long bytesOut;
  private final long messagesIn;
  private final long bytesIn;
  private final long pendingBytes;
  private final long writeThroughs;
  private final long deferredWrites;
  private final long sendsRefused;
  private final long sendsTimedOut;
  private final long framesDropped;
  private final long readPauses;
  private final long writeWakeups;
  private final Map<String, Long> errors;

  private TransportStats(Builder b) {
    openConnections = b.openConnections;
    accepted = b.accepted;
    dialed = b.dialed;
    closed = b.closed;
    inboundConnections = b.inboundConnections;
    refusedByLimit = b.refusedByLimit;
    messagesOut = b.messagesOut;
    bytesOut = b.bytesOut;
    messagesIn = b.messagesIn;
    bytesIn = b.bytesIn;
    pendingBytes = b.pendingBytes;
    writeThroughs = b.writeThroughs;
    deferredWrites = b.deferredWrites;
    sendsRefused = b.sendsRefused;
    sendsTimedOut = b.sendsTimedOut;
    framesDropped = b.framesDropped;
    readPauses = b.readPauses;
    writeWakeups = b.writeWakeups;
    errors = Map.copyOf(b.errors);
  }

  /** A builder with every counter and gauge at 0 and no errors. */
  public static Builder builder() {
    return new Builder();
  }

  /** Gauge: connections that completed the handshake and are not closed. */
  public long openConnections() {
    return openConnections;
  }

  /** Connections accepted from listening sockets (those refused by a limit not counted). */
  public long accepted() {
    return accepted;
  }

  /** Connections dialed with {@link Transport#connect}. */
  public long dialed() {
    return dialed;
  }

  /** Connections that ended, for any reason. */
  public long closed() {
    return closed;
  }

  /**
   * Gauge: accepted connections alive, handshake pending or done: what {@link
   * TransportConfig#maxInboundConnections()} bounds (dialed connections are not counted).
   */
  public long inboundConnections() {
    return inboundConnections;
  }

  /**
   * Accepted sockets reset at once because {@link
   * TransportConfig#maxInboundConnections()} or {@link
   * TransportConfig#maxInboundConnectionsPerAddress()} was reached.
   */
  public long refusedByLimit() {
    return refusedByLimit;
  }

  /** Application messages accepted by {@code send}, over all connections. */
  public long messagesOut() {
    return messagesOut;
  }

  /**
   * Bytes written to sockets, frame headers and control frames included, over all
   * connections.
   */
  public long bytesOut() {
    return bytesOut;
  }

  /** Application messages received and decoded, over all connections. */
  public long messagesIn() {
    return messagesIn;
  }

  /** Bytes read from sockets, over all connections. */
  public long bytesIn() {
    return bytesIn;
  }

  /** Gauge: outbound bytes queued and not yet written, over all open connections. */
  public long pendingBytes() {
    return pendingBytes;
  }

  /** Frames the sending thread wrote straight to the socket, over all connections. */
  public long writeThroughs() {
    return writeThroughs;
  }

  /** Frames written after waiting in a queue, over all connections. */
  public long deferredWrites() {
    return deferredWrites;
  }

  /** Sends refused at an outbound hard limit, over all connections. */
  public long sendsRefused() {
    return sendsRefused;
  }

  /**
   * Frames dropped because their send deadline passed before they started, over all
   * connections.
   */
  public long sendsTimedOut() {
    return sendsTimedOut;
  }

  /**
   * {@link Encoded} (broadcast) frames dropped before they started, because their own
   * deadline passed or {@link SlowPeerPolicy#DROP_OLDEST} made room, over all connections.
   */
  public long framesDropped() {
    return framesDropped;
  }

  /** Times reading stopped because an inbound queue was full, over all connections. */
  public long readPauses() {
    return readPauses;
  }

  /**
   * Times another thread woke a write loop's selector: at most once per backlog (and
   * once per connection close), never once per message.
   */
  public long writeWakeups() {
    return writeWakeups;
  }

  /** Errors reported to the error handler, by the simple name of the exception's class. */
  public Map<String, Long> errors() {
    return errors;
  }

  @Override
  public boolean equals(Object o) {
    if (o == this) {
      return true;
    }
    if (!(o instanceof TransportStats)) {
      return false;
    }
    TransportStats s = (TransportStats) o;
    return openConnections == s.openConnections && accepted == s.accepted && dialed == s.dialed
        && closed == s.closed && inboundConnections == s.inboundConnections
        && refusedByLimit == s.refusedByLimit && messagesOut == s.messagesOut
        && bytesOut == s.bytesOut && messagesIn == s.messagesIn && bytesIn == s.bytesIn
        && pendingBytes == s.pendingBytes && writeThroughs == s.writeThroughs
        && deferredWrites == s.deferredWrites && sendsRefused == s.sendsRefused
        && sendsTimedOut == s.sendsTimedOut && framesDropped == s.framesDropped
        && readPauses == s.readPauses && writeWakeups == s.writeWakeups
        && errors.equals(s.errors);
  }

  @Override
  public int hashCode() {
    return Objects.hash(openConnections, accepted, dialed, closed, inboundConnections,
        refusedByLimit, messagesOut, bytesOut, messagesIn, bytesIn, pendingBytes, writeThroughs,
        deferredWrites, sendsRefused, sendsTimedOut, framesDropped, readPauses, writeWakeups,
        errors);
  }

  @Override
  public String toString() {
    return "TransportStats[openConnections=" + openConnections
        + ", accepted=" + accepted
        + ", dialed=" + dialed
        + ", closed=" + closed
        + ", inboundConnections=" + inboundConnections
        + ", refusedByLimit=" + refusedByLimit
        + ", messagesOut=" + messagesOut
        + ", bytesOut=" + bytesOut
        + ", messagesIn=" + messagesIn
        + ", bytesIn=" + bytesIn
        + ", pendingBytes=" + pendingBytes
        + ", writeThroughs=" + writeThroughs
        + ", deferredWrites=" + deferredWrites
        + ", sendsRefused=" + sendsRefused
        + ", sendsTimedOut=" + sendsTimedOut
        + ", framesDropped=" + framesDropped
        + ", readPauses=" + readPauses
        + ", writeWakeups=" + writeWakeups
        + ", errors=" + errors
        + "]";
  }

  /**
   * Collects the fields of a {@link TransportStats}, each set by its name; a field not set is 0
   * (errors: none). Not thread-safe.
   */
  public static final class Builder {
    private long openConnections;
    private long accepted;
    private long dialed;
    private long closed;
    private long inboundConnections;
    private long refusedByLimit;
    private long messagesOut;
    private long bytesOut;
    private long messagesIn;
    private long bytesIn;
    private long pendingBytes;
    private long writeThroughs;
    private long deferredWrites;
    private long sendsRefused;
    private long sendsTimedOut;
    private long framesDropped;
    private long readPauses;
    private long writeWakeups;
    private Map<String, Long> errors = Map.of();

    private Builder() {}

    /** See {@link TransportStats#openConnections()}. */
    public Builder openConnections(long openConnections) {
      this.openConnections = openConnections;
      return this;
    }

    /** See {@link TransportStats#accepted()}. */
    public Builder accepted(long accepted) {
      this.accepted = accepted;
      return this;
    }

    /** See {@link TransportStats#dialed()}. */
    public Builder dialed(long dialed) {
      this.dialed = dialed;
      return this;
    }

    /** See {@link TransportStats#closed()}. */
    public Builder closed(long closed) {
      this.closed = closed;
      return this;
    }

    /** See {@link TransportStats#inboundConnections()}. */
    public Builder inboundConnections(long inboundConnections) {
      this.inboundConnections = inboundConnections;
      return this;
    }

    /** See {@link TransportStats#refusedByLimit()}. */
    public Builder refusedByLimit(long refusedByLimit) {
      this.refusedByLimit = refusedByLimit;
      return this;
    }

    /** See {@link TransportStats#messagesOut()}. */
    public Builder messagesOut(long messagesOut) {
      this.messagesOut = messagesOut;
      return this;
    }

    /** See {@link TransportStats#bytesOut()}. */
    public Builder bytesOut(long bytesOut) {
      this.bytesOut = bytesOut;
      return this;
    }

    /** See {@link TransportStats#messagesIn()}. */
    public Builder messagesIn(long messagesIn) {
      this.messagesIn = messagesIn;
      return this;
    }

    /** See {@link TransportStats#bytesIn()}. */
    public Builder bytesIn(long bytesIn) {
      this.bytesIn = bytesIn;
      return this;
    }

    /** See {@link TransportStats#pendingBytes()}. */
    public Builder pendingBytes(long pendingBytes) {
      this.pendingBytes = pendingBytes;
      return this;
    }

    /** See {@link TransportStats#writeThroughs()}. */
    public Builder writeThroughs(long writeThroughs) {
      this.writeThroughs = writeThroughs;
      return this;
    }

    /** See {@link TransportStats#deferredWrites()}. */
    public Builder deferredWrites(long deferredWrites) {
      this.deferredWrites = deferredWrites;
      return this;
    }

    /** See {@link TransportStats#sendsRefused()}. */
    public Builder sendsRefused(long sendsRefused) {
      this.sendsRefused = sendsRefused;
      return this;
    }

    /** See {@link TransportStats#sendsTimedOut()}. */
    public Builder sendsTimedOut(long sendsTimedOut) {
      this.sendsTimedOut = sendsTimedOut;
      return this;
    }

    /** See {@link TransportStats#framesDropped()}. */
    public Builder framesDropped(long framesDropped) {
      this.framesDropped = framesDropped;
      return this;
    }

    /** See {@link TransportStats#readPauses()}. */
    public Builder readPauses(long readPauses) {
      this.readPauses = readPauses;
      return this;
    }

    /** See {@link TransportStats#writeWakeups()}. */
    public Builder writeWakeups(long writeWakeups) {
      this.writeWakeups = writeWakeups;
      return this;
    }

    /** See {@link TransportStats#errors()}; copied when the snapshot is built. */
    public Builder errors(Map<String, Long> errors) {
      this.errors = Objects.requireNonNull(errors, "errors");
      return this;
    }

    /** The snapshot. */
    public TransportStats build() {
      return new TransportStats(this);
    }
  }
}
