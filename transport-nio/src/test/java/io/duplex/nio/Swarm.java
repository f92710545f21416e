package io.duplex.nio;

import io.duplex.PeerInfo;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Many hostile sockets driven by the test thread: each bound to its own address of 127.0.0.0/8
 * (so the per-address limit never applies), opened together, then trickled one byte at a time
 * or left idle, noting when the transport closes each. Bounded in count and time.
 */
final class Swarm implements AutoCloseable {
  private final List<SocketChannel> channels = new ArrayList<>();
  private final long[] closedAt;
  private final int[] sent;
  private final ByteBuffer scratch = ByteBuffer.allocate(16 * 1024);
  private long startNanos;

  /** The source address of attacker {@code i}: 127.1.x.y, distinct for i below 62,500. */
  static String address(int i) {
    return "127.1." + (i / 250) + "." + (1 + i % 250);
  }

  /** Opens {@code count} connections to {@code to}, each from its own address. */
  Swarm(InetSocketAddress to, int count) throws IOException {
    closedAt = new long[count];
    sent = new int[count];
    try {
      for (int i = 0; i < count; i++) {
        SocketChannel c = SocketChannel.open();
        channels.add(c);
        c.bind(new InetSocketAddress(address(i), 0));
        c.socket().connect(to, 5000);
      }
    } catch (IOException e) {
      close();
      throw e;
    }
    startNanos = System.nanoTime();
  }

  /** Completes a handshake as {@code info} on every connection (blocking, 10 s at most each). */
  Swarm handshake(PeerInfo info) throws IOException {
    byte[] frame = RawPeer.handshakeFrame(info);
    for (SocketChannel c : channels) {
      c.socket().setSoTimeout(10_000);
      c.write(ByteBuffer.wrap(frame));
      var in = new java.io.DataInputStream(c.socket().getInputStream());
      in.readFully(new byte[in.readInt()]); // the transport's handshake
    }
    startNanos = System.nanoTime();
    return this;
  }

  /**
   * Sends {@code bytes} on every open connection, one byte per connection every {@code
   * interval}, until each is closed by the transport or {@code limit} passes; returns how many
   * were closed. An empty {@code bytes} just watches idle connections.
   */
  int trickle(byte[] bytes, Duration interval, Duration limit) throws IOException {
    for (SocketChannel c : channels) {
      c.configureBlocking(false);
    }
    long deadline = System.nanoTime() + limit.toNanos();
    long next = System.nanoTime();
    while (closed() < channels.size() && System.nanoTime() - deadline < 0) {
      for (int i = 0; i < channels.size(); i++) {
        if (closedAt[i] != 0) {
          continue;
        }
        SocketChannel c = channels.get(i);
        try {
          if (peerClosed(c)) {
            closedAt[i] = System.nanoTime();
          } else if (sent[i] < bytes.length && c.write(ByteBuffer.wrap(bytes, sent[i], 1)) == 1) {
            sent[i]++;
          }
        } catch (IOException e) {
          closedAt[i] = System.nanoTime(); // reset by the transport
        }
      }
      next += interval.toNanos();
      LockSupport.parkNanos(next - System.nanoTime()); // the attack's pace, not a wait for it
    }
    return closed();
  }

  /** Reads what is there; true on end of stream. */
  private boolean peerClosed(SocketChannel c) throws IOException {
    for (int reads = 0; reads < 64; reads++) {
      scratch.clear();
      int n = c.read(scratch);
      if (n < 0) {
        return true;
      }
      if (n == 0) {
        return false;
      }
    }
    return false;
  }

  int closed() {
    int n = 0;
    for (long t : closedAt) {
      n += t != 0 ? 1 : 0;
    }
    return n;
  }

  /** How long after the start (open or handshake) each closed connection lasted, sorted, ms. */
  long[] lifetimesMillis() {
    return Arrays.stream(closedAt).filter(t -> t != 0)
        .map(t -> TimeUnit.NANOSECONDS.toMillis(t - startNanos)).sorted().toArray();
  }

  /** "n closed; lifetime min/p50/max" for the report. */
  String summary() {
    long[] l = lifetimesMillis();
    if (l.length == 0) {
      return "none closed";
    }
    return l.length + " closed; lifetime min " + l[0] + " ms, p50 " + l[l.length / 2]
        + " ms, max " + l[l.length - 1] + " ms";
  }

  @Override
  public void close() {
    for (SocketChannel c : channels) {
      try {
        c.close();
      } catch (IOException ignored) {
        // closing test sockets
      }
    }
  }
}
