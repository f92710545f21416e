package io.duplex.benchmarks.baseline;

import io.duplex.benchmarks.Echo;
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
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Netty ping-pong with the same framing: the server echoes in its handler ({@code
 * writeAndFlush}); the client writes and flushes from the caller's thread and takes the echo
 * from a queue its handler fills, as a blocking client of Netty would.
 *
 * <p>Given a {@link NettyTls} (the {@code netty-tls} baseline), the same with an {@code
 * SslHandler} first in both pipelines; the handshake is done before the constructor returns.
 */
public final class NettyEcho implements Echo {
  private final EventLoopGroup serverGroup =
      new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final EventLoopGroup clientGroup =
      new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final BlockingQueue<Object> echoes = new ArrayBlockingQueue<>(16);
  private final Channel serverChannel;
  private final Channel channel;

  /** Plain TCP. */
  public NettyEcho() throws Exception {
    this(null);
  }

  /** Secured by {@code tls} when it is not null. */
  public NettyEcho(NettyTls tls) throws Exception {
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
                new LengthFieldPrepender(4),
                new ChannelInboundHandlerAdapter() {
                  @Override
                  public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ctx.writeAndFlush(msg, ctx.voidPromise());
                  }
                });
          }
        })
        .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    channel = new Bootstrap().group(clientGroup).channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            if (tls != null) {
              ch.pipeline().addLast(tls.clientHandler(ch.alloc()));
            }
            ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(16 << 20, 0, 4, 0, 4),
                new LengthFieldPrepender(4),
                new ChannelInboundHandlerAdapter() {
                  @Override
                  public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ((ByteBuf) msg).release();
                    echoes.add(Boolean.TRUE);
                  }
                });
          }
        })
        .connect(serverChannel.localAddress()).sync().channel();
    if (tls != null) {
      NettyTls.handshake(channel).sync();
    }
  }

  @Override
  public void roundTrip(byte[] payload) throws Exception {
    ByteBuf buf = channel.alloc().directBuffer(payload.length);
    buf.writeBytes(payload);
    channel.writeAndFlush(buf, channel.voidPromise());
    if (echoes.poll(10, TimeUnit.SECONDS) == null) {
      throw new IllegalStateException("no echo within 10 s");
    }
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    serverChannel.close().syncUninterruptibly();
    clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
