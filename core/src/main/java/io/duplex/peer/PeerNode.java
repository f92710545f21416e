package io.duplex.peer;

import io.duplex.Connection;
import io.duplex.MessageHandler;
import io.duplex.NodeId;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.TransportFactory;
import io.duplex.internal.Checks;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A node of a peer-to-peer network: a {@link PeerGroup} that also keeps itself connected. It
 * listens, dials the peers it is given and redials them when they drop (exponential backoff with
 * jitter), applies limits on inbound and outbound peers and per remote address, keeps one
 * connection per peer node id (of two simultaneous connections between two nodes, both keep the
 * one dialed by the node with the smaller id), and bans peers that break the protocol for a
 * while. Self-connections are refused by the handshake. A peer that dials again while this node
 * still holds a connection that peer dialed earlier has most likely lost it (a link that died
 * without a FIN or reset): the old connection is pinged at once and aborted if no pong comes
 * within the pong timeout (at most 2 s), so the peer's next redial gets in without waiting for
 * this node's own liveness check ({@code pingInterval + pongTimeout}). A duplicate is closed
 * with {@link io.duplex.CloseCodes#DUPLICATE}, a banned peer told {@link
 * io.duplex.CloseCodes#BANNED} (one banned for breaking the protocol is aborted instead).
 *
 * <h2>Threads</h2>
 * Each node has one daemon thread, {@code duplex-node-N}: it dials and redials, and it runs the
 * {@link Builder#errorHandler error handler} and {@link MembershipListener#dialFailed}, one call
 * at a time. {@link MembershipListener#joined} and {@link MembershipListener#left} and the
 * {@link Builder#onMessage message handler} run where the transport runs listeners and handlers:
 * each connection's event thread. All methods are thread-safe.
 *
 * <p>Failures of peers are logged, rate-limited per peer and cause (at most a line a minute for
 * each, the next one saying how many were left out): a failed dial and a handshake whose
 * settings do not match (network id, codec, version) at WARN. A connection closed by an error
 * is logged by the transport (WARN; DEBUG for I/O errors such as resets).
 *
 * <pre>{@code
 * PeerNode<Msg> node = PeerNode.builder(NioTransport.builder(codec).config(config).factory())
 *     .listen(new InetSocketAddress("127.0.0.1", 9000))
 *     .dial(new InetSocketAddress("127.0.0.1", 9001))
 *     .onMessage((peer, msg) -> handle(peer, msg))
 *     .build();
 * node.broadcast(vote).quorum(2).join();
 * }</pre>
 *
 * @param <T> the message type
 */
public interface PeerNode<T> extends PeerGroup<T>, AutoCloseable {

  /** A builder for a node running on transports from {@code transports}. */
  static <T> Builder<T> builder(TransportFactory<T> transports) {
    return new Builder<>(Objects.requireNonNull(transports, "transports"));
  }

  /** The transport the node runs on. */
  Transport<T> transport();

  /** The address the node listens on, if it listens. */
  Optional<InetSocketAddress> listenAddress();

  /** Dials {@code address} and keeps it connected, redialing with backoff when it drops. */
  void addPeer(InetSocketAddress address);

  /**
   * Dials {@code peer}'s address and keeps it connected, like {@link
   * #addPeer(InetSocketAddress)}; if it names a node id, a dial that reaches any other node is
   * refused (and retried with backoff), so nobody else can stand in for it.
   */
  void addPeer(PeerAddress peer);

  /** Stops redialing {@code address} and closes the connection made by dialing it, if any. */
  void removePeer(InetSocketAddress address);

  /** Refuses and disconnects the node {@code node} for {@code duration}. */
  void ban(NodeId node, Duration duration);

  /** Refuses and disconnects every peer from {@code address} for {@code duration}. */
  void ban(InetAddress address, Duration duration);

  /** Whether {@code node} is banned now. */
  boolean isBanned(NodeId node);

  /** Whether {@code address} is banned now. */
  boolean isBanned(InetAddress address);

  /**
   * Stops dialing, closes every connection gracefully (telling peers {@link
   * io.duplex.CloseCodes#GOING_AWAY}) and closes the transport. The error handler and the
   * membership listeners' {@code dialFailed} hear nothing after this.
   */
  @Override
  void close();

  /**
   * Hears every failure of a node's peers. See {@link Builder#errorHandler}.
   *
   * @param <T> the message type
   */
  @FunctionalInterface
  interface ErrorHandler<T> {
    /**
     * A peer failed.
     *
     * @param address the peer's address: the address dialed, for a dial; the remote address of
     *     the connection or of the accepted socket otherwise
     * @param connection the connection that closed, or null if there was none (a dial or a
     *     handshake that failed)
     * @param error what failed: the dial's or handshake's exception, or the error that closed
     *     the connection (the cause of its {@link Connection#closeCause()}, or that cause itself
     *     when the peer closed with an error code)
     */
    void onError(InetSocketAddress address, Connection<T> connection, Throwable error);
  }

  /**
   * Settings of a {@link PeerNode}, with documented defaults. Not thread-safe.
   *
   * @param <T> the message type
   */
  final class Builder<T> {
    /** Default {@link #maxInbound}: 64 peers. */
    public static final int DEFAULT_MAX_INBOUND = 64;
    /** Default {@link #maxOutbound}: 32 peers. */
    public static final int DEFAULT_MAX_OUTBOUND = 32;
    /** Default {@link #maxPerAddress}: 8 connections from one IP address. */
    public static final int DEFAULT_MAX_PER_ADDRESS = 8;
    /** Default first redial delay: 100 ms. */
    public static final Duration DEFAULT_RECONNECT_MIN = Duration.ofMillis(100);
    /** Default longest redial delay: 30 s. */
    public static final Duration DEFAULT_RECONNECT_MAX = Duration.ofSeconds(30);
    /** Default {@link #banDuration}: 10 minutes. */
    public static final Duration DEFAULT_BAN_DURATION = Duration.ofMinutes(10);

    final TransportFactory<T> transports;
    InetSocketAddress listen;
    final List<PeerAddress> dial = new ArrayList<>();
    int maxInbound = DEFAULT_MAX_INBOUND;
    int maxOutbound = DEFAULT_MAX_OUTBOUND;
    int maxPerAddress = DEFAULT_MAX_PER_ADDRESS;
    Duration reconnectMin = DEFAULT_RECONNECT_MIN;
    Duration reconnectMax = DEFAULT_RECONNECT_MAX;
    Duration banDuration = DEFAULT_BAN_DURATION;
    MessageHandler<T> handler;
    ErrorHandler<T> errorHandler;
    final List<MembershipListener<T>> membership = new ArrayList<>();

    private Builder(TransportFactory<T> transports) {
      this.transports = transports;
    }

    /** Listens on {@code address} (port 0: any free port); default: does not listen. */
    public Builder<T> listen(InetSocketAddress address) {
      this.listen = Objects.requireNonNull(address, "address");
      return this;
    }

    /** Adds peers to dial and keep connected. */
    public Builder<T> dial(InetSocketAddress... addresses) {
      for (InetSocketAddress a : addresses) {
        dial.add(PeerAddress.of(a));
      }
      return this;
    }

    /**
     * Adds peers to dial and keep connected, each refusing any node but the one it names (see
     * {@link PeerAddress}).
     */
    public Builder<T> dial(PeerAddress... peers) {
      for (PeerAddress p : peers) {
        dial.add(Objects.requireNonNull(p, "peer"));
      }
      return this;
    }

    /**
     * The most accepted peers at once; more are refused at accept. Default 64. The transport's
     * own {@link TransportConfig#maxInboundConnections()} (default 1024) applies first.
     */
    public Builder<T> maxInbound(int maxInbound) {
      this.maxInbound = Checks.notNegative(maxInbound, "maxInbound");
      return this;
    }

    /** The most dialed peers at once; further dials wait for a slot. Default 32. */
    public Builder<T> maxOutbound(int maxOutbound) {
      this.maxOutbound = Checks.notNegative(maxOutbound, "maxOutbound");
      return this;
    }

    /**
     * The most accepted connections from one IP address. Default 8. The transport's own {@link
     * TransportConfig#maxInboundConnectionsPerAddress()} (default 16) applies first: to allow
     * more than that, raise it in the transport's configuration too.
     */
    public Builder<T> maxPerAddress(int maxPerAddress) {
      this.maxPerAddress = Checks.positive(maxPerAddress, "maxPerAddress");
      return this;
    }

    /**
     * Redial delays: the first after {@code min}, doubling up to {@code max}, each with up to 20%
     * jitter either way. Defaults 100 ms and 30 s. A dialed connection that closes before it has
     * been up for {@code max} counts as a failed attempt, so the delay keeps doubling; one that
     * lasted longer is redialed after {@code min} again.
     */
    public Builder<T> reconnect(Duration min, Duration max) {
      Checks.positive(min, "min");
      Checks.positive(max, "max");
      if (min.compareTo(max) > 0) {
        throw new IllegalArgumentException("reconnect min > max: " + min + " > " + max);
      }
      this.reconnectMin = min;
      this.reconnectMax = max;
      return this;
    }

    /** How long a peer that broke the protocol stays banned. Default 10 minutes. */
    public Builder<T> banDuration(Duration banDuration) {
      this.banDuration = Checks.positive(banDuration, "banDuration");
      return this;
    }

    /** The handler every peer's messages go to; default none (take them with receive). */
    public Builder<T> onMessage(MessageHandler<T> handler) {
      this.handler = Objects.requireNonNull(handler, "handler");
      return this;
    }

    /** Adds a listener for peers joining and leaving, and for failed dials. */
    public Builder<T> membershipListener(MembershipListener<T> listener) {
      membership.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Hears every failure of the node's peers: a dial that failed (each attempt), the handshake
     * of an accepted peer that failed, a connection closed by an error (an I/O error, a
     * protocol or codec error, a timeout, or the peer's CLOSE with an error code), each with the
     * peer's address and the connection where there is one. An orderly close, and a connection
     * this node closes itself (a duplicate, a ban, {@code removePeer}), is no failure.
     *
     * <p>It runs on the node's thread {@code duplex-node-N}, one call at a time, in the order the
     * failures were met; the same thread dials, so it must be quick and must not block. An
     * exception it throws is logged and ignored. Default: none (failures are still logged).
     */
    public Builder<T> errorHandler(ErrorHandler<T> errorHandler) {
      this.errorHandler = Objects.requireNonNull(errorHandler, "errorHandler");
      return this;
    }

    /**
     * Builds the transport, starts listening and dialing.
     *
     * @throws IOException if the listen address cannot be bound
     */
    public PeerNode<T> build() throws IOException {
      return new Mesh<>(this);
    }
  }
}
