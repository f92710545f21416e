package io.duplex.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.duplex.Connection;
import io.duplex.ConnectionListener;
import io.duplex.NodeId;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.codec.json.JsonCodec;
import io.duplex.codec.message.ConsensusMessage;
import io.duplex.codec.message.Vote;
import io.duplex.codec.message.VoteType;
import io.duplex.nio.NioTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A plain Netty peer written from docs/PROTOCOL.md alone (no duplex class on its side of the
 * wire) talks to duplex both ways: a Netty client to a duplex server, a duplex client to a Netty
 * server, exchanging JSON messages after the handshake.
 */
@Timeout(30)
class ProtocolInteropTest {
  private static final int MAX = 16 * 1024 * 1024;
  private static final String VOTE_JSON = "{\"type\":\"vote\",\"data\":{\"height\":7,\"round\":0,"
      + "\"type\":\"PREVOTE\",\"blockHash\":\"ab\",\"voter\":\"netty\",\"timestampNanos\":1}}";

  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
      NioIoHandler.newFactory());

  @AfterEach
  void tearDown() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** The HANDSHAKE frame body as PROTOCOL.md lays it out (type byte first; the prepender adds the length). */
  private static ByteBuf handshake(String nodeId) {
    ByteBuf b = Unpooled.buffer();
    b.writeByte(0x01);                 // type HANDSHAKE
    b.writeInt(0x44504C58);            // magic "DPLX"
    b.writeShort(1);                   // version
    byte[] id = nodeId.getBytes(StandardCharsets.UTF_8);
    b.writeByte(id.length).writeBytes(id);
    byte[] network = "duplex".getBytes(StandardCharsets.UTF_8);
    b.writeByte(network.length).writeBytes(network);
    b.writeShort(0);                   // not listening
    byte[] codec = "json".getBytes(StandardCharsets.UTF_8);
    b.writeByte(codec.length).writeBytes(codec);
    b.writeInt(MAX);                   // max frame size
    return b;
  }

  private static ByteBuf message(String json) {
    ByteBuf b = Unpooled.buffer();
    b.writeByte(0x00);                 // type MESSAGE
    b.writeBytes(json.getBytes(StandardCharsets.UTF_8));
    return b;
  }

  /** Frames as they arrive: the type byte, then the body. */
  private static final class Frames extends SimpleChannelInboundHandler<ByteBuf> {
    final BlockingQueue<byte[]> received = new LinkedBlockingQueue<>();

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
      byte[] bytes = new byte[frame.readableBytes()];
      frame.readBytes(bytes);
      received.add(bytes);
    }

    byte[] next() throws InterruptedException {
      byte[] f = received.poll(10, TimeUnit.SECONDS);
      assertNotNull(f, "no frame within 10 s");
      return f;
    }
  }

  private static void pipeline(SocketChannel ch, Frames frames) {
    ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(MAX + 4, 0, 4, 0, 4),
        new LengthFieldPrepender(4), frames);
  }

  @Test
  void shouldLetAPlainNettyClientTalkToADuplexServer() throws Exception {
    try (Transport<ConsensusMessage> server = NioTransport.builder(JsonCodec.consensus())
        .config(TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of("duplex-server")).build())
        .listener(new ConnectionListener<>() {
          @Override
          public void onOpen(Connection<ConsensusMessage> c) {
            c.onMessage((conn, m) -> conn.send(m)); // echo
          }
        }).build()) {
      InetSocketAddress at = server.listen(new InetSocketAddress("127.0.0.1", 0));
      Frames frames = new Frames();
      Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
          .handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              pipeline(ch, frames);
            }
          }).connect(at).sync().channel();
      ch.writeAndFlush(handshake("netty-client"));
      byte[] theirs = frames.next();
      assertEquals(0x01, theirs[0], "the server's first frame is its HANDSHAKE");
      assertEquals(0x44504C58, java.nio.ByteBuffer.wrap(theirs, 1, 4).getInt(), "magic");

      ch.writeAndFlush(message(VOTE_JSON));
      byte[] echo = frames.next();
      assertEquals(0x00, echo[0]);
      assertEquals(new Vote(7, 0, VoteType.PREVOTE, "ab", "netty", 1),
          JsonCodec.consensus().decode(java.nio.ByteBuffer.wrap(echo, 1, echo.length - 1)));
      ch.close().sync();
    }
  }

  @Test
  void shouldLetADuplexClientTalkToAPlainNettyServer() throws Exception {
    Frames frames = new Frames();
    java.util.concurrent.atomic.AtomicReference<Channel> accepted =
        new java.util.concurrent.atomic.AtomicReference<>();
    Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            pipeline(ch, frames);
            ch.pipeline().addLast(new SimpleChannelInboundHandler<ByteBuf>(false) {
              @Override
              public void channelActive(ChannelHandlerContext ctx) {
                accepted.set(ctx.channel());
                ctx.writeAndFlush(handshake("netty-server")); // both sides speak first
              }

              @Override
              protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
              }
            });
          }
        }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    try (Transport<ConsensusMessage> client = NioTransport.builder(JsonCodec.consensus())
        .config(TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of("duplex-client")).build()).build()) {
      Connection<ConsensusMessage> c = client.connect((InetSocketAddress) server.localAddress())
          .get(10, TimeUnit.SECONDS);
      assertEquals(NodeId.of("netty-server"), c.peer().nodeId());
      assertEquals(0x01, frames.next()[0], "the duplex client's first frame is its HANDSHAKE");

      Vote vote = new Vote(8, 1, VoteType.PRECOMMIT, "cd", "duplex", 2);
      c.send(vote).get(10, TimeUnit.SECONDS);
      byte[] got = frames.next();
      assertEquals(0x00, got[0]);
      String json = new String(got, 1, got.length - 1, StandardCharsets.UTF_8);
      assertEquals("{\"type\":\"vote\",\"data\":{\"height\":8,\"round\":1,\"type\":\"PRECOMMIT\","
          + "\"blockHash\":\"cd\",\"voter\":\"duplex\",\"timestampNanos\":2}}", json);

      accepted.get().writeAndFlush(message(VOTE_JSON)); // and the Netty side sends one back
      assertEquals(new Vote(7, 0, VoteType.PREVOTE, "ab", "netty", 1),
          c.receive(Duration.ofSeconds(10)));
    } finally {
      server.close().sync();
    }
  }
}
