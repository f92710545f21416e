package io.duplex.nio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.ConnectionListener;
import io.duplex.NodeId;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.TransportFactory;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.nio.NioTransport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The NIO transport's own settings on {@link NioTransport.Builder}: checked when set, applied to
 * every socket, dialed or accepted, and carried by {@link NioTransport.Builder#factory()}. In
 * this package to read the options back from the connections' sockets.
 */
@Timeout(30)
class NioTransportBuilderTest {
  private static final int SEND_BUFFER = 48 * 1024;
  private static final int RECEIVE_BUFFER = 40 * 1024;

  /** Records the connections it opens and the thread each {@code onOpen} ran on. */
  private static final class Opened implements ConnectionListener<byte[]> {
    final BlockingQueue<Connection<byte[]>> connections = new LinkedBlockingQueue<>();
    final BlockingQueue<String> threads = new LinkedBlockingQueue<>();
    final BlockingQueue<String> handlerThreads = new LinkedBlockingQueue<>();

    @Override
    public void onOpen(Connection<byte[]> c) {
      threads.add(Thread.currentThread().getName());
      c.onMessage((conn, m) -> handlerThreads.add(Thread.currentThread().getName()));
      connections.add(c);
    }

    static <E> E next(BlockingQueue<E> queue, String what) throws InterruptedException {
      E e = queue.poll(10, TimeUnit.SECONDS);
      assertNotNull(e, "no " + what + " within 10 s");
      return e;
    }
  }

  private static NioTransport.Builder<byte[]> builder(String name) {
    return NioTransport.builder(ByteArrayCodec.instance())
        .config(TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of(name)).build());
  }

  private static <V> V option(Connection<?> connection, SocketOption<V> option)
      throws IOException {
    return assertInstanceOf(NioConnection.class, connection).channel().getOption(option);
  }

  /** What the kernel reports for {@code option} once set to {@code value} (Linux doubles it). */
  private static int readBack(SocketOption<Integer> option, int value) throws IOException {
    try (SocketChannel probe = SocketChannel.open()) {
      probe.setOption(option, value);
      return probe.getOption(option);
    }
  }

  @Test
  void shouldRefuseNegativeBufferSizesAndLoopCountsNamingTheSettingAndTheValue() {
    NioTransport.Builder<byte[]> b = NioTransport.builder(ByteArrayCodec.instance());
    assertEquals("sendBufferSize < 0: -1",
        assertThrows(IllegalArgumentException.class, () -> b.sendBufferSize(-1)).getMessage());
    assertEquals("receiveBufferSize < 0: -2",
        assertThrows(IllegalArgumentException.class, () -> b.receiveBufferSize(-2))
            .getMessage());
    assertEquals("readLoops <= 0: 0",
        assertThrows(IllegalArgumentException.class, () -> b.readLoops(0)).getMessage());
    assertEquals("writeLoops <= 0: -1",
        assertThrows(IllegalArgumentException.class, () -> b.writeLoops(-1)).getMessage());
    b.sendBufferSize(0).receiveBufferSize(0); // 0: the operating system's default
  }

  @Test
  void shouldSetTheSocketOptionsOnDialedAndAcceptedSocketsAsTheFactoryWasMadeWith()
      throws Exception {
    NioTransport.Builder<byte[]> serverBuilder = builder("server").tcpNoDelay(false)
        .sendBufferSize(SEND_BUFFER).receiveBufferSize(RECEIVE_BUFFER);
    TransportFactory<byte[]> factory = serverBuilder.factory();
    serverBuilder.tcpNoDelay(true).sendBufferSize(0).receiveBufferSize(0); // not the factory's
    Opened serverOpened = new Opened();
    Opened clientOpened = new Opened();
    try (Transport<byte[]> server = factory.create(serverOpened);
        Transport<byte[]> client = builder("client").tcpNoDelay(false)
            .sendBufferSize(SEND_BUFFER).receiveBufferSize(RECEIVE_BUFFER)
            .listener(clientOpened).build();
        Transport<byte[]> plain = builder("plain").build()) {
      InetSocketAddress at = server.listen(new InetSocketAddress("127.0.0.1", 0));
      Connection<byte[]> dialed = client.connect(at).get(10, TimeUnit.SECONDS);
      Connection<byte[]> accepted = Opened.next(serverOpened.connections, "accepted connection");
      int sendBuffer = readBack(StandardSocketOptions.SO_SNDBUF, SEND_BUFFER);
      int receiveBuffer = readBack(StandardSocketOptions.SO_RCVBUF, RECEIVE_BUFFER);
      for (Connection<byte[]> c : List.of(dialed, accepted)) {
        String side = c == dialed ? "dialed" : "accepted";
        assertEquals(false, option(c, StandardSocketOptions.TCP_NODELAY), side);
        assertEquals(sendBuffer, option(c, StandardSocketOptions.SO_SNDBUF), side);
        assertEquals(receiveBuffer, option(c, StandardSocketOptions.SO_RCVBUF), side);
      }
      Connection<byte[]> byDefault = plain.connect(at).get(10, TimeUnit.SECONDS);
      assertEquals(true, option(byDefault, StandardSocketOptions.TCP_NODELAY),
          "TCP_NODELAY is on by default");
    }
  }

  @Test
  void shouldRunHandlersAndListenersOnTheReadLoopOnlyWhenTheFactorySaysSo() throws Exception {
    for (boolean onReadLoop : new boolean[] {true, false}) {
      Opened serverOpened = new Opened();
      TransportFactory<byte[]> factory = builder("server").handlersOnReadLoop(onReadLoop)
          .factory();
      try (Transport<byte[]> server = factory.create(serverOpened);
          Transport<byte[]> client = builder("client").build()) {
        InetSocketAddress at = server.listen(new InetSocketAddress("127.0.0.1", 0));
        Connection<byte[]> c = client.connect(at).get(10, TimeUnit.SECONDS);
        String listenerThread = Opened.next(serverOpened.threads, "onOpen");
        c.send(new byte[] {1}).get(10, TimeUnit.SECONDS);
        String handlerThread = Opened.next(serverOpened.handlerThreads, "message");
        String expected = onReadLoop ? "-read-" : "-handler-";
        assertTrue(listenerThread.contains(expected), "onOpen ran on " + listenerThread
            + " with handlersOnReadLoop " + onReadLoop);
        assertTrue(handlerThread.contains(expected), "the handler ran on " + handlerThread
            + " with handlersOnReadLoop " + onReadLoop);
        c.close().get(10, TimeUnit.SECONDS);
      }
    }
  }
}
