package io.duplex.benchmarks.baseline;

import io.duplex.Connection;
import io.duplex.ConnectionListener;
import io.duplex.Lane;
import io.duplex.security.CipherSuite;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.benchmarks.Streams;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.nio.NioTransport;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * duplex as a user would stream raw frames: {@code sendLater} for a burst, one {@code flush}; the
 * server counts on its read loop (no hand-off): lent payloads ({@code payloadHandler}), or
 * decoded {@code byte[]} messages in a handler on the read loop. Optionally with lanes
 * configured on both sides (workload 6's consensus and blocks lanes) and every message on one
 * lane ({@link LanesUse}), to compare one-lane traffic with and without lanes.
 */
public final class DuplexStreams implements Streams {
  /** Which lane the frames go on when lanes are configured. */
  public enum LanesUse {
    /** Lanes not configured: duplex as before lanes. */
    NONE,
    /** Lanes configured, every frame on lane 0 ({@code sendLater(message)}). */
    DEFAULT_LANE,
    /** Lanes configured, every frame on the configured {@link #BLOCKS} lane. */
    CONFIGURED_LANE
  }

  /**
   * A diagnostic knob, unset by default: {@code -Dduplex.bench.readLoops=N} gives the receiving
   * transport N read loops (default 1), to see whether one loop is what holds many connections
   * back.
   */
  static final int READ_LOOPS = Integer.getInteger("duplex.bench.readLoops", 0);

  /** Workload 6's votes lane (unused here but configured, as a real node would). */
  static final Lane CONSENSUS = Lane.builder("consensus").weight(100).maxMessageSize(64 * 1024)
      .build();
  /** Workload 6's blocks lane. */
  static final Lane BLOCKS = Lane.builder("blocks").weight(10).maxMessageSize(2 << 20)
      .outboundHardLimit(64L << 20).build();

  private final Transport<byte[]> server;
  private final Transport<byte[]> client;
  private final List<Connection<byte[]>> connections = new ArrayList<>();
  /** The configured lane every frame goes on, or null for {@code sendLater(message)}. */
  private final Lane lane;
  /** Fire and forget ({@code post}, no future per message) rather than {@code sendLater}. */
  private final boolean post;
  // Written only by the server's single read loop.
  private volatile long received;

  /** Insecure plaintext streams, as the plaintext report compares. */
  public DuplexStreams(int count) throws Exception {
    this(count, null, LanesUse.NONE, false);
  }

  /** Insecure plaintext streams with lanes configured, every frame on the lane {@code use} says. */
  public DuplexStreams(int count, LanesUse use) throws Exception {
    this(count, null, use, false);
  }

  /**
   * Insecure plaintext streams, lanes as {@code use} says; {@code lent}: the server receives lent
   * payloads instead of decoded messages, and the client sends with {@code post} (no future per
   * message) instead of {@code sendLater}: the zero-garbage path at both ends.
   */
  public DuplexStreams(int count, LanesUse use, boolean lent) throws Exception {
    this(count, null, use, lent);
  }

  /**
   * Streams over the secure channel with {@code suite}, or plaintext if it is null: posted and
   * received lent, as plaintext {@code duplex} streams, so the secure channel's cost is measured
   * against it like for like.
   */
  public DuplexStreams(int count, CipherSuite suite) throws Exception {
    this(count, suite, LanesUse.NONE, true);
  }

  private DuplexStreams(int count, CipherSuite suite, LanesUse use, boolean lent)
      throws Exception {
    lane = use == LanesUse.CONFIGURED_LANE ? BLOCKS : null;
    post = lent; // the lent variant streams as a zero-garbage user would: post, not sendLater
    TransportConfig.Builder serverBuilder = DuplexSecurity.config(suite, "server");
    TransportConfig.Builder clientBuilder = DuplexSecurity.config(suite, "client")
        .outboundHardLimit(256L << 20).highWaterMark(64L << 20);
    if (use != LanesUse.NONE) {
      serverBuilder.lanes(CONSENSUS, BLOCKS);
      clientBuilder.lanes(CONSENSUS, BLOCKS);
    }
    TransportConfig serverConfig = serverBuilder.build();
    NioTransport.Builder<byte[]> serverTransport = NioTransport.builder(ByteArrayCodec.instance())
        .config(serverConfig).handlersOnReadLoop(true);
    if (lent) {
      serverTransport.payloadHandler((conn, l, payload) -> received++);
    } else {
      serverTransport.listener(new ConnectionListener<>() {
        @Override
        public void onOpen(Connection<byte[]> c) {
          c.onMessage((conn, m) -> received++);
        }
      });
    }
    if (READ_LOOPS > 0) {
      serverTransport.readLoops(READ_LOOPS);
    }
    server = serverTransport.build();
    InetSocketAddress at = server.listen(new InetSocketAddress("127.0.0.1", 0));
    client = NioTransport.builder(ByteArrayCodec.instance())
        .config(clientBuilder.build())
        .build();
    for (int i = 0; i < count; i++) {
      connections.add(client.connect(at).get(10, TimeUnit.SECONDS));
    }
  }

  @Override
  @SuppressWarnings("NonAtomicVolatileUpdate")
  public void sendBatch(int connection, byte[] payload, int batch) {
    Connection<byte[]> c = connections.get(connection);
    if (post) {
      for (int i = 0; i < batch; i++) {
        c.post(payload);
      }
    } else if (lane == null) {
      for (int i = 0; i < batch; i++) {
        c.sendLater(payload);
      }
    } else {
      for (int i = 0; i < batch; i++) {
        c.sendLater(lane, payload);
      }
    }
    c.flush();
  }

  @Override
  public long received() {
    return received;
  }

  @Override
  public void close() {
    client.close();
    server.close();
  }
}
