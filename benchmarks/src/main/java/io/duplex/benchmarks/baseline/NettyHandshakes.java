package io.duplex.benchmarks.baseline;

import io.duplex.benchmarks.Handshakes;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
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
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * New {@code netty-tls} connections one after the other: the pipelines of {@link NettyStreams}
 * with {@link NettyTls}, each connection a full mutually authenticated TLS 1.3 handshake. The
 * server, one event loop thread, reports each handshake it completes on a queue; the client
 * (one event loop thread) waits for its own handshake and for the server's, then closes.
 */
public final class NettyHandshakes implements Handshakes {
  private static final Object DONE = new Object();

  private final EventLoopGroup serverGroup =
      new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final EventLoopGroup clientGroup =
      new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  /** {@link #DONE} or the cause of a failed handshake, one per accepted connection. */
  private final BlockingQueue<Object> serverHandshakes = new LinkedBlockingQueue<>();
  private final Channel serverChannel;
  private final Bootstrap bootstrap;
  private final InetSocketAddress at;

  public NettyHandshakes() throws Exception {
    NettyTls tls = new NettyTls();
    serverChannel = new ServerBootstrap().group(serverGroup)
        .channel(NioServerSocketChannel.class)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            SslHandler ssl = tls.serverHandler(ch.alloc());
            ssl.handshakeFuture().addListener(f ->
                serverHandshakes.add(f.isSuccess() ? DONE : f.cause()));
            ch.pipeline().addLast(ssl, new QuietClose());
          }
        })
        .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    at = (InetSocketAddress) serverChannel.localAddress();
    bootstrap = new Bootstrap().group(clientGroup).channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(tls.clientHandler(ch.alloc()), new QuietClose());
          }
        });
  }

  @Override
  public void connectAndClose() throws Exception {
    Channel ch = bootstrap.connect(at).sync().channel();
    try {
      NettyTls.handshake(ch).sync();
      Object server = serverHandshakes.poll(10, TimeUnit.SECONDS);
      if (server == null) {
        throw new IllegalStateException("the server completed no handshake within 10 s");
      }
      if (server instanceof Throwable cause) {
        throw new IllegalStateException("the server's handshake failed", cause);
      }
    } finally {
      ch.close().sync();
    }
  }

  @Override
  public void close() {
    serverChannel.close().syncUninterruptibly();
    clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /**
   * Closes the channel on an I/O error instead of logging it: a peer that closes right after
   * its handshake may reset the connection while the other side still writes (the server's
   * TLS 1.3 session ticket), which is no failure here. A failed handshake is reported through
   * the handshake futures.
   */
  private static final class QuietClose extends ChannelInboundHandlerAdapter {
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
