package io.duplex.nio;

import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.ConnectionListener;
import io.duplex.NodeId;
import io.duplex.Transport;
import io.duplex.TransportConfig;
import io.duplex.codec.ByteArrayCodec;
import io.duplex.peer.MembershipListener;
import io.duplex.peer.PeerNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The other host of {@link NetnsTest}: a small program that {@link Netns#start} runs in a child
 * JVM inside a network namespace. Usage: {@code NetnsPeer ROLE BIND_ADDRESS [key=value...]}.
 * Roles:
 * <ul>
 *   <li>{@code echo}: a duplex transport (byte-array codec) that sends every message back on its
 *       connection;
 *   <li>{@code sink}: a transport that counts the messages it receives, each starting with its
 *       4-byte sequence number, and the ones that arrive out of order;
 *   <li>{@code node}: a {@link PeerNode} (node id from {@code name=}, default "b") that echoes
 *       every message to the peer that sent it and prints its membership events.
 * </ul>
 * Settings (milliseconds unless said): {@code pingInterval pongTimeout sendTimeout
 * handshakeTimeout closeTimeout}, {@code reconnectMin reconnectMax} (node), {@code name}.
 *
 * <p>It listens on {@code BIND_ADDRESS}, port 0, and prints {@code READY <port>}. Then it prints
 * one line per event ({@code CLOSED <cause chain>} for each closed connection, {@code JOINED
 * <node>} and {@code LEFT <node> <cause chain>} for a node) and answers {@code stats} on stdin
 * with {@code STATS key=value ...}. It exits when stdin ends: the test closed it, or died.
 */
public final class NetnsPeer {
  private static final AtomicLong received = new AtomicLong();
  private static final AtomicLong receivedBytes = new AtomicLong();
  private static final AtomicLong outOfOrder = new AtomicLong();
  private static final AtomicLong sendFailures = new AtomicLong();
  private static final AtomicLong closes = new AtomicLong();
  private static volatile long lastSequence = -1;

  private NetnsPeer() {}

  public static void main(String[] args) throws Exception {
    String role = args[0];
    InetAddress bind = InetAddress.getByName(args[1]);
    Map<String, String> settings = new HashMap<>();
    for (int i = 2; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      settings.put(kv[0], kv[1]);
    }
    String name = settings.getOrDefault("name", role.equals("node") ? "b" : role);
    TransportConfig.Builder b = TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of(name))
        .maxInboundConnectionsPerAddress(64);
    millis(settings, "pingInterval").ifPresent(b::pingInterval);
    millis(settings, "pongTimeout").ifPresent(b::pongTimeout);
    millis(settings, "sendTimeout").ifPresent(b::sendTimeout);
    millis(settings, "handshakeTimeout").ifPresent(b::handshakeTimeout);
    millis(settings, "closeTimeout").ifPresent(b::closeTimeout);
    InetSocketAddress at = new InetSocketAddress(bind, 0);

    AutoCloseable running;
    InetSocketAddress listening;
    if (role.equals("node")) {
      PeerNode<byte[]> node = PeerNode.builder(NioTransport.builder(ByteArrayCodec.instance())
              .config(b.build()).factory())
          .listen(at)
          .reconnect(millis(settings, "reconnectMin").orElse(Duration.ofMillis(20)),
              millis(settings, "reconnectMax").orElse(Duration.ofMillis(200)))
          .onMessage((peer, m) -> peer.send(m).whenComplete((v, e) -> {
            if (e != null) {
              sendFailures.incrementAndGet();
            }
          }))
          .membershipListener(new MembershipListener<>() {
            @Override
            public void joined(Connection<byte[]> peer) {
              print("JOINED " + peer.peer().nodeId());
            }

            @Override
            public void left(Connection<byte[]> peer, ConnectionClosedException cause) {
              print("LEFT " + peer.peer().nodeId() + " " + chain(cause));
            }
          })
          .build();
      running = node;
      listening = node.listenAddress().orElseThrow();
    } else {
      boolean echo = role.equals("echo");
      if (!echo && !role.equals("sink")) {
        throw new IllegalArgumentException("unknown role " + role);
      }
      Transport<byte[]> transport = NioTransport.builder(ByteArrayCodec.instance())
          .config(b.build())
          .listener(new ConnectionListener<>() {
            @Override
            public void onOpen(Connection<byte[]> c) {
              c.onMessage((conn, m) -> {
                received.incrementAndGet();
                receivedBytes.addAndGet(m.length);
                if (echo) {
                  conn.send(m).whenComplete((v, e) -> {
                    if (e != null) {
                      sendFailures.incrementAndGet();
                    }
                  });
                } else {
                  long seq = ByteBuffer.wrap(m).getInt();
                  if (seq <= lastSequence) {
                    outOfOrder.incrementAndGet();
                  }
                  lastSequence = seq;
                }
              });
              print("OPENED " + c.peer().nodeId());
            }

            @Override
            public void onClose(Connection<byte[]> c, ConnectionClosedException cause) {
              closes.incrementAndGet();
              print("CLOSED " + chain(cause));
            }
          })
          .build();
      running = transport;
      listening = transport.listen(at);
    }
    print("READY " + listening.getPort());

    BufferedReader in = new BufferedReader(new InputStreamReader(System.in,
        StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.equals("stats")) {
        print("STATS received=" + received.get() + " bytes=" + receivedBytes.get()
            + " outOfOrder=" + outOfOrder.get() + " sendFailures=" + sendFailures.get()
            + " closes=" + closes.get());
      } else if (line.equals("exit")) {
        break;
      }
    }
    running.close();
    System.exit(0);
  }

  private static java.util.Optional<Duration> millis(Map<String, String> settings, String key) {
    return java.util.Optional.ofNullable(settings.get(key))
        .map(v -> Duration.ofMillis(Long.parseLong(v)));
  }

  /** The simple class names of {@code t} and its causes: "ConnectionClosedException<-...". */
  static String chain(Throwable t) {
    if (t == null) {
      return "orderly";
    }
    StringBuilder s = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      s.append(s.length() == 0 ? "" : "<-").append(c.getClass().getSimpleName());
    }
    return s.toString();
  }

  private static synchronized void print(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
