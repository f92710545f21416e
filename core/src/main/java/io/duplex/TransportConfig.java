package io.duplex;

import io.duplex.internal.Checks;
import io.duplex.security.CipherSuite;
import io.duplex.security.Identity;
import io.duplex.security.PeerAuthorizer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * How a transport and its connections behave. Immutable; made with {@link #builder()}, where
 * every setting starts at the default documented beside it. Settings are checked when {@link
 * Builder#build()} runs: a bad value is an {@link IllegalArgumentException} that names the
 * setting and the value.
 *
 * <p>Connections are secure by default: a Noise XX handshake authenticates both sides by their
 * {@link Identity} keys, and every byte after it is sealed (docs/SECURITY.md). A node's id is
 * its identity's, so a peer cannot claim an id it holds no key for. Plaintext is an explicit,
 * loudly named opt-in for benchmarks and trusted test rigs ({@link Builder#insecurePlaintext()}),
 * and both sides must agree on it.
 *
 * <pre>{@code
 * TransportConfig config = TransportConfig.builder()
 *     .identity(Identity.loadOrGenerate(Path.of("node.key")))
 *     .networkId("testnet")
 *     .sendTimeout(Duration.ofSeconds(2))
 *     .build();
 * }</pre>
 */
public final class TransportConfig {
  /**
   * Default {@link #cipherSuite()}: AES-256-GCM, which the JDK runs 5 to 12 times faster than
   * ChaCha20-Poly1305 on CPUs with AES instructions, on JDK 17 and 25 alike (docs/SECURITY.md).
   */
  public static final CipherSuite DEFAULT_CIPHER_SUITE = CipherSuite.AES_256_GCM;
  /** Default {@link #networkId()}. */
  public static final String DEFAULT_NETWORK_ID = "duplex";
  /** Default {@link #sendTimeout()}: 5 seconds. */
  public static final Duration DEFAULT_SEND_TIMEOUT = Duration.ofSeconds(5);
  /** Default {@link #receiveTimeout()}: 60 seconds. */
  public static final Duration DEFAULT_RECEIVE_TIMEOUT = Duration.ofSeconds(60);
  /** Default {@link #handshakeTimeout()}: 10 seconds. */
  public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
  /** Default {@link #pingInterval()}: 15 seconds. */
  public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(15);
  /** Default {@link #pongTimeout()}: 10 seconds. */
  public static final Duration DEFAULT_PONG_TIMEOUT = Duration.ofSeconds(10);
  /** Default {@link #closeTimeout()}: 5 seconds. */
  public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(5);
  /** Default {@link #frameReadTimeout()}: 30 seconds. */
  public static final Duration DEFAULT_FRAME_READ_TIMEOUT = Duration.ofSeconds(30);
  /** Default {@link #maxInboundConnections()}: 1024. */
  public static final int DEFAULT_MAX_INBOUND_CONNECTIONS = 1024;
  /** Default {@link #maxInboundConnectionsPerAddress()}: 16. */
  public static final int DEFAULT_MAX_INBOUND_CONNECTIONS_PER_ADDRESS = 16;
  /** Default {@link #maxFrameSize()}: 16 MiB. */
  public static final int DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;
  /**
   * Default {@link #maxHandshakeFrameSize()}: 4 KiB, when {@link #maxFrameSize()} is at least
   * that; a smaller max frame size lowers it (see {@link #maxHandshakeFrameSize()}).
   */
  public static final int DEFAULT_MAX_HANDSHAKE_FRAME_SIZE = 4 * 1024;
  /**
   * The smallest {@link #maxHandshakeFrameSize()} allowed, 1024: the protocol's minimum, which
   * holds a handshake with the longest fields (590 bytes; docs/PROTOCOL.md).
   */
  public static final int MIN_HANDSHAKE_FRAME_SIZE = 1024;
  /** Default {@link #highWaterMark()}: 1 MiB. */
  public static final long DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
  /** Default {@link #lowWaterMark()}: 512 KiB. */
  public static final long DEFAULT_LOW_WATER_MARK = 512 * 1024;
  /**
   * Default {@link #chunkSize()}: 32 KiB, chosen by measurement (docs/BENCHMARKS.md, "Chunk
   * size"): votes behind 1 MiB blocks on loopback had the same latency and block throughput with
   * 16 KiB chunks, and worse with 64 KiB (and no better with 8 KiB), so the larger of the two
   * equals, with half the chunk headers and scheduler passes.
   */
  public static final int DEFAULT_CHUNK_SIZE = 32 * 1024;
  /** The smallest {@link #chunkSize()}. */
  public static final int MIN_CHUNK_SIZE = 1024;
  /** The largest {@link #chunkSize()}. */
  public static final int MAX_CHUNK_SIZE = 64 * 1024;
  /** Default {@link #outboundHardLimit()}: 32 MiB. */
  public static final long DEFAULT_OUTBOUND_HARD_LIMIT = 32L * 1024 * 1024;
  /** Default {@link #inboundQueueCapacity()}: 1024 messages. */
  public static final int DEFAULT_INBOUND_QUEUE_CAPACITY = 1024;
  /** Default {@link #inboundQueueMaxBytes()}: 32 MiB. */
  public static final long DEFAULT_INBOUND_QUEUE_MAX_BYTES = 32L * 1024 * 1024;

  private final NodeId nodeId;
  private final Identity identity;
  private final boolean insecurePlaintext;
  private final CipherSuite cipherSuite;
  private final PeerAuthorizer authorizer;
  private final String networkId;
  private final Duration sendTimeout;
  private final Duration receiveTimeout;
  private final Duration handshakeTimeout;
  private final Duration pingInterval;
  private final Duration pongTimeout;
  private final Duration closeTimeout;
  private final Duration frameReadTimeout;
  private final int maxInboundConnections;
  private final int maxInboundConnectionsPerAddress;
  private final int maxFrameSize;
  private final int maxHandshakeFrameSize;
  // Whether the user set maxHandshakeFrameSize; if not, it follows maxFrameSize (toBuilder too).
  private final boolean maxHandshakeFrameSizeSet;
  private final long highWaterMark;
  private final long lowWaterMark;
  private final long outboundHardLimit;
  private final SlowPeerPolicy slowPeerPolicy;
  private final int inboundQueueCapacity;
  private final long inboundQueueMaxBytes;
  private final Executor handlerExecutor;
  private final List<Lane> lanes;
  private final int chunkSize;

  private TransportConfig(Builder b) {
    insecurePlaintext = b.insecurePlaintext;
    identity = insecurePlaintext ? null : b.identity != null ? b.identity : Identity.generate();
    nodeId = insecurePlaintext ? (b.nodeId != null ? b.nodeId : NodeId.random())
        : identity.nodeId();
    cipherSuite = b.cipherSuite;
    authorizer = b.authorizer;
    networkId = b.networkId;
    sendTimeout = b.sendTimeout;
    receiveTimeout = b.receiveTimeout;
    handshakeTimeout = b.handshakeTimeout;
    pingInterval = b.pingInterval;
    pongTimeout = b.pongTimeout;
    closeTimeout = b.closeTimeout;
    frameReadTimeout = b.frameReadTimeout;
    maxInboundConnections = b.maxInboundConnections;
    maxInboundConnectionsPerAddress = b.maxInboundConnectionsPerAddress;
    maxFrameSize = b.maxFrameSize;
    maxHandshakeFrameSizeSet = b.maxHandshakeFrameSize != null;
    maxHandshakeFrameSize = maxHandshakeFrameSizeSet
        ? b.maxHandshakeFrameSize : defaultHandshakeFrameSize(b.maxFrameSize);
    highWaterMark = b.highWaterMark;
    lowWaterMark = b.lowWaterMark;
    outboundHardLimit = b.outboundHardLimit;
    slowPeerPolicy = b.slowPeerPolicy;
    inboundQueueCapacity = b.inboundQueueCapacity;
    inboundQueueMaxBytes = b.inboundQueueMaxBytes;
    handlerExecutor = b.handlerExecutor;
    lanes = b.lanes;
    chunkSize = b.chunkSize;
  }

  /** A builder with every setting at its default. */
  public static Builder builder() {
    return new Builder();
  }

  /** The configuration with every setting at its default (and a fresh identity). */
  public static TransportConfig defaults() {
    return builder().build();
  }

  /** A builder that starts from this configuration's settings. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * This node's id, which peers see in the handshake: its {@link #identity()}'s (20 bytes of the
   * key's SHA-256), or in {@link #insecurePlaintext()} mode the id set with {@link
   * Builder#nodeId} (default: a random 16-byte id).
   */
  public NodeId nodeId() {
    return nodeId;
  }

  /**
   * This node's identity key, which proves its node id in every secure handshake. Default: a
   * fresh one, made by {@link Builder#build()} (a node that restarts then has a new id: load a
   * saved one for a stable id). Empty in {@link #insecurePlaintext()} mode.
   */
  public Optional<Identity> identity() {
    return Optional.ofNullable(identity);
  }

  /**
   * Whether connections skip the secure channel: no authentication and no encryption, the node
   * id is whatever a peer claims, and anyone on the path reads and alters every byte. For
   * benchmarks and trusted test rigs only; a secure node refuses such peers. Default false.
   */
  public boolean insecurePlaintext() {
    return insecurePlaintext;
  }

  /**
   * The cipher suite of secure connections; both sides must use the same one. Default {@link
   * #DEFAULT_CIPHER_SUITE} (docs/SECURITY.md says why).
   */
  public CipherSuite cipherSuite() {
    return cipherSuite;
  }

  /**
   * Who may connect once authenticated (both directions), or empty for anyone. Secure
   * connections only: in plaintext mode no peer is authenticated, so there is nothing to
   * authorize (building such a configuration fails).
   */
  public Optional<PeerAuthorizer> authorizer() {
    return Optional.ofNullable(authorizer);
  }

  /** The network this node belongs to; peers of another network are refused. Default "duplex". */
  public String networkId() {
    return networkId;
  }

  /** From {@code send} to the frame's last byte on the socket. Default 5 s. */
  public Duration sendTimeout() {
    return sendTimeout;
  }

  /** How long {@link Connection#receive()} waits for a message. Default 60 s. */
  public Duration receiveTimeout() {
    return receiveTimeout;
  }

  /** From the start of a dial (or an accept) to the peer's handshake accepted. Default 10 s. */
  public Duration handshakeTimeout() {
    return handshakeTimeout;
  }

  /** After this long with no inbound bytes, the connection sends a ping. Default 15 s. */
  public Duration pingInterval() {
    return pingInterval;
  }

  /** A ping unanswered this long closes the connection. Default 10 s. */
  public Duration pongTimeout() {
    return pongTimeout;
  }

  /**
   * How long a graceful close may take, writing what is queued and waiting for the peer's close,
   * before it aborts. Default 5 s.
   */
  public Duration closeTimeout() {
    return closeTimeout;
  }

  /**
   * From the first byte of a frame read (its length prefix) to its last, after the handshake: a
   * peer that takes longer to send one frame is closed with a {@link DuplexTimeoutException}.
   * Without it, a peer that trickles the bytes of one frame (a "slowloris") would hold its
   * connection forever, since every byte keeps the liveness ping from firing and a pong cannot
   * pass the unfinished frame. The clock stops while this node itself stops reading because its
   * inbound queue is full; it keeps running while a handler of this node holds the read loop
   * (the NIO transport's {@code handlersOnReadLoop}), so handlers that run there must not block
   * for long. Default 30 s: a duplex sender gives up on a frame after its own {@link
   * #sendTimeout()} (5 s by default), and a 16 MiB frame needs 0.56 MB/s to arrive in time;
   * raise it if honest peers send frames larger or slower than that. Before the handshake,
   * {@link #handshakeTimeout()} applies instead.
   */
  public Duration frameReadTimeout() {
    return frameReadTimeout;
  }

  /**
   * How many accepted connections may be alive at once, handshake pending or done; dialed
   * connections are not counted. A connection accepted over the limit is reset at once, before
   * any byte is read, counted in {@link TransportStats#refusedByLimit()} and logged (one line,
   * then at most one summary line per second). Default 1024: a P2P node keeps a few dozen peers,
   * so this leaves wide headroom while a flood of connections cannot take more than 1024 sockets
   * and their connection state.
   */
  public int maxInboundConnections() {
    return maxInboundConnections;
  }

  /**
   * How many accepted connections one remote IP address may have alive at once, handshake
   * pending or done; refused like {@link #maxInboundConnections()}. Default 16: enough for
   * several nodes behind one NAT, each with a few connections, while one address alone cannot
   * take more than 16 of the {@link #maxInboundConnections()} slots (exhausting the default
   * total takes 64 addresses). The limit is per exact address: an IPv6 host that owns a whole
   * prefix can use many addresses, so against such hosts the total limit is what holds. Tests
   * that open many connections from 127.0.0.1 raise it, or bind their sockets to other addresses
   * of 127.0.0.0/8, each of which counts apart.
   */
  public int maxInboundConnectionsPerAddress() {
    return maxInboundConnectionsPerAddress;
  }

  /**
   * The largest frame length (the 4-byte prefix's value) this node accepts after the handshake,
   * and the largest it sends. Default 16 MiB.
   */
  public int maxFrameSize() {
    return maxFrameSize;
  }

  /**
   * The largest frame length accepted before the handshake completes: the pre-handshake limit,
   * which keeps a peer that has not yet said who it is from sending large frames. Default 4 KiB,
   * or {@link #maxFrameSize()} if that is smaller, but never below {@value
   * #MIN_HANDSHAKE_FRAME_SIZE}, the protocol's minimum: {@code min(4096, max(1024,
   * maxFrameSize))}. Left unset, it follows {@link #maxFrameSize()}, through {@link #toBuilder()}
   * too. On a secure connection it bounds each secure handshake message instead (at most 65,535
   * bytes, Noise's limit).
   */
  public int maxHandshakeFrameSize() {
    return maxHandshakeFrameSize;
  }

  /** The pre-handshake limit for {@code maxFrameSize} when the user did not set one. */
  private static int defaultHandshakeFrameSize(int maxFrameSize) {
    return Math.min(DEFAULT_MAX_HANDSHAKE_FRAME_SIZE,
        Math.max(MIN_HANDSHAKE_FRAME_SIZE, maxFrameSize));
  }

  /** Queued outbound bytes above this make the connection not writable. Default 1 MiB. */
  public long highWaterMark() {
    return highWaterMark;
  }

  /** Queued outbound bytes falling to this make the connection writable again. Default 512 KiB. */
  public long lowWaterMark() {
    return lowWaterMark;
  }

  /**
   * The most outbound bytes a connection ever queues; a send that would pass it meets the {@link
   * #slowPeerPolicy()}. Default 32 MiB.
   */
  public long outboundHardLimit() {
    return outboundHardLimit;
  }

  /** What happens at the outbound hard limit. Default {@link SlowPeerPolicy#FAIL_SEND}. */
  public SlowPeerPolicy slowPeerPolicy() {
    return slowPeerPolicy;
  }

  /**
   * How many received messages a connection holds for the application; when full, the
   * connection stops reading its socket until the application takes one, so TCP slows the peer.
   * Default 1024.
   */
  public int inboundQueueCapacity() {
    return inboundQueueCapacity;
  }

  /**
   * How many frame bytes of received messages a connection holds before it stops reading, as
   * with {@link #inboundQueueCapacity()}. Default 32 MiB.
   */
  public long inboundQueueMaxBytes() {
    return inboundQueueMaxBytes;
  }

  /**
   * The lanes every connection carries beside {@link Lane#DEFAULT}, which is lane 0: these are
   * lanes 1, 2, ... in order. Empty (the default) means one lane and the version 2.0 wire, as
   * before lanes existed. See {@link Lane}.
   */
  public List<Lane> lanes() {
    return lanes;
  }

  /**
   * The number of {@code lane} on the wire: 0 for {@link Lane#DEFAULT}, {@code i + 1} for
   * {@code lanes().get(i)} (found by identity, then by name).
   *
   * @throws IllegalArgumentException if this configuration has no such lane
   */
  public int laneNumber(Lane lane) {
    Objects.requireNonNull(lane, "lane");
    if (lane == Lane.DEFAULT) {
      return 0;
    }
    for (int i = 0; i < lanes.size(); i++) {
      if (lanes.get(i) == lane) {
        return i + 1;
      }
    }
    for (int i = 0; i < lanes.size(); i++) {
      if (lanes.get(i).name().equals(lane.name())) {
        return i + 1;
      }
    }
    if (lane.name().equals(Lane.DEFAULT.name())) {
      return 0;
    }
    StringBuilder names = new StringBuilder(Lane.DEFAULT.name());
    lanes.forEach(l -> names.append(", ").append(l.name()));
    throw new IllegalArgumentException("no lane '" + lane.name() + "' on this transport; its"
        + " lanes are " + names + (lanes.isEmpty() ? " only" : "")
        + " (TransportConfig.Builder.lanes)");
  }

  /**
   * The largest piece of a message this side sends at once when lanes are on: a longer message
   * goes as chunks of this many bytes, which interleave with other lanes' chunks. Default
   * {@value #DEFAULT_CHUNK_SIZE} (see {@link #DEFAULT_CHUNK_SIZE} for why); 1 KiB to 64 KiB.
   * Unused without lanes.
   */
  public int chunkSize() {
    return chunkSize;
  }

  /**
   * Where message handlers and listeners run, if the user gave an executor; empty means the
   * transport's own handler threads. A transport may offer to run them on its own I/O threads
   * instead (the NIO transport's {@code handlersOnReadLoop}), which then takes precedence.
   */
  public Optional<Executor> handlerExecutor() {
    return Optional.ofNullable(handlerExecutor);
  }

  @Override
  public String toString() {
    return "TransportConfig{nodeId=" + nodeId.toHex()
        + (insecurePlaintext ? ", INSECURE PLAINTEXT" : ", cipherSuite=" + cipherSuite)
        + ", networkId=" + networkId
        + ", sendTimeout=" + sendTimeout + ", receiveTimeout=" + receiveTimeout
        + ", handshakeTimeout=" + handshakeTimeout + ", pingInterval=" + pingInterval
        + ", pongTimeout=" + pongTimeout + ", closeTimeout=" + closeTimeout
        + ", frameReadTimeout=" + frameReadTimeout
        + ", maxInboundConnections=" + maxInboundConnections
        + ", maxInboundConnectionsPerAddress=" + maxInboundConnectionsPerAddress
        + ", maxFrameSize=" + maxFrameSize + ", maxHandshakeFrameSize=" + maxHandshakeFrameSize
        + ", highWaterMark=" + highWaterMark + ", lowWaterMark=" + lowWaterMark
        + ", outboundHardLimit=" + outboundHardLimit + ", slowPeerPolicy=" + slowPeerPolicy
        + ", inboundQueueCapacity=" + inboundQueueCapacity
        + ", inboundQueueMaxBytes=" + inboundQueueMaxBytes
        + ", handlerExecutor=" + handlerExecutor + "}";
  }

  /**
   * Collects settings for a {@link TransportConfig}. Each setter checks its own argument; {@link
   * #build()} checks how they fit together. Not thread-safe.
   */
  public static final class Builder {
    private NodeId nodeId;
    private Identity identity;
    private boolean insecurePlaintext;
    private CipherSuite cipherSuite = DEFAULT_CIPHER_SUITE;
    private PeerAuthorizer authorizer;
    private String networkId = DEFAULT_NETWORK_ID;
    private Duration sendTimeout = DEFAULT_SEND_TIMEOUT;
    private Duration receiveTimeout = DEFAULT_RECEIVE_TIMEOUT;
    private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
    private Duration pingInterval = DEFAULT_PING_INTERVAL;
    private Duration pongTimeout = DEFAULT_PONG_TIMEOUT;
    private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;
    private Duration frameReadTimeout = DEFAULT_FRAME_READ_TIMEOUT;
    private int maxInboundConnections = DEFAULT_MAX_INBOUND_CONNECTIONS;
    private int maxInboundConnectionsPerAddress = DEFAULT_MAX_INBOUND_CONNECTIONS_PER_ADDRESS;
    private int maxFrameSize = DEFAULT_MAX_FRAME_SIZE;
    private Integer maxHandshakeFrameSize; // null: follows maxFrameSize
    private long highWaterMark = DEFAULT_HIGH_WATER_MARK;
    private long lowWaterMark = DEFAULT_LOW_WATER_MARK;
    private long outboundHardLimit = DEFAULT_OUTBOUND_HARD_LIMIT;
    private SlowPeerPolicy slowPeerPolicy = SlowPeerPolicy.FAIL_SEND;
    private int inboundQueueCapacity = DEFAULT_INBOUND_QUEUE_CAPACITY;
    private long inboundQueueMaxBytes = DEFAULT_INBOUND_QUEUE_MAX_BYTES;
    private Executor handlerExecutor;
    private List<Lane> lanes = List.of();
    private int chunkSize = DEFAULT_CHUNK_SIZE;

    private Builder() {}

    private Builder(TransportConfig c) {
      insecurePlaintext = c.insecurePlaintext;
      nodeId = c.insecurePlaintext ? c.nodeId : null;
      identity = c.identity;
      cipherSuite = c.cipherSuite;
      authorizer = c.authorizer;
      networkId = c.networkId;
      sendTimeout = c.sendTimeout;
      receiveTimeout = c.receiveTimeout;
      handshakeTimeout = c.handshakeTimeout;
      pingInterval = c.pingInterval;
      pongTimeout = c.pongTimeout;
      closeTimeout = c.closeTimeout;
      frameReadTimeout = c.frameReadTimeout;
      maxInboundConnections = c.maxInboundConnections;
      maxInboundConnectionsPerAddress = c.maxInboundConnectionsPerAddress;
      maxFrameSize = c.maxFrameSize;
      maxHandshakeFrameSize = c.maxHandshakeFrameSizeSet ? c.maxHandshakeFrameSize : null;
      highWaterMark = c.highWaterMark;
      lowWaterMark = c.lowWaterMark;
      outboundHardLimit = c.outboundHardLimit;
      slowPeerPolicy = c.slowPeerPolicy;
      inboundQueueCapacity = c.inboundQueueCapacity;
      inboundQueueMaxBytes = c.inboundQueueMaxBytes;
      handlerExecutor = c.handlerExecutor;
      lanes = c.lanes;
      chunkSize = c.chunkSize;
    }

    /**
     * Names this node in {@link #insecurePlaintext()} mode only; a secure node's id is its
     * identity's ({@link #identity(Identity)}), and building fails if both are set.
     */
    public Builder nodeId(NodeId nodeId) {
      this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
      return this;
    }

    /** See {@link TransportConfig#identity()}. */
    public Builder identity(Identity identity) {
      this.identity = Objects.requireNonNull(identity, "identity");
      return this;
    }

    /**
     * Turns the secure channel off: INSECURE, see {@link TransportConfig#insecurePlaintext()}.
     * Every peer must be configured so too.
     */
    public Builder insecurePlaintext() {
      this.insecurePlaintext = true;
      return this;
    }

    /** See {@link TransportConfig#cipherSuite()}. */
    public Builder cipherSuite(CipherSuite cipherSuite) {
      this.cipherSuite = Objects.requireNonNull(cipherSuite, "cipherSuite");
      return this;
    }

    /** See {@link TransportConfig#authorizer()}. */
    public Builder authorizer(PeerAuthorizer authorizer) {
      this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
      return this;
    }

    /** See {@link TransportConfig#networkId()}; 1 to 255 bytes of UTF-8. */
    public Builder networkId(String networkId) {
      Objects.requireNonNull(networkId, "networkId");
      int bytes = networkId.getBytes(StandardCharsets.UTF_8).length;
      if (bytes == 0 || bytes > 255) {
        throw new IllegalArgumentException("networkId must be 1 to 255 bytes of UTF-8: " + bytes);
      }
      this.networkId = networkId;
      return this;
    }

    /** See {@link TransportConfig#sendTimeout()}; positive. */
    public Builder sendTimeout(Duration sendTimeout) {
      this.sendTimeout = Checks.positive(sendTimeout, "sendTimeout");
      return this;
    }

    /** See {@link TransportConfig#receiveTimeout()}; positive. */
    public Builder receiveTimeout(Duration receiveTimeout) {
      this.receiveTimeout = Checks.positive(receiveTimeout, "receiveTimeout");
      return this;
    }

    /** See {@link TransportConfig#handshakeTimeout()}; positive. */
    public Builder handshakeTimeout(Duration handshakeTimeout) {
      this.handshakeTimeout = Checks.positive(handshakeTimeout, "handshakeTimeout");
      return this;
    }

    /** See {@link TransportConfig#pingInterval()}; positive. */
    public Builder pingInterval(Duration pingInterval) {
      this.pingInterval = Checks.positive(pingInterval, "pingInterval");
      return this;
    }

    /** See {@link TransportConfig#pongTimeout()}; positive. */
    public Builder pongTimeout(Duration pongTimeout) {
      this.pongTimeout = Checks.positive(pongTimeout, "pongTimeout");
      return this;
    }

    /** See {@link TransportConfig#closeTimeout()}; positive. */
    public Builder closeTimeout(Duration closeTimeout) {
      this.closeTimeout = Checks.positive(closeTimeout, "closeTimeout");
      return this;
    }

    /** See {@link TransportConfig#frameReadTimeout()}; positive. */
    public Builder frameReadTimeout(Duration frameReadTimeout) {
      this.frameReadTimeout = Checks.positive(frameReadTimeout, "frameReadTimeout");
      return this;
    }

    /** See {@link TransportConfig#maxInboundConnections()}; positive. */
    public Builder maxInboundConnections(int maxInboundConnections) {
      this.maxInboundConnections = Checks.positive(maxInboundConnections,
          "maxInboundConnections");
      return this;
    }

    /**
     * See {@link TransportConfig#maxInboundConnectionsPerAddress()}; positive. A value above
     * {@link TransportConfig#maxInboundConnections()} is allowed: the total then binds first.
     */
    public Builder maxInboundConnectionsPerAddress(int maxInboundConnectionsPerAddress) {
      this.maxInboundConnectionsPerAddress = Checks.positive(maxInboundConnectionsPerAddress,
          "maxInboundConnectionsPerAddress");
      return this;
    }

    /** See {@link TransportConfig#maxFrameSize()}; positive. */
    public Builder maxFrameSize(int maxFrameSize) {
      this.maxFrameSize = Checks.positive(maxFrameSize, "maxFrameSize");
      return this;
    }

    /**
     * See {@link TransportConfig#maxHandshakeFrameSize()}; at least 1024, and at most {@link
     * TransportConfig#maxFrameSize()} when that is above 1024. Leave it unset to have it follow
     * the max frame size.
     */
    public Builder maxHandshakeFrameSize(int maxHandshakeFrameSize) {
      if (maxHandshakeFrameSize < MIN_HANDSHAKE_FRAME_SIZE) {
        throw new IllegalArgumentException("maxHandshakeFrameSize < " + MIN_HANDSHAKE_FRAME_SIZE
            + ": " + maxHandshakeFrameSize);
      }
      this.maxHandshakeFrameSize = maxHandshakeFrameSize;
      return this;
    }

    /** See {@link TransportConfig#highWaterMark()}; positive. */
    public Builder highWaterMark(long highWaterMark) {
      this.highWaterMark = Checks.positive(highWaterMark, "highWaterMark");
      return this;
    }

    /** See {@link TransportConfig#lowWaterMark()}; zero or more. */
    public Builder lowWaterMark(long lowWaterMark) {
      if (lowWaterMark < 0) {
        throw new IllegalArgumentException("lowWaterMark < 0: " + lowWaterMark);
      }
      this.lowWaterMark = lowWaterMark;
      return this;
    }

    /** See {@link TransportConfig#outboundHardLimit()}; positive. */
    public Builder outboundHardLimit(long outboundHardLimit) {
      this.outboundHardLimit = Checks.positive(outboundHardLimit, "outboundHardLimit");
      return this;
    }

    /** See {@link TransportConfig#slowPeerPolicy()}. */
    public Builder slowPeerPolicy(SlowPeerPolicy slowPeerPolicy) {
      this.slowPeerPolicy = Objects.requireNonNull(slowPeerPolicy, "slowPeerPolicy");
      return this;
    }

    /** See {@link TransportConfig#inboundQueueCapacity()}; positive. */
    public Builder inboundQueueCapacity(int inboundQueueCapacity) {
      this.inboundQueueCapacity = Checks.positive(inboundQueueCapacity, "inboundQueueCapacity");
      return this;
    }

    /** See {@link TransportConfig#inboundQueueMaxBytes()}; positive. */
    public Builder inboundQueueMaxBytes(long inboundQueueMaxBytes) {
      this.inboundQueueMaxBytes = Checks.positive(inboundQueueMaxBytes, "inboundQueueMaxBytes");
      return this;
    }

    /** See {@link TransportConfig#handlerExecutor()}; the transport does not shut it down. */
    public Builder handlerExecutor(Executor handlerExecutor) {
      this.handlerExecutor = Objects.requireNonNull(handlerExecutor, "handlerExecutor");
      return this;
    }

    /**
     * See {@link TransportConfig#lanes()}: the lanes beside {@link Lane#DEFAULT}, at most {@value
     * Lane#MAX_LANES} - 1, each name once (and not "default"). Both peers must give the same
     * names in the same order. No argument turns lanes off.
     */
    public Builder lanes(Lane... lanes) {
      if (lanes.length > Lane.MAX_LANES - 1) {
        throw new IllegalArgumentException("at most " + (Lane.MAX_LANES - 1) + " lanes beside"
            + " the default one: " + lanes.length);
      }
      java.util.Set<String> names = new java.util.HashSet<>();
      names.add(Lane.DEFAULT.name());
      for (Lane l : lanes) {
        Objects.requireNonNull(l, "lane");
        if (!names.add(l.name())) {
          throw new IllegalArgumentException("lane name '" + l.name() + "' is used twice (or is"
              + " the default lane's): each lane needs its own name");
        }
      }
      this.lanes = List.of(lanes);
      return this;
    }

    /** See {@link TransportConfig#chunkSize()}; 1,024 to 65,536. */
    public Builder chunkSize(int bytes) {
      if (bytes < MIN_CHUNK_SIZE || bytes > MAX_CHUNK_SIZE) {
        throw new IllegalArgumentException("chunk size must be " + MIN_CHUNK_SIZE + ".."
            + MAX_CHUNK_SIZE + " bytes: " + bytes);
      }
      this.chunkSize = bytes;
      return this;
    }

    /**
     * The configuration.
     *
     * @throws IllegalArgumentException if settings contradict each other: the low water mark
     *     above the high one, the high mark above the hard limit, a hard limit too small for one
     *     frame of the max size, a handshake limit set above the frame limit (above 1024 when
     *     the frame limit is smaller)
     */
    public TransportConfig build() {
      if (!insecurePlaintext && nodeId != null) {
        throw new IllegalArgumentException("nodeId(" + nodeId + ") is set on a secure"
            + " transport, whose node id is its identity key's: drop nodeId and set identity(...)"
            + " (Identity.loadOrGenerate(path)), or, for a benchmark or trusted test rig only,"
            + " add insecurePlaintext()");
      }
      if (insecurePlaintext && identity != null) {
        throw new IllegalArgumentException("identity(...) is set with insecurePlaintext(): a"
            + " plaintext connection proves no identity; drop one of the two");
      }
      if (insecurePlaintext && authorizer != null) {
        throw new IllegalArgumentException("authorizer(...) is set with insecurePlaintext(): a"
            + " plaintext peer is not authenticated, so its node id proves nothing; drop one of"
            + " the two");
      }
      if (lowWaterMark > highWaterMark) {
        throw new IllegalArgumentException(
            "lowWaterMark > highWaterMark: " + lowWaterMark + " > " + highWaterMark);
      }
      if (highWaterMark > outboundHardLimit) {
        throw new IllegalArgumentException("highWaterMark > outboundHardLimit: "
            + highWaterMark + " > " + outboundHardLimit);
      }
      if (outboundHardLimit < (long) maxFrameSize + 4) {
        throw new IllegalArgumentException("outboundHardLimit < maxFrameSize + 4: "
            + outboundHardLimit + " < " + ((long) maxFrameSize + 4)
            + "; a frame of the max size must fit in an empty queue");
      }
      if (maxHandshakeFrameSize != null) {
        checkHandshakeFrameSize(maxHandshakeFrameSize, maxFrameSize);
      }
      if (!lanes.isEmpty() && maxFrameSize < MAX_CHUNK_SIZE + 16) {
        throw new IllegalArgumentException("maxFrameSize " + maxFrameSize + " is below "
            + (MAX_CHUNK_SIZE + 16) + ", the least lanes need (a chunk of up to 64 KiB and its"
            + " header in one frame); raise maxFrameSize or drop lanes(...)");
      }
      if (!lanes.isEmpty()) {
        int handshake = LARGEST_HANDSHAKE_WITHOUT_LANES + laneTableSize(lanes);
        int limit = maxHandshakeFrameSize != null ? maxHandshakeFrameSize
            : defaultHandshakeFrameSize(maxFrameSize);
        if (limit < handshake) {
          throw new IllegalArgumentException("maxHandshakeFrameSize " + limit + " is below "
              + handshake + ", the largest handshake message with this lane table (the peer,"
              + " with the same lanes, sends one that long); raise maxHandshakeFrameSize, or"
              + " use fewer or shorter lane names");
        }
      }
      return new TransportConfig(this);
    }

    /** The largest handshake message without a lane table: the secure message 2. */
    private static final int LARGEST_HANDSHAKE_WITHOUT_LANES = 712;

    /** Bytes a lane table adds to a handshake (docs/PROTOCOL.md, "Lanes"). */
    private static int laneTableSize(List<Lane> lanes) {
      int n = 4 + 1 + 1 + Lane.DEFAULT.name().length() + 8;
      for (Lane l : lanes) {
        n += 1 + l.name().getBytes(StandardCharsets.UTF_8).length + 8;
      }
      return n;
    }

    /**
     * Refuses a pre-handshake limit the user set above the limit after the handshake (above the
     * protocol's minimum, 1024, when the frame limit is smaller still), saying what to change.
     */
    private static void checkHandshakeFrameSize(int handshake, int frame) {
      String fix = "; lower maxHandshakeFrameSize to at most " + Math.max(MIN_HANDSHAKE_FRAME_SIZE,
          frame) + ", or leave it unset and it follows maxFrameSize";
      if (frame >= MIN_HANDSHAKE_FRAME_SIZE && handshake > frame) {
        throw new IllegalArgumentException("maxHandshakeFrameSize > maxFrameSize: " + handshake
            + " > " + frame + fix + ", or raise maxFrameSize to " + handshake + " or more");
      }
      if (frame < MIN_HANDSHAKE_FRAME_SIZE && handshake > MIN_HANDSHAKE_FRAME_SIZE) {
        throw new IllegalArgumentException("maxHandshakeFrameSize > " + MIN_HANDSHAKE_FRAME_SIZE
            + " with maxFrameSize < " + MIN_HANDSHAKE_FRAME_SIZE + ": " + handshake + ", "
            + frame + fix);
      }
    }
  }
}
