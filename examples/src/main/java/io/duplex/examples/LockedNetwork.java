package io.duplex.examples;

import io.duplex.codec.Codec;
import io.duplex.codec.Codecs;
import io.duplex.codec.json.JsonCodec;
import io.duplex.codec.message.ConsensusMessage;
import io.duplex.codec.message.Proposal;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The demo over the design duplex replaces (the {@code locked} baseline of the benchmarks): one
 * blocking socket per peer with ONE lock for both directions, a reader thread per peer that reads
 * under that lock, and a broadcast that writes to each peer in turn. A write to a peer whose
 * socket is full blocks, holding that peer's lock, and so does every thread behind it: a reader
 * answering a proposal with a vote, the next proposer. Same messages, codec, throttle and socket
 * buffer sizes as {@link SplitNetwork}. Demo-grade code: do not copy it.
 */
final class LockedNetwork implements DemoNetwork {
  private final Codec<ConsensusMessage> codec = JsonCodec.consensus();
  private final DemoStats stats;
  private final Throttle throttle;
  // Filled by the constructor before any thread that reads them starts; not changed after.
  private final List<ServerSocket> servers = new ArrayList<>();
  private final List<List<Link>> links = new ArrayList<>();
  private volatile boolean closed;

  /** One peer connection: a socket, its one lock, framed as a 4-byte length and the payload. */
  private static final class Link {
    private final Socket socket;
    private final ReentrantLock lock = new ReentrantLock();
    private final DataOutputStream out; // guarded by lock
    private final DataInputStream in; // guarded by lock

    Link(Socket socket) throws IOException {
      this.socket = socket;
      socket.setTcpNoDelay(true);
      out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 64 << 10));
      in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 64 << 10));
    }

    void send(byte[] payload) throws IOException {
      lock.lock();
      try {
        out.writeInt(payload.length);
        out.write(payload);
        out.flush();
      } finally {
        lock.unlock();
      }
    }

    /** A whole frame if its first bytes are here (read under the lock), else null at once. */
    byte[] receiveIfAvailable() throws IOException {
      lock.lock();
      try {
        if (in.available() == 0) {
          return null;
        }
        byte[] payload = new byte[in.readInt()];
        in.readFully(payload);
        return payload;
      } finally {
        lock.unlock();
      }
    }
  }

  /**
   * Starts the nodes, each dialling those started before it, and waits up to 10 s for the mesh.
   *
   * @throws IOException if a node cannot listen or connect
   */
  LockedNetwork(DemoStats stats, int basePort, long slowBytesPerSecond) throws IOException {
    this.stats = stats;
    this.throttle = new Throttle(slowBytesPerSecond);
    int n = stats.nodes();
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket server = new ServerSocket();
        if (stats.isSlow(i)) {
          server.setReceiveBufferSize(64 << 10); // inherited by accepted sockets
        }
        server.bind(new InetSocketAddress("127.0.0.1", basePort == 0 ? 0 : basePort + i));
        servers.add(server);
        links.add(new CopyOnWriteArrayList<>());
      }
      for (int i = 0; i < n; i++) { // started once servers and links are complete
        int node = i;
        daemon("locked-acceptor-" + i, () -> accept(node, servers.get(node)));
      }
      for (int i = 1; i < n; i++) {
        for (int j = 0; j < i; j++) {
          Socket s = new Socket();
          s.setSendBufferSize(SplitNetwork.SEND_BUFFER);
          if (stats.isSlow(i)) {
            s.setReceiveBufferSize(64 << 10);
          }
          s.connect(servers.get(j).getLocalSocketAddress(), 5000);
          new DataOutputStream(s.getOutputStream()).writeInt(i); // who is calling
          start(i, new Link(s));
        }
      }
      awaitMesh(n);
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  private void accept(int node, ServerSocket server) {
    try {
      while (!closed) {
        Socket s = server.accept();
        s.setSendBufferSize(SplitNetwork.SEND_BUFFER);
        new DataInputStream(s.getInputStream()).readInt(); // the caller's index; unused
        start(node, new Link(s));
      }
    } catch (IOException e) {
      // closed
    }
  }

  private void start(int node, Link link) {
    links.get(node).add(link);
    daemon("locked-reader-" + node, () -> {
      try {
        while (!closed) {
          byte[] frame = link.receiveIfAvailable();
          if (frame == null) {
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
            continue;
          }
          DemoNetwork.deliver(stats, throttle, node, Codecs.decode(codec, frame),
              vote -> broadcast(node, Codecs.encode(codec, vote)));
        }
      } catch (IOException e) {
        // closed
      }
    });
  }

  private void broadcast(int node, byte[] frame) {
    for (Link link : links.get(node)) {
      try {
        link.send(frame); // blocks while this peer's socket is full: the rest wait
      } catch (IOException e) {
        // that peer is gone (the run is ending)
      }
    }
  }

  private void awaitMesh(int n) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    for (int i = 0; i < n; i++) {
      while (links.get(i).size() < n - 1) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(DemoNetwork.name(i) + " has " + links.get(i).size()
              + " of " + (n - 1) + " peers after 10 s");
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
      }
    }
  }

  private static void daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void propose(int node, Proposal proposal) {
    broadcast(node, Codecs.encode(codec, proposal));
  }

  @Override
  public long pendingTowards(int node) {
    return -1; // nothing is queued: a sender blocks in write instead
  }

  @Override
  public void close() {
    closed = true;
    for (ServerSocket server : servers) {
      closeQuietly(server);
    }
    for (List<Link> node : links) {
      for (Link link : node) {
        closeQuietly(link.socket);
      }
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // closing at the end of the run: nothing left to do with it
    }
  }
}
