package io.duplex.benchmarks;

import io.duplex.Connection;
import io.duplex.ConnectionListener;
import io.duplex.NodeId;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.codec.Codecs;
import io.duplex.codec.json.JsonCodec;
import io.duplex.nio.NioTransport;
import io.duplex.peer.BroadcastResult;
import io.duplex.peer.PeerNode;
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
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Workload 2: one hub broadcasts 1 KiB frames at a fixed 1,000 per second to 16 peers, one of
 * which reads 4 KiB and then sleeps 50 ms, with 64 KiB socket buffers so the kernel cannot hide
 * the stall. Each fast peer records delivery latency from the frame's INTENDED send time (a hub
 * that falls behind is charged for it: no coordinated omission). Reports the fast peers' p50,
 * p99 and max, and the bytes queued for the slow peer at the end. duplex sends JSON ({@link
 * Tick}), as a user would; the baselines send raw bytes.
 *
 * <pre>
 *   java -cp benchmarks/target/benchmarks.jar io.duplex.benchmarks.BroadcastScenario \
 *       [duplex|netty|locked|virtual-threads] [seconds] [slow|none]
 * </pre>
 */
public final class BroadcastScenario {
  static final int PEERS = 16;
  static final int FRAME = 1024;
  static final int RATE = 1_000;
  static final int BUFFER = 64 * 1024;

  private BroadcastScenario() {}

  /** A hub that can broadcast and say how much it holds for a peer. */
  interface Hub extends AutoCloseable {
    InetSocketAddress address();

    /** Broadcasts {@code frame} (its first 8 bytes: the intended send time) to every peer. */
    void broadcast(byte[] frame);

    /** Bytes queued in the hub for the slow peer, not yet written to its socket. */
    long queuedForSlowPeer();

    int peers();

    @Override
    void close() throws Exception;
  }

  /** What the fast peers recorded. */
  static final class Recorder {
    final List<Histogram> histograms = new CopyOnWriteArrayList<>();

    /** A histogram for one peer, written only by that peer's I/O thread. */
    Histogram newPeer() {
      Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
      histograms.add(h);
      return h;
    }

    Histogram merged() {
      Histogram all = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
      for (Histogram h : histograms) {
        synchronized (h) {
          all.add(h);
        }
      }
      return all;
    }
  }

  static void record(Histogram h, long intendedNanos, long warmupEnds) {
    if (intendedNanos >= warmupEnds) {
      synchronized (h) {
        h.recordValue(Math.max(0, System.nanoTime() - intendedNanos));
      }
    }
  }

  /** Result of one run. */
  record Result(String transport, boolean slow, long sent, Histogram latency, long maxQueued) {
    String line() {
      return String.format(Locale.ROOT, "%s slow=%s sent=%d fast-peer latency us: p50 %.1f"
          + " p99 %.1f max %.1f (n=%d); most bytes queued for the slow peer: %d", transport,
          slow, sent, latency.getValueAtPercentile(50) / 1e3,
          latency.getValueAtPercentile(99) / 1e3, latency.getMaxValue() / 1e3,
          latency.getTotalCount(), maxQueued);
    }
  }

  public static void main(String[] args) throws Exception {
    String transport = args.length > 0 ? args[0] : "duplex";
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    boolean slow = args.length <= 2 || args[2].equals("slow");
    System.out.println(run(transport, seconds, slow).line());
  }

  /** Runs the scenario for {@code seconds} (the first second is warm-up, not recorded). */
  static Result run(String transport, int seconds, boolean slow) throws Exception {
    if (transport.equals(Baselines.DUPLEX)) {
      DuplexHub.warmUpCodec();
    }
    Recorder recorder = new Recorder();
    long warmupEnds = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    try (Hub hub = hub(transport)) {
      List<AutoCloseable> peers = new ArrayList<>();
      try {
        int fast = slow ? PEERS - 1 : PEERS;
        for (int i = 0; i < fast; i++) {
          peers.add(fastPeer(transport, hub.address(), i, recorder.newPeer(), warmupEnds));
        }
        if (slow) {
          peers.add(new SlowPeer(hub.address(), transport.equals(Baselines.DUPLEX)));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (hub.peers() < PEERS && System.nanoTime() < deadline) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        if (hub.peers() < PEERS) {
          throw new IllegalStateException("only " + hub.peers() + " peers joined the hub");
        }
        FixedRate rate = new FixedRate(RATE, seconds);
        byte[] frame = new byte[FRAME];
        long[] maxQueued = {0};
        long sent = rate.run(intended -> {
          ByteBuffer.wrap(frame).putLong(0, intended);
          hub.broadcast(frame);
          if ((intended - rate.start) / rate.interval % 10 == 0) {
            maxQueued[0] = Math.max(maxQueued[0], hub.queuedForSlowPeer());
          }
        });
        // Let the fast peers receive the last frames before reading the histograms.
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        maxQueued[0] = Math.max(maxQueued[0], hub.queuedForSlowPeer());
        Histogram latency = recorder.merged();
        rate.chargeUnsent(latency, warmupEnds, fast);
        return new Result(transport, slow, sent, latency, maxQueued[0]);
      } finally {
        for (AutoCloseable p : peers) {
          p.close();
        }
      }
    }
  }

  private static Hub hub(String transport) throws Exception {
    return switch (transport) {
      case Baselines.LOCKED -> new LockedHub();
      case Baselines.VIRTUAL_THREADS -> Baselines.virtualThreads("hub");
      case Baselines.NETTY -> new NettyHub();
      case Baselines.DUPLEX -> new DuplexHub();
      default -> throw Baselines.unknown(transport);
    };
  }

  private static AutoCloseable fastPeer(String transport, InetSocketAddress hub, int i,
      Histogram latency, long warmupEnds) throws Exception {
    return switch (transport) {
      case Baselines.LOCKED -> LockedHub.peer(hub, latency, warmupEnds);
      case Baselines.VIRTUAL_THREADS -> Baselines.virtualThreads("peer", hub, latency, warmupEnds);
      case Baselines.NETTY -> NettyHub.peer(hub, latency, warmupEnds);
      default -> DuplexHub.peer(hub, "fast-" + i, latency, warmupEnds);
    };
  }

  // ---- duplex ------------------------------------------------------------------------------

  /**
   * What duplex broadcasts here, as a user would: a message class of their own, registered with
   * the JSON codec. Its padding makes the JSON frame about as long as the baselines' 1 KiB.
   *
   * @param intendedNanos the frame's intended send time
   * @param padding filler, base64 in the JSON
   */
  public record Tick(long intendedNanos, byte[] padding) {}

  static JsonCodec<Tick> codec() {
    return JsonCodec.builder(Tick.class).register("tick", Tick.class).build();
  }

  /** duplex: a {@link PeerNode} whose broadcast encodes each {@link Tick} once, as JSON. */
  static final class DuplexHub implements Hub {
    private static final byte[] PADDING = new byte[FRAME * 3 / 4 - 40];
    private final PeerNode<Tick> node;

    DuplexHub() throws Exception {
      TransportConfig config = TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of("hub"))
          .maxFrameSize(64 * 1024).highWaterMark(512 * 1024).lowWaterMark(256 * 1024)
          .outboundHardLimit(1 << 20)
          .closeTimeout(java.time.Duration.ofMillis(500))
          .maxInboundConnectionsPerAddress(64).build(); // every peer dials from 127.0.0.1
      node = PeerNode.builder(NioTransport.builder(codec()).config(config)
              .sendBufferSize(BUFFER).receiveBufferSize(BUFFER).factory())
          .listen(new InetSocketAddress("127.0.0.1", 0)).maxPerAddress(64)
          .membershipListener(new io.duplex.peer.MembershipListener<>() {
            @Override
            public void left(Connection<Tick> peer, io.duplex.ConnectionClosedException why) {
              if (peer.peer().nodeId().equals(NodeId.of("slow"))) {
                System.err.println("the slow peer left the hub's group: " + why.getMessage());
              }
            }
          }).build();
    }

    /**
     * Encodes and decodes ticks until the JIT has compiled the JSON path (20,000 round trips,
     * at most 3 s), as in a node that has been running for a while. Without it, the 15 fast
     * peers' read loops decode base64 in unoptimised code for the first seconds; on 2 CPUs that saturates
     * the machine, and the backlog it leaves outlives the one-second warm-up (seen here: a C2
     * compile of Jackson's {@code _decodeBase64} 7 s into a run, and fast peers hundreds of
     * milliseconds late for the whole run). The baselines have no codec to warm.
     */
    static void warmUpCodec() {
      JsonCodec<Tick> codec = codec();
      Tick tick = new Tick(0, PADDING);
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
      for (int i = 0; i < 20_000 && System.nanoTime() < end; i++) {
        Codecs.decode(codec, Codecs.encode(codec, tick));
      }
    }

    static AutoCloseable peer(InetSocketAddress hub, String id, Histogram h, long warmupEnds)
        throws Exception {
      Transport<Tick> t = NioTransport.builder(codec())
          .config(TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of(id)).build())
          .handlersOnReadLoop(true).receiveBufferSize(BUFFER)
          .listener(new ConnectionListener<>() {
            @Override
            public void onOpen(Connection<Tick> c) {
              c.onMessage((conn, m) -> record(h, m.intendedNanos(), warmupEnds));
            }
          }).build();
      t.connect(hub).get(10, TimeUnit.SECONDS);
      return t;
    }

    @Override
    public InetSocketAddress address() {
      return node.listenAddress().orElseThrow();
    }

    @Override
    public void broadcast(byte[] frame) {
      long intended = ByteBuffer.wrap(frame).getLong(0);
      BroadcastResult ignored = node.broadcast(new Tick(intended, PADDING)); // fire and forget
    }

    @Override
    public long queuedForSlowPeer() {
      return node.peer(NodeId.of("slow")).map(Connection::pendingBytes).orElse(0L);
    }

    @Override
    public int peers() {
      return node.size();
    }

    @Override
    public void close() {
      node.close();
    }
  }

  // ---- Netty -------------------------------------------------------------------------------

  static final class NettyHub implements Hub {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
        NioIoHandler.newFactory());
    private final List<Channel> channels = new CopyOnWriteArrayList<>();
    private final Channel server;

    NettyHub() throws Exception {
      server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childOption(ChannelOption.SO_SNDBUF, BUFFER)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline().addLast(new LengthFieldPrepender(4), new ChannelInboundHandlerAdapter() {
                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                  ctx.close(); // a peer that went away at the end of the run
                }
              });
              channels.add(ch);
            }
          }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    static AutoCloseable peer(InetSocketAddress hub, Histogram h, long warmupEnds)
        throws Exception {
      EventLoopGroup g = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
      Channel ch = new Bootstrap().group(g).channel(NioSocketChannel.class)
          .option(ChannelOption.TCP_NODELAY, true).option(ChannelOption.SO_RCVBUF, BUFFER)
          .handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(16 << 20, 0, 4, 0, 4),
                  new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                      ByteBuf b = (ByteBuf) msg;
                      record(h, b.getLong(b.readerIndex()), warmupEnds);
                      b.release();
                    }
                  });
            }
          }).connect(hub).sync().channel();
      return () -> {
        ch.close().syncUninterruptibly();
        g.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
      };
    }

    @Override
    public InetSocketAddress address() {
      return (InetSocketAddress) server.localAddress();
    }

    @Override
    public void broadcast(byte[] frame) {
      ByteBuf shared = Unpooled.wrappedBuffer(frame.clone()); // encoded once, shared
      for (Channel ch : channels) {
        ch.writeAndFlush(shared.retainedDuplicate(), ch.voidPromise());
      }
      shared.release();
    }

    @Override
    public long queuedForSlowPeer() {
      long most = 0;
      for (Channel ch : channels) {
        var buffer = ch.unsafe().outboundBuffer();
        if (buffer != null) {
          most = Math.max(most, buffer.totalPendingWriteBytes());
        }
      }
      return most;
    }

    @Override
    public int peers() {
      return channels.size();
    }

    @Override
    public void close() {
      server.close().syncUninterruptibly();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  // ---- locked: one blocking socket and one lock per peer, broadcast in turn ----------------

  static final class LockedHub implements Hub {
    private final java.net.ServerSocket server = new java.net.ServerSocket();
    private final List<io.duplex.benchmarks.baseline.LockedConnection> peers =
        new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    LockedHub() throws Exception {
      server.bind(new InetSocketAddress("127.0.0.1", 0));
      acceptor = new Thread(() -> {
        try {
          while (true) {
            Socket s = server.accept();
            s.setSendBufferSize(BUFFER);
            peers.add(new io.duplex.benchmarks.baseline.LockedConnection(s));
          }
        } catch (Exception e) {
          // closed
        }
      }, "locked-acceptor");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    /** A fast peer: a thread that reads frames as they come and records their latency. */
    static AutoCloseable peer(InetSocketAddress hub, Histogram h, long warmupEnds)
        throws Exception {
      Socket s = new Socket();
      s.setReceiveBufferSize(BUFFER);
      s.connect(hub, 5000);
      io.duplex.benchmarks.baseline.LockedConnection c =
          new io.duplex.benchmarks.baseline.LockedConnection(s);
      Thread reader = new Thread(() -> {
        try {
          while (true) {
            record(h, ByteBuffer.wrap(c.receive()).getLong(0), warmupEnds);
          }
        } catch (Exception e) {
          // closed
        }
      }, "locked-peer");
      reader.setDaemon(true);
      reader.start();
      return c;
    }

    @Override
    public InetSocketAddress address() {
      return (InetSocketAddress) server.getLocalSocketAddress();
    }

    @Override
    public void broadcast(byte[] frame) {
      for (io.duplex.benchmarks.baseline.LockedConnection peer : peers) {
        try {
          peer.send(frame); // blocks while this peer's socket is full: the others wait
        } catch (java.io.IOException e) {
          peers.remove(peer);
        }
      }
    }

    @Override
    public long queuedForSlowPeer() {
      return 0; // nothing is queued in the hub: the sender itself waits
    }

    @Override
    public int peers() {
      return peers.size();
    }

    @Override
    public void close() throws Exception {
      server.close();
      for (io.duplex.benchmarks.baseline.LockedConnection peer : peers) {
        peer.close();
      }
    }
  }

  // ---- the slow peer -----------------------------------------------------------------------

  /** Reads 4 KiB, sleeps 50 ms, in a loop, like a peer on a poor link. */
  static final class SlowPeer implements AutoCloseable {
    private final Socket socket = new Socket();
    private final Thread reader;

    SlowPeer(InetSocketAddress hub, boolean duplexHandshake) throws Exception {
      socket.setReceiveBufferSize(BUFFER);
      socket.connect(hub, 5000);
      if (duplexHandshake) {
        OutputStream out = socket.getOutputStream();
        io.duplex.internal.FrameBuffer b = io.duplex.internal.FrameBuffer.forFrames(64, 4096);
        io.duplex.internal.Handshake.encode(new io.duplex.PeerInfo(NodeId.of("slow"),
            TransportConfig.DEFAULT_NETWORK_ID, 0, codec().name(), 16 << 20), b);
        ByteBuffer f = b.finishFrame(io.duplex.internal.Wire.HANDSHAKE);
        out.write(f.array(), 0, f.remaining());
        out.flush();
      }
      reader = new Thread(() -> {
        byte[] chunk = new byte[4096];
        try {
          InputStream in = socket.getInputStream();
          while (in.read(chunk) >= 0) {
            Thread.sleep(50);
          }
        } catch (Exception e) {
          // closed
        }
      }, "slow-peer");
      reader.setDaemon(true);
      reader.start();
    }

    @Override
    public void close() throws Exception {
      reader.interrupt();
      socket.close();
    }
  }
}
