package io.duplex.benchmarks;

import io.duplex.Connection;
import io.duplex.ConnectionListener;
import io.duplex.NodeId;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.benchmarks.baseline.LockedConnection;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.codec.Codec;
import io.duplex.codec.json.JsonCodec;
import io.duplex.PayloadHandler;
import io.duplex.codec.message.ConsensusMessage;
import io.duplex.codec.message.Proposal;
import io.duplex.codec.message.Vote;
import io.duplex.codec.message.VoteType;
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
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Function;
import org.HdrHistogram.Histogram;

/**
 * Workload 1: send/receive concurrency on one connection. A streams 1 MiB frames to B without
 * pause while B sends 100-byte votes to A at a fixed 1,000 per second; A records each vote's
 * delivery latency from its intended send time. A connection whose directions wait for each
 * other delays every vote behind a block.
 *
 * <pre>
 *   java -cp benchmarks/target/benchmarks.jar io.duplex.benchmarks.ConcurrencyScenario \
 *       [duplex|duplex-raw|netty|locked|virtual-threads] [seconds]
 * </pre>
 */
public final class ConcurrencyScenario {
  static final int BLOCK = 1 << 20;
  static final int VOTE = 100;
  static final int RATE = 1_000;
  /**
   * Not a baseline but a variant the report runs beside them: duplex moving raw bytes, as the
   * baselines do, instead of JSON messages.
   */
  static final String DUPLEX_RAW = "duplex-raw";

  private ConcurrencyScenario() {}

  /** One connection between A and B, as each baseline offers it. */
  interface Pair extends AutoCloseable {
    /** A sends one block; may wait for room, never for B's votes. Called by A's streaming thread. */
    void sendBlock(byte[] block) throws Exception;

    /** B sends one vote. Called by B's voting thread. */
    void sendVote(byte[] vote) throws Exception;

    @Override
    void close() throws Exception;
  }

  /** Vote latency at A, the votes sent, and the blocks B received. */
  record Result(String transport, Histogram latency, long votes, long blocks) {
    String line() {
      return String.format(Locale.ROOT, "%s votes=%d blocks=%d vote latency us: p50 %.1f p99 %.1f"
          + " max %.1f", transport, votes, blocks, latency.getValueAtPercentile(50) / 1e3,
          latency.getValueAtPercentile(99) / 1e3, latency.getMaxValue() / 1e3);
    }
  }

  public static void main(String[] args) throws Exception {
    String transport = args.length > 0 ? args[0] : "duplex";
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    System.out.println(run(transport, seconds).line());
  }

  static Result run(String transport, int seconds) throws Exception {
    Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(120), 3);
    long[] blocks = new long[1];
    long warmupEnds = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    VoteSink sink = intended -> {
      if (intended >= warmupEnds) {
        synchronized (latency) {
          latency.recordValue(Math.max(0, System.nanoTime() - intended));
        }
      }
    };
    Runnable blockArrived = () -> blocks[0]++;
    AtomicBoolean running = new AtomicBoolean(true);
    try (Pair pair = pair(transport, sink, blockArrived)) {
      Thread streamer = new Thread(() -> {
        byte[] block = new byte[BLOCK];
        try {
          while (running.get()) {
            pair.sendBlock(block);
          }
        } catch (Exception e) {
          // closed at the end
        }
      }, "streamer");
      streamer.setDaemon(true);
      streamer.start();
      FixedRate rate = new FixedRate(RATE, seconds);
      byte[] vote = new byte[VOTE];
      long sent = rate.run(intended -> {
        ByteBuffer.wrap(vote).putLong(0, intended);
        pair.sendVote(vote);
      });
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
      running.set(false);
      Histogram result;
      synchronized (latency) {
        result = latency.copy();
      }
      rate.chargeUnsent(result, warmupEnds, 1);
      return new Result(transport, result, sent, blocks[0]);
    }
  }

  private static Pair pair(String transport, VoteSink sink, Runnable blockArrived)
      throws Exception {
    return switch (transport) {
      case Baselines.LOCKED -> new LockedPair(sink, blockArrived);
      case Baselines.VIRTUAL_THREADS -> Baselines.virtualThreads("pair", sink, blockArrived);
      case Baselines.NETTY -> new NettyPair(sink, blockArrived);
      case Baselines.DUPLEX -> duplexJson(sink, blockArrived);
      case DUPLEX_RAW -> duplexRaw(sink, blockArrived);
      default -> throw Baselines.unknown(transport);
    };
  }

  /** Where A's side reports a vote: its intended send time. */
  interface VoteSink {
    void arrived(long intendedNanos);
  }

  static long intended(byte[] vote) {
    return ByteBuffer.wrap(vote).getLong(0);
  }

  // ---- duplex ------------------------------------------------------------------------------

  /**
   * duplex as a user would run it: the JSON codec and the consensus messages, a {@link Proposal}
   * carrying each 1 MiB block and a {@link Vote} carrying its intended send time (the baselines
   * move raw bytes, so duplex also pays for JSON here). Handlers run on the read loop.
   */
  static DuplexPair<ConsensusMessage> duplexJson(VoteSink sink, Runnable blockArrived)
      throws Exception {
    long[] height = {0}; // A's streaming thread only
    return new DuplexPair<>(JsonCodec.consensus(),
        block -> new Proposal(height[0]++, 0, "a", HASH, block),
        vote -> new Vote(0, 0, VoteType.PREVOTE, HASH, "b", intended(vote)),
        m -> sink.arrived(((Vote) m).timestampNanos()), blockArrived);
  }

  /**
   * duplex moving the same raw bytes as the baselines ({@link ByteArrayCodec}): the transport
   * alone, for comparison with {@link #duplexJson}. Both ends receive on the lent path (a
   * payload handler on the read loop reads a vote's timestamp in place, and counts a block
   * without copying it), as Netty's handlers read its pooled buffers.
   */
  static DuplexPair<byte[]> duplexRaw(VoteSink sink, Runnable blockArrived) throws Exception {
    return new DuplexPair<>(ByteArrayCodec.instance(), block -> block, vote -> vote,
        (c, lane, vote) -> sink.arrived(vote.getLong(vote.position())),
        (c, lane, block) -> blockArrived.run());
  }

  /** A and B as two duplex transports; A's handler gets the votes, B's counts the blocks. */
  static final class DuplexPair<T> implements Pair {
    private final Transport<T> a;
    private final Transport<T> b;
    private final Connection<T> aToB;
    private final Connection<T> bToA;
    private final Function<byte[], T> block;
    private final Function<byte[], T> vote;

    DuplexPair(Codec<T> codec, Function<byte[], T> block, Function<byte[], T> vote,
        Consumer<T> voteArrived, Runnable blockArrived) throws Exception {
      this(codec, block, vote, voteArrived, blockArrived, null, null);
    }

    /** A pair whose ends receive on the lent path: A's votes to one handler, B's blocks to the other. */
    DuplexPair(Codec<T> codec, Function<byte[], T> block, Function<byte[], T> vote,
        PayloadHandler<T> votesLent, PayloadHandler<T> blocksLent) throws Exception {
      this(codec, block, vote, null, null, votesLent, blocksLent);
    }

    private DuplexPair(Codec<T> codec, Function<byte[], T> block, Function<byte[], T> vote,
        Consumer<T> voteArrived, Runnable blockArrived, PayloadHandler<T> votesLent,
        PayloadHandler<T> blocksLent) throws Exception {
      this.block = block;
      this.vote = vote;
      TransportConfig config = TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of("b")).build();
      NioTransport.Builder<T> bb = NioTransport.builder(codec).config(config)
          .handlersOnReadLoop(true);
      b = receiving(bb, blocksLent, m -> blockArrived.run()).build();
      InetSocketAddress at = b.listen(new InetSocketAddress("127.0.0.1", 0));
      NioTransport.Builder<T> ab = NioTransport.builder(codec)
          .config(TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of("a")).build())
          .handlersOnReadLoop(true);
      a = receiving(ab, votesLent, voteArrived).build();
      aToB = a.connect(at).get(10, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (b.connections().isEmpty() && System.nanoTime() < deadline) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
      }
      bToA = b.connections().get(0);
    }

    /**
     * {@code builder} receiving on the lent path with {@code lent}, or else each message in a
     * handler on the read loop.
     */
    private static <T> NioTransport.Builder<T> receiving(NioTransport.Builder<T> builder,
        PayloadHandler<T> lent, Consumer<T> arrived) {
      if (lent != null) {
        return builder.payloadHandler(lent);
      }
      return builder.listener(new ConnectionListener<>() {
        @Override
        public void onOpen(Connection<T> c) {
          c.onMessage((conn, m) -> arrived.accept(m));
        }
      });
    }

    @Override
    public void sendBlock(byte[] bytes) {
      while (!aToB.isWritable()) {
        LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
      }
      aToB.send(block.apply(bytes));
    }

    @Override
    public void sendVote(byte[] bytes) {
      bToA.send(vote.apply(bytes));
    }

    @Override
    public void close() {
      a.close();
      b.close();
    }
  }

  private static final String HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

  // ---- Netty -------------------------------------------------------------------------------

  static final class NettyPair implements Pair {
    private final EventLoopGroup groupA = new MultiThreadIoEventLoopGroup(1,
        NioIoHandler.newFactory());
    private final EventLoopGroup groupB = new MultiThreadIoEventLoopGroup(1,
        NioIoHandler.newFactory());
    private final Channel server;
    private final Channel aToB;
    private volatile Channel bToA;

    NettyPair(VoteSink sink, Runnable blockArrived) throws Exception {
      server = new ServerBootstrap().group(groupB).channel(NioServerSocketChannel.class)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              bToA = ch;
              ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(16 << 20, 0, 4, 0, 4),
                  new LengthFieldPrepender(4), new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                      ((ByteBuf) msg).release();
                      blockArrived.run();
                    }
                  });
            }
          }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
      aToB = new Bootstrap().group(groupA).channel(NioSocketChannel.class)
          .option(ChannelOption.TCP_NODELAY, true)
          .handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(16 << 20, 0, 4, 0, 4),
                  new LengthFieldPrepender(4), new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                      ByteBuf b = (ByteBuf) msg;
                      sink.arrived(b.getLong(b.readerIndex()));
                      b.release();
                    }
                  });
            }
          }).connect(server.localAddress()).sync().channel();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (bToA == null && System.nanoTime() < deadline) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
      }
    }

    @Override
    public void sendBlock(byte[] block) {
      while (!aToB.isWritable()) { // Netty's backpressure: honour isWritable()
        LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
      }
      aToB.writeAndFlush(Unpooled.wrappedBuffer(block), aToB.voidPromise());
    }

    @Override
    public void sendVote(byte[] vote) {
      bToA.writeAndFlush(Unpooled.wrappedBuffer(vote.clone()), bToA.voidPromise());
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

  /** Each side: one blocking socket, one lock for both directions, a reader thread. */
  static final class LockedPair implements Pair {
    private final ServerSocket server = new ServerSocket();
    private final LockedConnection a;
    private final LockedConnection b;

    LockedPair(VoteSink sink, Runnable blockArrived) throws Exception {
      server.bind(new InetSocketAddress("127.0.0.1", 0));
      Socket toB = new Socket();
      toB.connect(server.getLocalSocketAddress(), 5000);
      a = new LockedConnection(toB);
      b = new LockedConnection(server.accept());
      reader("locked-a-reader", () -> {
        byte[] vote = a.receiveIfAvailable();
        if (vote != null) {
          sink.arrived(intended(vote));
        } else {
          LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
        }
      });
      reader("locked-b-reader", () -> {
        if (b.receiveIfAvailable() != null) {
          blockArrived.run();
        } else {
          LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
        }
      });
    }

    private interface Step {
      void run() throws Exception;
    }

    private static void reader(String name, Step step) {
      Thread t = new Thread(() -> {
        try {
          while (true) {
            step.run();
          }
        } catch (Exception e) {
          // closed
        }
      }, name);
      t.setDaemon(true);
      t.start();
    }

    @Override
    public void sendBlock(byte[] block) throws Exception {
      a.send(block);
    }

    @Override
    public void sendVote(byte[] vote) throws Exception {
      b.send(vote);
    }

    @Override
    public void close() throws Exception {
      a.close();
      b.close();
      server.close();
    }
  }
}
