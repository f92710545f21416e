package io.duplex.benchmarks.baseline;

import io.duplex.benchmarks.Streams;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
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
import java.util.ArrayList;
import java.util.List;

/**
 * Netty 4.2 (NIO transport) streaming the same frames the way its documentation recommends: a
 * 4-byte length prepended by {@code LengthFieldPrepender}, decoded by {@code
 * LengthFieldBasedFrameDecoder(max, 0, 4, 0, 4)}, pooled direct buffers, and a burst written
 * inside the event loop with void promises and one flush. One event loop thread per side.
 *
 * <p>Given a {@link NettyTls} (the {@code netty-tls} baseline), the same with an {@code
 * SslHandler} first in both pipelines; each connection's handshake is done before the
 * constructor returns.
 */
public final class NettyStreams implements Streams {
  private final EventLoopGroup serverGroup =
      new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final EventLoopGroup clientGroup =
      new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final List<Channel> channels = new ArrayList<>();
  private final Channel serverChannel;
  // Written only by the server's single event loop thread.
  private volatile long received;

  /** Plain TCP over {@code count} connections. */
  public NettyStreams(int count) throws Exception {
    this(count, null);
  }

  /** Over {@code count} connections, secured by {@code tls} when it is not null. */
  public NettyStreams(int count, NettyTls tls) throws Exception {
    serverChannel = new ServerBootstrap().group(serverGroup)
        .channel(NioServerSocketChannel.class)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            if (tls != null) {
              ch.pipeline().addLast(tls.serverHandler(ch.alloc()));
            }
            ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(16 << 20, 0, 4, 0, 4),
                new ChannelInboundHandlerAdapter() {
                  @Override
                  @SuppressWarnings("NonAtomicVolatileUpdate")
                  public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ((ByteBuf) msg).release();
                    received++;
                  }
                });
          }
        })
        .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    InetSocketAddress at = (InetSocketAddress) serverChannel.localAddress();
    Bootstrap bootstrap = new Bootstrap().group(clientGroup).channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            if (tls != null) {
              ch.pipeline().addLast(tls.clientHandler(ch.alloc()));
            }
            ch.pipeline().addLast(new LengthFieldPrepender(4));
          }
        });
    for (int i = 0; i < count; i++) {
      Channel ch = bootstrap.connect(at).sync().channel();
      if (tls != null) {
        NettyTls.handshake(ch).sync();
      }
      channels.add(ch);
    }
  }

  @Override
  public void sendBatch(int connection, byte[] payload, int batch) {
    Channel ch = channels.get(connection);
    ch.eventLoop().execute(() -> {
      for (int i = 0; i < batch; i++) {
        ByteBuf buf = ch.alloc().directBuffer(payload.length);
        buf.writeBytes(payload);
        ch.write(buf, ch.voidPromise());
      }
      ch.flush();
    });
  }

  @Override
  public long received() {
    return received;
  }

  @Override
  public void close() {
    for (Channel ch : channels) {
      ch.close().syncUninterruptibly();
    }
    serverChannel.close().syncUninterruptibly();
    clientGroup.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS)
        .syncUninterruptibly();
    serverGroup.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS)
        .syncUninterruptibly();
  }
}
