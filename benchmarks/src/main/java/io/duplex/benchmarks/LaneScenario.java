package io.duplex.benchmarks;

import io.duplex.Connection;
import io.duplex.ConnectionListener;
import io.duplex.Lane;
import io.duplex.NodeId;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.benchmarks.baseline.LockedConnection;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.nio.NioTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Workload 6: votes behind blocks, in the same direction, on one connection. A streams 1 MiB
 * blocks to B as fast as its backpressure allows ({@code isWritable()} with the default water
 * marks in duplex and Netty; the socket itself for {@code locked}) and, on the same connection,
 * sends 100-byte votes at a fixed 1,000 per second; B records each vote's latency from its
 * intended send time (the vote carries its intended {@code System.nanoTime()}; both ends are in
 * this JVM) and counts the block bytes it receives. Every variant moves raw bytes in plaintext.
 *
 * <ul>
 *   <li>{@value #LOCKED}: one blocking socket per side, one lock per connection: a vote waits
 *       for the block being written.</li>
 *   <li>{@value #NETTY}: Netty 4.2, one channel, {@code writeAndFlush} of blocks and votes in
 *       the order they are sent (FIFO).</li>
 *   <li>{@value #DUPLEX_ONE_LANE}: duplex without lanes (one FIFO lane).</li>
 *   <li>{@value #DUPLEX_LANES}: duplex with a {@link #CONSENSUS} lane for the votes and a {@link
 *       #BLOCKS} lane for the blocks, the same lanes on both sides.</li>
 *   <li>{@value #DUPLEX_LANES_STALLED}: as {@value #DUPLEX_LANES}, but B's handler of the blocks
 *       lane blocks for {@value #STALL_SECONDS} s once, 2 s into the run.</li>
 *   <li>{@value #DUPLEX_LANES_LENT}: as {@value #DUPLEX_LANES}, but B receives on the lent path
 *       (a {@link io.duplex.PayloadHandler} on its read loop reads a vote's timestamp and a
 *       block's length from the lent bytes): no decoded {@code byte[]}, no copy of a block.</li>
 * </ul>
 *
 * <p>duplex runs its handlers off the read loop (the default), but for the lent variant: a
 * stalled handler must not stop the loop that reads the votes. A diagnostic knob, off by default: {@code
 * -Dduplex.bench.socketBuffer=BYTES} sets SO_SNDBUF on A and SO_RCVBUF on B for the duplex
 * variants (the kernel then no longer grows them), to see how much of a vote's wait is block
 * bytes already in the kernel's socket buffers, where lanes cannot reorder them. Another, for
 * choosing the default chunk size: {@code -Dduplex.bench.chunkSize=BYTES} sets {@link
 * TransportConfig.Builder#chunkSize(int)} on both sides of the lanes variants (unset: the
 * transport's default, {@value TransportConfig#DEFAULT_CHUNK_SIZE} B).
 *
 * <pre>
 *   java -cp benchmarks/target/benchmarks.jar io.duplex.benchmarks.LaneScenario \
 *       [locked|netty|duplex-one-lane|duplex-lanes|duplex-lanes-stalled] [seconds]
 * </pre>
 */
public final class LaneScenario {
  static final String LOCKED = Baselines.LOCKED;
  static final String NETTY = Baselines.NETTY;
  static final String DUPLEX_ONE_LANE = "duplex-one-lane";
  static final String DUPLEX_LANES = "duplex-lanes";
  static final String DUPLEX_LANES_STALLED = "duplex-lanes-stalled";
  static final String DUPLEX_LANES_LENT = "duplex-lanes-lent";
  /** Every variant, in the report's column order. */
  static final List<String> VARIANTS = List.of(LOCKED, NETTY, DUPLEX_ONE_LANE, DUPLEX_LANES,
      DUPLEX_LANES_STALLED, DUPLEX_LANES_LENT);

  static final int BLOCK = 1 << 20;
  static final int VOTE = 100;
  static final int RATE = 1_000;
  static final int STALL_SECONDS = 5;
  /** The votes' lane: small messages, served first. */
  static final Lane CONSENSUS = Lane.builder("consensus").weight(100).maxMessageSize(64 * 1024)
      .build();
  /** The blocks' lane. */
  static final Lane BLOCKS = blocksLane();

  /**
   * The blocks' lane; {@code -Dduplex.bench.blockWindow=BYTES} sets its inbound window (the
   * block bytes in flight at most), and {@code -Dduplex.bench.blockMax=BYTES} its max message
   * size (default 2 MiB).
   */
  private static Lane blocksLane() {
    Lane.Builder b = Lane.builder("blocks").weight(10)
        .maxMessageSize(Integer.getInteger("duplex.bench.blockMax", 2 << 20))
        .outboundHardLimit(64L << 20);
    Integer window = Integer.getInteger("duplex.bench.blockWindow");
    return (window != null ? b.inboundWindow(window) : b).build();
  }

  /** {@code -Dduplex.bench.socketBuffer}: 0, the default, leaves the kernel's autotuning on. */
  static final int SOCKET_BUFFER = Integer.getInteger("duplex.bench.socketBuffer", 0);
  /**
   * {@code -Dduplex.bench.chunkSize}: 0, the default, keeps the transport's default chunk size.
   */
  static final int CHUNK_SIZE = Integer.getInteger("duplex.bench.chunkSize", 0);
  private static final long WARMUP = TimeUnit.SECONDS.toNanos(1);
  /** How long the run waits, after the last vote was sent, for the votes still on their way. */
  private static final long DRAIN = TimeUnit.SECONDS.toNanos(10);

  private LaneScenario() {}

  /**
   * What one run measured at B.
   *
   * @param latency vote latency from intended send time, in ns, after the first second
   * @param votesSent votes A sent (the fixed rate's count unless A fell a whole run behind)
   * @param votesReceived votes B received, warm-up included
   * @param blockBytes block bytes B received between the end of the warm-up and the last vote's
   *     intended time
   * @param measuredSeconds the length of that window
   * @param blockBytesPerSecond block bytes B received in each second of the run
   * @param problem the first send failure or close cause seen, or null
   */
  record Result(String variant, Histogram latency, long votesSent, long votesReceived,
      long blockBytes, double measuredSeconds, long[] blockBytesPerSecond, String problem) {
    double blockMegabytesPerSecond() {
      return blockBytes / 1e6 / measuredSeconds;
    }

    String line() {
      StringBuilder perSecond = new StringBuilder();
      for (long b : blockBytesPerSecond) {
        perSecond.append(perSecond.length() == 0 ? "" : " ").append(Math.round(b / 1e6));
      }
      return String.format(Locale.ROOT, "%s votes=%d/%d vote latency ms: p50 %.3f p99 %.3f"
          + " p99.9 %.3f max %.3f; blocks %.0f MB/s (per second, MB: %s)%s", variant,
          votesReceived, votesSent, latency.getValueAtPercentile(50) / 1e6,
          latency.getValueAtPercentile(99) / 1e6, latency.getValueAtPercentile(99.9) / 1e6,
          latency.getMaxValue() / 1e6, blockMegabytesPerSecond(), perSecond,
          problem == null ? "" : "; problem: " + problem);
    }
  }

  public static void main(String[] args) throws Exception {
    String variant = args.length > 0 ? args[0] : DUPLEX_LANES;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    boolean duplex = !variant.equals(LOCKED) && !variant.equals(NETTY);
    System.out.println(run(variant, seconds).line()
        + (SOCKET_BUFFER > 0 && duplex ? " [socket buffers " + SOCKET_BUFFER + " B]" : "")
        + (CHUNK_SIZE > 0 && duplex && !variant.equals(DUPLEX_ONE_LANE)
            ? " [chunk size " + CHUNK_SIZE + " B]" : ""));
    System.exit(0); // a baseline's stray non-daemon thread must not keep the JVM alive
  }

  /** One connection between A and B as the variant builds it. */
  interface Pair extends AutoCloseable {
    /** A sends one block, after waiting for room as the variant's users do. Streaming thread. */
    void sendBlock(byte[] block) throws Exception;

    /** A sends one vote (a fresh array). Voting thread. */
    void sendVote(byte[] vote) throws Exception;

    /** The first failure the connection reported (a failed send, a close), or null. */
    default String problem() {
      return null;
    }

    @Override
    void close() throws Exception;
  }

  /** B's side of the measurement: votes' latency and blocks' bytes, whichever thread calls. */
  static final class Sink {
    private final Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(120), 3);
    private final long start = System.nanoTime();
    private final long warmupEnds = start + WARMUP;
    private final long measureEnds;
    private final AtomicLong votes = new AtomicLong();
    private final AtomicLong measuredBlockBytes = new AtomicLong();
    private final AtomicLongArray perSecond;
    private final long stallAt;
    private final AtomicBoolean stalled = new AtomicBoolean();
    private final AtomicBoolean running = new AtomicBoolean(true);

    Sink(int seconds, boolean stall) {
      measureEnds = start + TimeUnit.SECONDS.toNanos(seconds);
      perSecond = new AtomicLongArray(seconds + (stall ? STALL_SECONDS : 0) + 12);
      stallAt = stall ? warmupEnds + TimeUnit.SECONDS.toNanos(1) : Long.MAX_VALUE;
    }

    /** A message arrived at B: a vote or a block, told apart by size. */
    void arrived(byte[] message) {
      if (message.length == VOTE) {
        vote(ByteBuffer.wrap(message).getLong(0));
      } else {
        block(message.length);
      }
    }

    void vote(long intended) {
      long now = System.nanoTime();
      votes.incrementAndGet();
      if (intended >= warmupEnds) {
        synchronized (latency) {
          latency.recordValue(Math.max(0, now - intended));
        }
      }
    }

    void block(int bytes) {
      long now = System.nanoTime();
      if (now >= warmupEnds && now < measureEnds) {
        measuredBlockBytes.addAndGet(bytes);
      }
      int second = (int) ((now - start) / TimeUnit.SECONDS.toNanos(1));
      if (second < perSecond.length()) {
        perSecond.addAndGet(second, bytes);
      }
      if (now >= stallAt && stalled.compareAndSet(false, true)) {
        // The application's block handler stops for a while, once: only the blocks lane
        // should wait for it.
        long until = now + TimeUnit.SECONDS.toNanos(STALL_SECONDS);
        long left;
        while (running.get() && (left = until - System.nanoTime()) > 0) {
          LockSupport.parkNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(10)));
        }
      }
    }

    long votes() {
      return votes.get();
    }

    void stop() {
      running.set(false);
    }

    Histogram latency() {
      synchronized (latency) {
        return latency.copy();
      }
    }

    long[] perSecond() {
      long[] copy = new long[perSecond.length()];
      int last = 0;
      for (int i = 0; i < copy.length; i++) {
        copy[i] = perSecond.get(i);
        if (copy[i] != 0) {
          last = i + 1;
        }
      }
      return Arrays.copyOf(copy, last);
    }
  }

  static Result run(String variant, int seconds) throws Exception {
    if (seconds < 2) {
      throw new IllegalArgumentException("a run is at least 2 s (1 s of warm-up): " + seconds);
    }
    Sink sink = new Sink(seconds, variant.equals(DUPLEX_LANES_STALLED));
    AtomicBoolean streaming = new AtomicBoolean(true);
    try (Pair pair = pair(variant, sink)) {
      Thread streamer = new Thread(() -> {
        byte[] block = new byte[BLOCK];
        try {
          while (streaming.get()) {
            pair.sendBlock(block);
          }
        } catch (Exception e) {
          // closed at the end
        }
      }, "streamer");
      streamer.setDaemon(true);
      streamer.start();
      FixedRate rate = new FixedRate(RATE, seconds);
      long sent = rate.run(intended -> {
        byte[] vote = new byte[VOTE];
        ByteBuffer.wrap(vote).putLong(0, intended);
        pair.sendVote(vote);
      });
      long drained = System.nanoTime() + DRAIN;
      while (sink.votes() < sent && System.nanoTime() < drained) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
      }
      streaming.set(false);
      sink.stop();
      Histogram latency = sink.latency();
      rate.chargeUnsent(latency, sink.warmupEnds, 1);
      return new Result(variant, latency, sent, sink.votes(), sink.measuredBlockBytes.get(),
          (sink.measureEnds - sink.warmupEnds) / 1e9, sink.perSecond(), pair.problem());
    } finally {
      sink.stop();
    }
  }

  private static Pair pair(String variant, Sink sink) throws Exception {
    return switch (variant) {
      case LOCKED -> new LockedPair(sink);
      case NETTY -> new NettyPair(sink);
      case DUPLEX_ONE_LANE -> new DuplexPair(sink, false, false);
      case DUPLEX_LANES, DUPLEX_LANES_STALLED -> new DuplexPair(sink, true, false);
      case DUPLEX_LANES_LENT -> new DuplexPair(sink, true, true);
      default -> throw new IllegalArgumentException("unknown variant '" + variant
          + "': use one of " + VARIANTS);
    };
  }

  // ---- duplex ------------------------------------------------------------------------------

  /**
   * Two duplex transports on raw bytes ({@link ByteArrayCodec}), plaintext, handlers off the
   * read loop (the default), or B on the lent path ({@code lent}). With lanes, votes go on
   * {@link #CONSENSUS} and blocks on {@link #BLOCKS}; without, both on the one lane.
   */
  static final class DuplexPair implements Pair {
    private final Transport<byte[]> a;
    private final Transport<byte[]> b;
    private final Connection<byte[]> aToB;
    private final boolean lanes;
    private final AtomicReference<String> problem = new AtomicReference<>();

    DuplexPair(Sink sink, boolean lanes, boolean lent) throws Exception {
      this.lanes = lanes;
      NioTransport.Builder<byte[]> bb = NioTransport.builder(ByteArrayCodec.instance());
      NioTransport.Builder<byte[]> ab = NioTransport.builder(ByteArrayCodec.instance());
      if (SOCKET_BUFFER > 0) {
        bb.receiveBufferSize(SOCKET_BUFFER);
        ab.sendBufferSize(SOCKET_BUFFER);
      }
      if (lent) {
        bb.payloadHandler((conn, lane, payload) -> {
          if (payload.remaining() == VOTE) {
            sink.vote(payload.getLong(payload.position()));
          } else {
            sink.block(payload.remaining());
          }
        });
      } else {
        bb.listener(new ConnectionListener<>() {
          @Override
          public void onOpen(Connection<byte[]> c) {
            c.onMessage((conn, m) -> sink.arrived(m));
          }
        });
      }
      b = bb.config(config("b")).build();
      InetSocketAddress at = b.listen(new InetSocketAddress("127.0.0.1", 0));
      a = ab.config(config("a")).build();
      aToB = a.connect(at).get(10, TimeUnit.SECONDS);
      aToB.closeFuture().whenComplete((v, e) -> {
        if (aToB.closeCause() != null) {
          problem.compareAndSet(null, "A's connection closed: " + aToB.closeCause());
        }
      });
    }

    private TransportConfig config(String node) {
      TransportConfig.Builder config = TransportConfig.builder().insecurePlaintext()
          .nodeId(NodeId.of(node));
      if (lanes) {
        config.lanes(CONSENSUS, BLOCKS);
        if (CHUNK_SIZE > 0) {
          config.chunkSize(CHUNK_SIZE);
        }
      }
      return config.build();
    }

    @Override
    public void sendBlock(byte[] block) {
      while (!aToB.isWritable()) {
        if (!aToB.isAlive()) {
          throw new IllegalStateException("connection closed");
        }
        LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
      }
      watch(lanes ? aToB.send(BLOCKS, block) : aToB.send(block), "block");
    }

    @Override
    public void sendVote(byte[] vote) {
      watch(lanes ? aToB.send(CONSENSUS, vote) : aToB.send(vote), "vote");
    }

    private void watch(CompletableFuture<Void> sent, String what) {
      sent.whenComplete((v, e) -> {
        if (e != null) {
          problem.compareAndSet(null, "a " + what + " send failed: " + Outcome.reason(e));
        }
      });
    }

    @Override
    public String problem() {
      return problem.get();
    }

    @Override
    public void close() {
      a.close();
      b.close();
    }
  }

  // ---- Netty -------------------------------------------------------------------------------

  /** One Netty channel, length-prefixed frames, A's writes in FIFO order. */
  static final class NettyPair implements Pair {
    private final EventLoopGroup groupA = new MultiThreadIoEventLoopGroup(1,
        NioIoHandler.newFactory());
    private final EventLoopGroup groupB = new MultiThreadIoEventLoopGroup(1,
        NioIoHandler.newFactory());
    private final Channel server;
    private final Channel aToB;

    NettyPair(Sink sink) throws Exception {
      server = new ServerBootstrap().group(groupB).channel(NioServerSocketChannel.class)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(16 << 20, 0, 4, 0, 4),
                  new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                      ByteBuf b = (ByteBuf) msg;
                      if (b.readableBytes() == VOTE) {
                        sink.vote(b.getLong(b.readerIndex()));
                      } else {
                        sink.block(b.readableBytes());
                      }
                      b.release();
                    }
                  });
            }
          }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
      aToB = new Bootstrap().group(groupA).channel(NioSocketChannel.class)
          .option(ChannelOption.TCP_NODELAY, true)
          .handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline().addLast(new LengthFieldPrepender(4));
            }
          }).connect(server.localAddress()).sync().channel();
    }

    @Override
    public void sendBlock(byte[] block) {
      while (!aToB.isWritable()) { // Netty's backpressure: honour isWritable()
        if (!aToB.isActive()) {
          throw new IllegalStateException("channel closed");
        }
        LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
      }
      aToB.writeAndFlush(Unpooled.wrappedBuffer(block), aToB.voidPromise());
    }

    @Override
    public void sendVote(byte[] vote) {
      aToB.writeAndFlush(Unpooled.wrappedBuffer(vote), aToB.voidPromise());
    }

    @Override
    public void close() {
      aToB.close().syncUninterruptibly();
      server.close().syncUninterruptibly();
      groupA.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
      groupB.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  // ---- locked ------------------------------------------------------------------------------

  /** A blocking socket behind one lock on A; B reads frames on a thread of its own. */
  static final class LockedPair implements Pair {
    private final ServerSocket server = new ServerSocket();
    private final LockedConnection a;
    private final LockedConnection b;

    LockedPair(Sink sink) throws Exception {
      server.bind(new InetSocketAddress("127.0.0.1", 0));
      Socket toB = new Socket();
      toB.connect(server.getLocalSocketAddress(), 5000);
      a = new LockedConnection(toB);
      b = new LockedConnection(server.accept());
      Thread reader = new Thread(() -> {
        try {
          while (true) {
            sink.arrived(b.receive()); // B only reads: a blocking receive holds no one up
          }
        } catch (Exception e) {
          // closed
        }
      }, "locked-b-reader");
      reader.setDaemon(true);
      reader.start();
    }

    @Override
    public void sendBlock(byte[] block) throws Exception {
      a.send(block);
    }

    @Override
    public void sendVote(byte[] vote) throws Exception {
      a.send(vote);
    }

    @Override
    public void close() throws Exception {
      a.close();
      b.close();
      server.close();
    }
  }
}
