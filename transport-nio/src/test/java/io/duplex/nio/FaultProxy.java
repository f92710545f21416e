package io.duplex.nio;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy for tests that puts faults on the wire between two real peers, on 127.0.0.1 only.
 * It listens on an ephemeral loopback port ({@link #address()}); for every connection it accepts
 * (the <em>client</em> side) it opens one to the target (the <em>server</em> side) and forwards
 * bytes both ways, one blocking pump thread per direction. Unfaulted, it is transparent: bytes
 * pass unchanged and in order, an end of stream (FIN) from one side is passed on as a FIN to the
 * other (half-close), and a reset (RST) or I/O error on either side resets both.
 *
 * <p>Faults are set per direction ({@link Way}), on the whole proxy ({@link #faults(Way)}: every
 * connection through it, present and future) or on one connection ({@link Link#faults(Way)});
 * both apply together. They can be changed at any moment from any thread, and a pump reads them
 * before every chunk it reads and every slice it writes. What each does on the wire:
 * <ul>
 *   <li>{@link Faults#delay delay}: each chunk read (up to 16 KiB, whatever one {@code read}
 *       returned) is held for the delay before it is written on: latency, and for a busy stream
 *       a throughput of at most 16 KiB per delay. Order and content are kept.</li>
 *   <li>{@link Faults#throttle throttle}: bytes are written in slices of 1/50 s worth and paced
 *       to the given rate. Order and content are kept.</li>
 *   <li>{@link Faults#cut cut}: a silent partition. The pump stops reading and writing; nothing
 *       is sent on the wire, no FIN, no RST, so both peers see an open but silent connection
 *       and, once the kernel buffers fill (the proxy's sockets have small buffers, see {@link
 *       #FaultProxy(InetSocketAddress, int)}), a sender's socket stops taking bytes. At most one
 *       chunk is held in the proxy. {@link Faults#heal} resumes forwarding exactly where it
 *       stopped, as TCP does when a partition heals in time: nothing lost, nothing reordered.</li>
 *   <li>{@link Faults#truncateAfter truncate}: forwards exactly {@code n} more bytes in this
 *       direction, then sends a FIN to the receiver (a clean half-close, possibly in the middle
 *       of a frame; it goes out when the sender sends past the budget, so a sender that stops
 *       exactly at it sees nothing) and from then on reads and discards whatever the sender
 *       sends that way. The other direction keeps working until one of the peers closes. It
 *       does not heal: the stream is broken. Set on the whole proxy, the byte budget is shared
 *       by every connection.</li>
 *   <li>{@link Faults#flipAt flip}: flips the lowest bit of the byte at a given offset of the
 *       direction's stream (counted from the link's first byte that way), once, as an attacker
 *       on the path (or a memory error a checksum missed) would. Nothing else changes.</li>
 *   <li>{@link Link#reset reset}: closes both sockets of a connection with {@code SO_LINGER 0},
 *       so both peers get a TCP RST at once (and lose whatever was in flight). {@link
 *       #resetAll()} resets every connection, and {@link #refuse(boolean)} resets new connections
 *       as soon as they are accepted (before any byte), like a peer that is down.</li>
 * </ul>
 *
 * <p>Threads: one acceptor thread and two pump threads per connection, all daemon threads,
 * started by the proxy. {@link #close()} closes every socket and joins every thread, failing if
 * one has not ended within 5 s. Fields shared between the test thread and the pumps are
 * volatile, atomic or in concurrent collections; a pump waits for a cut to heal on {@code
 * signal}, which every change of a fault notifies.
 */
final class FaultProxy implements AutoCloseable {
  /** Default socket buffer size of the proxy's sockets: 64 KiB, so a cut fills up quickly. */
  static final int DEFAULT_BUFFER_SIZE = 64 * 1024;
  private static final int CHUNK = 16 * 1024;
  private static final AtomicInteger IDS = new AtomicInteger();

  /** A direction of traffic: from the side that dialed the proxy to the target, or back. */
  enum Way {
    /** Bytes from the dialing peer (client) to the target (server). */
    TO_SERVER,
    /** Bytes from the target (server) back to the dialing peer (client). */
    TO_CLIENT
  }

  /**
   * The faults of one direction, on the whole proxy or on one connection. Thread-safe; every
   * setter returns {@code this} and takes effect at the next chunk or slice.
   */
  final class Faults {
    private volatile long delayNanos;
    private volatile long bytesPerSecond; // 0: unlimited
    private volatile boolean cut;
    private final AtomicLong truncateBudget = new AtomicLong(-1); // -1: no truncation
    private final AtomicLong flipAt = new AtomicLong(-1); // -1: none

    /** Holds every chunk for {@code delay} before forwarding it; zero for none. */
    Faults delay(Duration delay) {
      delayNanos = delay.toNanos();
      return changed();
    }

    /** Forwards at most {@code bytesPerSecond}; zero for unlimited. */
    Faults throttle(long bytesPerSecond) {
      if (bytesPerSecond < 0) {
        throw new IllegalArgumentException("bytesPerSecond < 0: " + bytesPerSecond);
      }
      this.bytesPerSecond = bytesPerSecond;
      return changed();
    }

    /** Stops forwarding silently (a black hole that keeps the connection open) until healed. */
    Faults cut() {
      cut = true;
      return changed();
    }

    /** Forwards exactly {@code bytes} more bytes, then sends a FIN and discards the rest. */
    Faults truncateAfter(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("bytes < 0: " + bytes);
      }
      truncateBudget.set(bytes);
      return changed();
    }

    /**
     * Flips the lowest bit of the byte at {@code offset} of this direction's stream of a link
     * (its first byte forwarded that way is offset 0), once; on the whole proxy, of the first
     * link to get there.
     */
    Faults flipAt(long offset) {
      if (offset < 0) {
        throw new IllegalArgumentException("offset < 0: " + offset);
      }
      flipAt.set(offset);
      return changed();
    }

    /** Flips the byte due in {@code chunk[off, off + len)}, which is at {@code start}. */
    private void flip(byte[] chunk, int off, int len, long start) {
      long at = flipAt.get();
      if (at >= start && at < start + len && flipAt.compareAndSet(at, -1)) {
        chunk[off + (int) (at - start)] ^= 1;
      }
    }

    /** Clears every fault of this direction; a cut resumes. A truncation already done stays. */
    Faults heal() {
      delayNanos = 0;
      bytesPerSecond = 0;
      truncateBudget.set(-1);
      flipAt.set(-1);
      cut = false;
      return changed();
    }

    private Faults changed() {
      synchronized (signal) {
        signal.notifyAll();
      }
      return this;
    }

    /** Takes up to {@code wanted} bytes from the truncation budget. */
    private int take(int wanted) {
      for (;;) {
        long budget = truncateBudget.get();
        if (budget < 0) {
          return wanted;
        }
        int n = (int) Math.min(wanted, budget);
        if (truncateBudget.compareAndSet(budget, budget - n)) {
          return n;
        }
      }
    }

    private boolean exhausted() {
      return truncateBudget.get() == 0;
    }
  }

  /** One accepted connection, its connection to the target, and its two pumps. */
  final class Link {
    private final Socket client;
    private final Socket server;
    private final Faults toServer = new Faults();
    private final Faults toClient = new Faults();
    private final AtomicLong forwardedToServer = new AtomicLong();
    private final AtomicLong forwardedToClient = new AtomicLong();
    private final AtomicInteger directionsEnded = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();

    private Link(Socket client, Socket server) {
      this.client = client;
      this.server = server;
    }

    /** This connection's own faults for {@code way} (the proxy's apply as well). */
    Faults faults(Way way) {
      return way == Way.TO_SERVER ? toServer : toClient;
    }

    /** Bytes forwarded so far in {@code way} (counted as each slice is handed to the socket). */
    long forwarded(Way way) {
      return (way == Way.TO_SERVER ? forwardedToServer : forwardedToClient).get();
    }

    /** Whether both sockets are closed (by a reset, an error, both FINs or the proxy). */
    boolean isClosed() {
      return closed.get();
    }

    /** Closes both sockets with {@code SO_LINGER 0}: both peers get a TCP RST. */
    void reset() {
      close(true);
    }

    private void close(boolean reset) {
      if (!closed.compareAndSet(false, true)) {
        return;
      }
      for (Socket s : new Socket[] {client, server}) {
        try {
          if (reset) {
            s.setSoLinger(true, 0);
          }
        } catch (IOException e) {
          // already closed: nothing to reset
        }
        try {
          s.close();
        } catch (IOException e) {
          // closing anyway
        }
      }
      synchronized (signal) {
        signal.notifyAll(); // a pump waiting on a cut sees the close
      }
    }

    private void start(int id) {
      String prefix = name + "-link-" + id;
      thread(prefix + "-to-server", () -> pump(client, server, Way.TO_SERVER));
      thread(prefix + "-to-client", () -> pump(server, client, Way.TO_CLIENT));
    }

    /** Forwards {@code from} to {@code to} until an end of stream, an error or the close. */
    private void pump(Socket from, Socket to, Way way) {
      Faults all = FaultProxy.this.faults(way);
      Faults own = faults(way);
      AtomicLong forwarded = way == Way.TO_SERVER ? forwardedToServer : forwardedToClient;
      byte[] chunk = new byte[CHUNK];
      boolean discarding = false;
      try {
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        while (discarding || awaitNotCut(all, own)) {
          int n = in.read(chunk);
          if (n < 0) {
            if (!discarding) {
              to.shutdownOutput(); // pass the FIN on
            }
            if (directionsEnded.incrementAndGet() == 2) {
              close(false);
            }
            return;
          }
          if (!discarding && !forward(chunk, n, out, all, own, forwarded)) {
            if (closed.get() || proxyClosed) {
              return;
            }
            to.shutdownOutput(); // truncated: a clean FIN after exactly the budgeted bytes
            discarding = true;
          }
        }
      } catch (IOException e) {
        close(true); // a reset or an error on either socket: pass it on as a reset of both
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // the proxy is closing
      }
    }

    /**
     * Writes {@code chunk[0, n)} through the faults. Returns false if the truncation budget ran
     * out (what it allowed has been written) or the link closed while waiting out a cut.
     */
    private boolean forward(byte[] chunk, int n, OutputStream out, Faults all, Faults own,
        AtomicLong forwarded) throws IOException, InterruptedException {
      long delay = all.delayNanos + own.delayNanos;
      if (delay > 0) {
        TimeUnit.NANOSECONDS.sleep(delay); // the fault itself: latency
      }
      int off = 0;
      while (off < n) {
        if (!awaitNotCut(all, own)) {
          return false;
        }
        long rate = minPositive(all.bytesPerSecond, own.bytesPerSecond);
        int len = n - off;
        if (rate > 0) {
          len = (int) Math.min(len, Math.max(1, rate / 50));
        }
        len = own.take(all.take(len)); // both budgets are meant to be used one at a time
        if (len > 0) {
          // Counted before the write: a peer that has read a byte finds it counted.
          long start = forwarded.getAndAdd(len);
          all.flip(chunk, off, len, start);
          own.flip(chunk, off, len, start);
          out.write(chunk, off, len);
          out.flush();
          off += len;
        }
        if (all.exhausted() || own.exhausted()) {
          return false;
        }
        if (rate > 0) {
          TimeUnit.NANOSECONDS.sleep(len * 1_000_000_000L / rate); // the fault itself: pacing
        }
      }
      return true;
    }

    /** Waits while either fault set cuts this direction; false if the link or proxy closed. */
    private boolean awaitNotCut(Faults all, Faults own) throws InterruptedException {
      synchronized (signal) {
        while ((all.cut || own.cut) && !closed.get() && !proxyClosed) {
          signal.wait(); // notified by every fault change and every close
        }
      }
      return !closed.get() && !proxyClosed;
    }
  }

  private final InetSocketAddress target;
  private final int bufferSize;
  private final String name = "fault-proxy-" + IDS.incrementAndGet();
  private final ServerSocket server;
  private final Faults toServer = new Faults();
  private final Faults toClient = new Faults();
  private final Object signal = new Object();
  private final List<Link> links = new CopyOnWriteArrayList<>();
  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  private volatile boolean refusing;
  private volatile boolean proxyClosed;

  /** A proxy to {@code target} (a 127.0.0.1 address) with 64 KiB socket buffers. */
  FaultProxy(InetSocketAddress target) throws IOException {
    this(target, DEFAULT_BUFFER_SIZE);
  }

  /**
   * A proxy to {@code target} (a 127.0.0.1 address) whose sockets, both sides, ask for {@code
   * bufferSize} bytes of send and receive buffer (0: the system's defaults).
   */
  FaultProxy(InetSocketAddress target, int bufferSize) throws IOException {
    if (!target.getAddress().isLoopbackAddress()) {
      throw new IllegalArgumentException("the fault proxy forwards to loopback only: " + target);
    }
    this.target = target;
    this.bufferSize = bufferSize;
    server = new ServerSocket();
    if (bufferSize > 0) {
      server.setReceiveBufferSize(bufferSize); // inherited by accepted sockets
    }
    server.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 64);
    thread(name + "-accept", this::acceptLoop);
  }

  /** The address to dial instead of the target. */
  InetSocketAddress address() {
    return (InetSocketAddress) server.getLocalSocketAddress();
  }

  /** The faults of {@code way} on every connection through the proxy, present and future. */
  Faults faults(Way way) {
    return way == Way.TO_SERVER ? toServer : toClient;
  }

  /** Every connection accepted so far (also the closed ones), in the order accepted. */
  List<Link> links() {
    return List.copyOf(links);
  }

  /** The connections not yet closed. */
  List<Link> openLinks() {
    List<Link> open = new ArrayList<>();
    for (Link l : links) {
      if (!l.isClosed()) {
        open.add(l);
      }
    }
    return open;
  }

  /** Resets every connection: both peers of each get a TCP RST. */
  void resetAll() {
    for (Link l : links) {
      l.reset();
    }
  }

  /** While {@code refuse} holds, every new connection is reset as soon as it is accepted. */
  void refuse(boolean refuse) {
    refusing = refuse;
  }

  /** Clears every proxy-wide fault, both ways, and stops refusing. Links' own faults stay. */
  void healAll() {
    refusing = false;
    toServer.heal();
    toClient.heal();
  }

  private void acceptLoop() {
    while (!proxyClosed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      try {
        if (refusing) {
          client.setSoLinger(true, 0);
          client.close();
          continue;
        }
        Socket upstream = new Socket();
        configure(client);
        configure(upstream);
        upstream.connect(target, 5000);
        Link link = new Link(client, upstream);
        links.add(link);
        if (proxyClosed) {
          link.reset();
          return;
        }
        link.start(links.size());
      } catch (IOException e) {
        try {
          client.setSoLinger(true, 0);
          client.close(); // the target is down: the client sees a reset
        } catch (IOException ignored) {
          // closing anyway
        }
      }
    }
  }

  private void configure(Socket s) throws IOException {
    s.setTcpNoDelay(true);
    if (bufferSize > 0) {
      s.setReceiveBufferSize(bufferSize);
      s.setSendBufferSize(bufferSize);
    }
  }

  private void thread(String threadName, Runnable body) {
    Thread t = new Thread(body, threadName);
    t.setDaemon(true);
    threads.add(t);
    t.start();
  }

  private static long minPositive(long a, long b) {
    if (a <= 0) {
      return b;
    }
    return b <= 0 ? a : Math.min(a, b);
  }

  /**
   * Closes the listening socket and every connection (a reset, so nothing lingers), and joins
   * every thread the proxy started.
   *
   * @throws IllegalStateException if a thread has not ended within 5 s
   */
  @Override
  public void close() throws IOException {
    proxyClosed = true;
    server.close();
    resetAll();
    synchronized (signal) {
      signal.notifyAll();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    List<String> alive = new ArrayList<>();
    // By index, not a snapshot: the acceptor (index 0) may start pumps until it is joined.
    for (int i = 0; i < threads.size(); i++) {
      Thread t = threads.get(i);
      t.interrupt(); // ends a delay or throttle sleep
      try {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      if (t.isAlive()) {
        alive.add(t.getName());
      }
    }
    if (!alive.isEmpty()) {
      throw new IllegalStateException("fault proxy threads still running after 5 s: " + alive);
    }
  }
}
