package io.duplex.benchmarks;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * The virtual-threads baseline (JDK 21+): what a Java engineer writes today instead of a selector
 * loop. Each connection is a blocking {@code java.net.Socket} with one virtual thread that reads
 * frames and hands them to a handler, and one virtual thread that takes frames from a queue and
 * writes them, flushing when the queue runs dry. Directions never wait for each other; the queue
 * is bounded (a blocking {@code put} is the backpressure) where a workload needs it, and
 * unbounded in broadcast, as a fire-and-forget sender would write it. Same framing as the other
 * baselines: a 4-byte big-endian length, then the payload. Test-grade code for the benchmarks.
 *
 * <p>Compiled only on JDK 21 or newer (the {@code jdk21} profile of this module); the rest of
 * the benchmarks reach it by name through {@link Baselines}.
 */
final class VirtualThreads {
  private VirtualThreads() {}

  /** One socket, a reader and a writer virtual thread. */
  static final class VtConnection implements AutoCloseable {
    private static final byte[] STOP = new byte[0];

    private final Socket socket;
    private final BlockingQueue<byte[]> outbound;
    // Added by senders, subtracted by the writer thread once written.
    private final AtomicLong queuedBytes = new AtomicLong();
    private final Thread writer;
    private final Thread reader;

    /**
     * Starts the two threads. {@code capacity} bounds the queue in frames (a full queue blocks
     * the sender); {@code Integer.MAX_VALUE} leaves it unbounded. A null {@code handler} still
     * reads (and drops) whatever arrives, so the peer never blocks on a full socket.
     */
    VtConnection(Socket socket, int capacity, Consumer<byte[]> handler) throws IOException {
      this.socket = socket;
      socket.setTcpNoDelay(true);
      this.outbound = new LinkedBlockingQueue<>(capacity);
      DataOutputStream out = new DataOutputStream(
          new BufferedOutputStream(socket.getOutputStream(), 64 * 1024));
      DataInputStream in = new DataInputStream(
          new BufferedInputStream(socket.getInputStream(), 64 * 1024));
      writer = Thread.ofVirtual().name("vt-writer").start(() -> write(out));
      reader = Thread.ofVirtual().name("vt-reader").start(() -> read(in, handler));
    }

    private void write(DataOutputStream out) {
      try {
        while (true) {
          byte[] frame = outbound.poll();
          if (frame == null) {
            out.flush(); // the queue ran dry: push what is buffered, then wait for more
            frame = outbound.take();
          }
          if (frame == STOP) {
            return;
          }
          out.writeInt(frame.length);
          out.write(frame);
          queuedBytes.addAndGet(-frame.length);
        }
      } catch (IOException | InterruptedException e) {
        // closed
      }
    }

    private static void read(DataInputStream in, Consumer<byte[]> handler) {
      try {
        while (true) {
          byte[] frame = new byte[in.readInt()];
          in.readFully(frame);
          if (handler != null) {
            handler.accept(frame);
          }
        }
      } catch (IOException e) {
        // closed
      }
    }

    /** Queues {@code frame} for the writer (shared, not copied); blocks while the queue is full. */
    void send(byte[] frame) {
      queuedBytes.addAndGet(frame.length);
      try {
        outbound.put(frame);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while the send queue was full", e);
      }
    }

    /** Bytes queued and not yet written to the socket. */
    long queuedBytes() {
      return queuedBytes.get();
    }

    @Override
    public void close() {
      outbound.offer(STOP);
      try {
        socket.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      writer.interrupt();
      reader.interrupt();
    }
  }

  private static Socket connect(InetSocketAddress to, int receiveBuffer) throws IOException {
    Socket s = new Socket();
    if (receiveBuffer > 0) {
      s.setReceiveBufferSize(receiveBuffer);
    }
    s.connect(to, 5000);
    return s;
  }

  // ---- workload 3: throughput ----------------------------------------------------------------

  static Streams streams(int count) throws IOException {
    ServerSocket server = new ServerSocket();
    server.bind(new InetSocketAddress("127.0.0.1", 0));
    AtomicLong received = new AtomicLong();
    List<VtConnection> clients = new ArrayList<>();
    List<VtConnection> accepted = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      clients.add(new VtConnection(connect((InetSocketAddress) server.getLocalSocketAddress(), 0),
          1024, null));
      accepted.add(new VtConnection(server.accept(), 1, frame -> received.incrementAndGet()));
    }
    return new Streams() {
      @Override
      public void sendBatch(int connection, byte[] payload, int batch) {
        VtConnection c = clients.get(connection);
        for (int i = 0; i < batch; i++) {
          c.send(payload);
        }
      }

      @Override
      public long received() {
        return received.get();
      }

      @Override
      public void close() {
        clients.forEach(VtConnection::close);
        accepted.forEach(VtConnection::close);
        try {
          server.close();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
  }

  // ---- workload 4: round trip ----------------------------------------------------------------

  static Echo echo() throws IOException {
    ServerSocket server = new ServerSocket();
    server.bind(new InetSocketAddress("127.0.0.1", 0));
    SynchronousQueue<byte[]> echoes = new SynchronousQueue<>();
    VtConnection client = new VtConnection(
        connect((InetSocketAddress) server.getLocalSocketAddress(), 0), 16, frame -> {
          try {
            echoes.put(frame);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    AtomicReference<VtConnection> serverSide = new AtomicReference<>();
    Socket accepted = server.accept();
    serverSide.set(new VtConnection(accepted, 16, frame -> serverSide.get().send(frame)));
    return new Echo() {
      @Override
      public void roundTrip(byte[] payload) throws Exception {
        client.send(payload);
        if (echoes.poll(10, TimeUnit.SECONDS) == null) {
          throw new IllegalStateException("no echo within 10 s");
        }
      }

      @Override
      public void close() {
        client.close();
        serverSide.get().close();
        try {
          server.close();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
  }

  // ---- workload 1: send/receive concurrency ------------------------------------------------

  static ConcurrencyScenario.Pair pair(ConcurrencyScenario.VoteSink sink, Runnable blockArrived)
      throws IOException {
    ServerSocket server = new ServerSocket();
    server.bind(new InetSocketAddress("127.0.0.1", 0));
    // A: sends blocks (at most 4 queued), receives votes. B: the other way round.
    VtConnection a = new VtConnection(connect((InetSocketAddress) server.getLocalSocketAddress(),
        0), 4, vote -> sink.arrived(ConcurrencyScenario.intended(vote)));
    VtConnection b = new VtConnection(server.accept(), 1024, block -> blockArrived.run());
    return new ConcurrencyScenario.Pair() {
      @Override
      public void sendBlock(byte[] block) {
        a.send(block);
      }

      @Override
      public void sendVote(byte[] vote) {
        b.send(vote.clone()); // the caller reuses its array; the queue holds it until written
      }

      @Override
      public void close() throws IOException {
        a.close();
        b.close();
        server.close();
      }
    };
  }

  // ---- workload 2: broadcast -----------------------------------------------------------------

  static BroadcastScenario.Hub hub() throws IOException {
    ServerSocket server = new ServerSocket();
    server.bind(new InetSocketAddress("127.0.0.1", 0));
    List<VtConnection> peers = new CopyOnWriteArrayList<>();
    Thread acceptor = Thread.ofVirtual().name("vt-acceptor").start(() -> {
      try {
        while (true) {
          Socket s = server.accept();
          s.setSendBufferSize(BroadcastScenario.BUFFER);
          peers.add(new VtConnection(s, Integer.MAX_VALUE, null));
        }
      } catch (IOException e) {
        // closed
      }
    });
    return new BroadcastScenario.Hub() {
      @Override
      public InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
      }

      @Override
      public void broadcast(byte[] frame) {
        byte[] shared = frame.clone(); // one copy per broadcast, shared by every peer's queue
        for (VtConnection peer : peers) {
          peer.send(shared);
        }
      }

      @Override
      public long queuedForSlowPeer() {
        long most = 0;
        for (VtConnection peer : peers) {
          most = Math.max(most, peer.queuedBytes());
        }
        return most;
      }

      @Override
      public int peers() {
        return peers.size();
      }

      @Override
      public void close() throws IOException {
        server.close();
        acceptor.interrupt();
        peers.forEach(VtConnection::close);
      }
    };
  }

  /** A fast peer: its reader thread records each frame's latency from its intended send time. */
  static AutoCloseable peer(InetSocketAddress hub, Histogram latency, long warmupEnds)
      throws IOException {
    return new VtConnection(connect(hub, BroadcastScenario.BUFFER), 1, frame ->
        BroadcastScenario.record(latency, ByteBuffer.wrap(frame).getLong(0), warmupEnds));
  }
}
