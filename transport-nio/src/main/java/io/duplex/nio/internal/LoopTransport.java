package io.duplex.nio.internal;

import io.duplex.Connection;
import io.duplex.ConnectionClosedException;
import io.duplex.ConnectionListener;
import io.duplex.NodeId;
import io.duplex.PeerInfo;
import io.duplex.internal.SecureHandshake;
import io.duplex.Transport;
import io.duplex.TransportStats;
import io.duplex.TransportConfig;
import io.duplex.codec.Codec;
import io.duplex.internal.FrameBuffer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import io.duplex.internal.RateLimitedLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The NIO transport: its read loops, write loops, one timer thread for deadlines, and the
 * handler threads. Made by {@link LoopTransports#start}, for {@link io.duplex.nio.NioTransport};
 * see docs/THREADING.md.
 *
 * <p>Threads: {@code duplex-N-read-i} and {@code duplex-N-write-i} (the loops), {@code
 * duplex-N-timer} (handshake, liveness, pong and close deadlines, one sweep over all connections
 * per tick), {@code duplex-N-handler-i} (handlers and listeners, unless the user gives an
 * executor or asks for handlers on the read loop). All daemon; all ended by {@link #close()}.
 */
final class LoopTransport<T> implements Transport<T>, ErrorSink {
  private static final Logger log = LoggerFactory.getLogger(LoopTransport.class);
  /** How often one peer's failures of one kind are logged at most (the rest are counted). */
  static final long ERROR_LOG_INTERVAL_MILLIS = 30_000;
  private static final AtomicInteger IDS = new AtomicInteger();
  private static final ThreadLocal<FrameBuffer> ENCODE_BUFFERS =
      ThreadLocal.withInitial(() -> FrameBuffer.forFrames(256, Integer.MAX_VALUE - 64));

  private final int id = IDS.incrementAndGet();
  private final TransportConfig config;
  private final Codec<T> codec;
  private final ConnectionListener<T> listener;
  private final BiConsumer<Connection<?>, Throwable> errorHandler;
  private final boolean handlersOnReadLoop;
  private final Lending<T> lending;
  private final Map<SocketOption<?>, Object> socketOptions;
  private final ReadLoop[] readLoops;
  private final WriteLoop[] writeLoops;
  private final ScheduledExecutorService timer;
  private final Executor handlerExecutor;
  private final ExecutorService ownedHandlerExecutor;
  // Every connection not yet closed; added by connect/accept, removed by the connection's close.
  private final Set<NioConnection<T>> connections = ConcurrentHashMap.newKeySet();
  private final List<ServerSocketChannel> servers = new CopyOnWriteArrayList<>();
  private final AtomicInteger nextLoop = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();
  // Counters: any thread adds, stats() reads.
  private final LongAdder accepted = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private final LongAdder dialed = new LongAdder();
  private final LongAdder closedCount = new LongAdder();
  private final ConnectionMetrics closedTotals = new ConnectionMetrics();
  private final ConcurrentHashMap<String, LongAdder> errorCounts = new ConcurrentHashMap<>();
  // Slots of the inbound connection limits: taken on accept, given back in closed().
  private final InboundLimits limits;
  // Written by listen(), read by handshakes on the read loops.
  private volatile PeerInfo localInfo;
  /** The static X25519 key of secure handshakes, signed by the identity; null in plaintext. */
  private final SecureHandshake.StaticKey staticKey;
  private final io.duplex.internal.LaneTable laneTable;
  // Failures, logged at most once per peer and kind every ERROR_LOG_INTERVAL_MILLIS. Any thread.
  private final RateLimitedLog errorLog = new RateLimitedLog(log, ERROR_LOG_INTERVAL_MILLIS);

  /** Starts the loops. Called by {@link LoopTransports#start}, which documents the arguments. */
  LoopTransport(TransportConfig config, Codec<T> codec, ConnectionListener<T> listener,
      BiConsumer<Connection<?>, Throwable> errorHandler, int readLoopCount, int writeLoopCount,
      boolean handlersOnReadLoop, Map<SocketOption<?>, Object> socketOptions,
      Lending<T> lending, long spinNanos) throws IOException {
    this.config = config;
    this.lending = lending;
    this.codec = codec;
    this.listener = listener;
    this.errorHandler = errorHandler;
    this.handlersOnReadLoop = handlersOnReadLoop;
    this.socketOptions = Map.copyOf(socketOptions);
    this.limits = new InboundLimits(config);
    this.localInfo = new PeerInfo(config.nodeId(), config.networkId(), 0, codec.name(),
        config.maxFrameSize());
    this.staticKey = config.identity().map(SecureHandshake.StaticKey::generate).orElse(null);
    this.laneTable = io.duplex.internal.LaneTable.of(config);
    if (config.insecurePlaintext()) {
      log.warn("transport {} runs INSECURE PLAINTEXT (insecurePlaintext()): peers are not"
          + " authenticated, any peer may claim any node id, and every byte can be read and"
          + " altered on the way; for benchmarks and trusted test rigs only", id);
    }
    if (config.handlerExecutor().isPresent()) {
      this.handlerExecutor = config.handlerExecutor().get();
      this.ownedHandlerExecutor = null;
    } else {
      this.ownedHandlerExecutor = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30,
          TimeUnit.SECONDS, new SynchronousQueue<>(), threads("handler-"));
      this.handlerExecutor = ownedHandlerExecutor;
    }
    this.readLoops = new ReadLoop[readLoopCount];
    this.writeLoops = new WriteLoop[writeLoopCount];
    long writeTick = tick(config.sendTimeout());
    try {
      for (int i = 0; i < readLoopCount; i++) {
        readLoops[i] = new ReadLoop("duplex-" + id + "-read-" + i, this, spinNanos);
      }
      for (int i = 0; i < writeLoopCount; i++) {
        writeLoops[i] = new WriteLoop("duplex-" + id + "-write-" + i, this, writeTick,
            spinNanos);
      }
    } catch (IOException e) {
      for (SelectorLoop loop : loops()) {
        loop.selector.close();
      }
      throw e;
    }
    for (SelectorLoop loop : loops()) {
      loop.start();
    }
    this.timer = Executors.newSingleThreadScheduledExecutor(
        r -> new LoopThread(r, "duplex-" + id + "-timer"));
    long sweep = tick(min(config.handshakeTimeout(), config.pingInterval(), config.pongTimeout(),
        config.closeTimeout(), config.frameReadTimeout()));
    timer.scheduleWithFixedDelay(this::sweep, sweep, sweep, TimeUnit.NANOSECONDS);
  }

  /** A quarter of {@code d}, kept between 1 ms and 100 ms: the granularity of deadlines. */
  private static long tick(Duration d) {
    return Math.max(TimeUnit.MILLISECONDS.toNanos(1),
        Math.min(TimeUnit.MILLISECONDS.toNanos(100), Durations.nanos(d) / 4));
  }

  private static Duration min(Duration... ds) {
    Duration m = ds[0];
    for (Duration d : ds) {
      m = d.compareTo(m) < 0 ? d : m;
    }
    return m;
  }

  private ThreadFactory threads(String role) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      String name = "duplex-" + id + "-" + role + (role.endsWith("-") ? n.getAndIncrement() : "");
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  private List<SelectorLoop> loops() {
    List<SelectorLoop> all = new ArrayList<>();
    for (ReadLoop l : readLoops) {
      if (l != null) {
        all.add(l);
      }
    }
    for (WriteLoop l : writeLoops) {
      if (l != null) {
        all.add(l);
      }
    }
    return all;
  }

  // ---- Transport -------------------------------------------------------------------------

  @Override
  public InetSocketAddress listen(InetSocketAddress local) throws IOException {
    if (closed.get()) {
      throw new IllegalStateException("transport is closed");
    }
    ServerSocketChannel server = ServerSocketChannel.open();
    try {
      server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      server.bind(local, 1024);
      server.configureBlocking(false);
    } catch (IOException e) {
      server.close();
      throw new IOException("cannot listen on " + local + ": " + e.getMessage(), e);
    }
    InetSocketAddress bound = (InetSocketAddress) server.getLocalAddress();
    servers.add(server);
    if (closed.get()) {
      // close() ran meanwhile: it sets closed before it looks at servers, and this looks at
      // closed after adding, so either it closes this socket or this does.
      servers.remove(server);
      closeQuietly(server);
      throw new IllegalStateException("transport is closed");
    }
    if (localInfo.listenPort() == 0) {
      PeerInfo p = localInfo;
      localInfo = new PeerInfo(p.nodeId(), p.networkId(), bound.getPort(), p.codecName(),
          p.maxFrameSize());
    }
    ReadLoop loop = readLoops[0];
    loop.execute(() -> {
      try {
        server.register(loop.selector, SelectionKey.OP_ACCEPT, new Acceptor(server, this, loop));
      } catch (IOException e) {
        report(null, e);
      }
    });
    return bound;
  }

  @Override
  public CompletableFuture<Connection<T>> connect(InetSocketAddress remote) {
    return dial(remote, null);
  }

  @Override
  public CompletableFuture<Connection<T>> connect(InetSocketAddress remote, NodeId expected) {
    return dial(remote, java.util.Objects.requireNonNull(expected, "expected"));
  }

  private CompletableFuture<Connection<T>> dial(InetSocketAddress remote, NodeId expected) {
    if (closed.get()) {
      return CompletableFuture.failedFuture(
          new ConnectionClosedException("transport is closed; cannot connect to " + remote));
    }
    SocketChannel channel = null;
    try {
      channel = SocketChannel.open();
      configure(channel);
      boolean connected = channel.connect(remote);
      NioConnection<T> connection = newConnection(channel, remote, connected, true, expected);
      dialed.increment();
      return connection.openFuture();
    } catch (IOException | RuntimeException e) {
      closeQuietly(channel);
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * A peer was accepted. Read loop 0. The connection limits are checked first, before any read,
   * any user code and before any buffer is allocated for it: over a limit, the socket is reset
   * (so no TIME_WAIT is left here by a flood), counted and logged. A slot taken here is given
   * back by {@link #closed} once the connection exists, and here on every path where it does
   * not; likewise a listener that admitted the peer hears how it ended, from the connection or,
   * if none came to exist, from here ({@code onHandshakeFailed}).
   */
  void accepted(SocketChannel channel) {
    if (closed.get()) {
      closeQuietly(channel);
      return;
    }
    InetSocketAddress remote = null;
    boolean slot = false;
    boolean admitted = false; // the listener said yes and no connection exists yet to tell it
    try {
      remote = (InetSocketAddress) channel.getRemoteAddress();
      String overLimit = limits.tryAcquire(remote);
      if (overLimit != null) {
        limits.refused(remote, overLimit); // counted before the peer can see the reset
        reset(channel);
        return;
      }
      slot = true;
      if (!listener.onAccept(remote)) {
        slot = false;
        limits.release(remote); // before the close, so the peer never sees it still taken
        refused.increment();
        closeQuietly(channel);
        return;
      }
      admitted = true;
      configure(channel);
      newConnection(channel, remote, true, false, null);
      slot = false; // the connection owns it now, and closed() gives it back
      admitted = false; // and the connection tells the listener how it ends
      accepted.increment();
    } catch (IOException | RuntimeException e) {
      if (slot) {
        slot = false;
        limits.release(remote);
      }
      closeQuietly(channel);
      report(null, e);
      if (admitted) {
        // onAccept counted this peer in (a PeerNode's inbound counts do): it must hear the end.
        failedBeforeOpen(remote, e);
      }
    } finally {
      if (slot) {
        limits.release(remote); // only an Error gets here with the slot still taken
      }
    }
  }

  /**
   * Tells the listener that an accepted peer it admitted failed before a connection existed to
   * tell it, on the thread where listeners run. Read loop 0.
   */
  private void failedBeforeOpen(InetSocketAddress remote, Throwable cause) {
    Runnable event = () -> listener.onHandshakeFailed(remote, false, cause);
    try {
      if (handlersOnReadLoop) {
        event.run();
      } else {
        handlerExecutor.execute(event);
      }
    } catch (RuntimeException e) {
      report(null, e); // the listener threw, or the user's executor refused the event
    }
  }

  /** Closes a refused socket with a reset (SO_LINGER 0): no TIME_WAIT, no FIN handshake. */
  private static void reset(SocketChannel channel) {
    try {
      channel.setOption(StandardSocketOptions.SO_LINGER, 0);
    } catch (IOException | RuntimeException ignored) {
      // an ordinary close follows; the peer may already have gone
    }
    closeQuietly(channel);
  }

  private NioConnection<T> newConnection(SocketChannel channel, InetSocketAddress remote,
      boolean connected, boolean dialed, NodeId expected) {
    int n = nextLoop.getAndIncrement() & Integer.MAX_VALUE;
    NioConnection<T> connection = new NioConnection<>(this, channel, remote, connected, dialed,
        expected, readLoops[n % readLoops.length], writeLoops[n % writeLoops.length]);
    // From here nothing throws: accepted() hands the connection its limit slot at this point.
    connections.add(connection);
    connection.readLoop().execute(connection::register);
    if (closed.get()) {
      // close() ran meanwhile: it sets closed before it looks at connections, and this looks at
      // closed after adding, so either its sweep or this abort ends the connection (and
      // completes its futures); a loop already gone would never register it.
      connection.abort();
    }
    return connection;
  }

  /** Makes {@code channel} non-blocking and sets the builder's socket options on it. */
  void configure(SocketChannel channel) throws IOException {
    channel.configureBlocking(false);
    for (Map.Entry<SocketOption<?>, Object> option : socketOptions.entrySet()) {
      setOption(channel, option.getKey(), option.getValue());
    }
  }

  private static <V> void setOption(SocketChannel channel, SocketOption<V> option, Object value)
      throws IOException {
    channel.setOption(option, option.type().cast(value));
  }

  @Override
  public List<Connection<T>> connections() {
    List<Connection<T>> open = new ArrayList<>();
    for (NioConnection<T> c : connections) {
      if (c.isHandshaken() && !c.isClosed()) {
        open.add(c);
      }
    }
    return open;
  }

  @Override
  public TransportConfig config() {
    return config;
  }

  @Override
  public Codec<T> codec() {
    return codec;
  }

  @Override
  public void close() {
    for (SelectorLoop loop : loops()) {
      if (loop.inLoop()) {
        throw new IllegalStateException("Transport.close() called on " + loop.name + ": it"
            + " waits for connections that this loop serves; call it from another thread");
      }
    }
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (ServerSocketChannel server : servers) {
      closeQuietly(server);
    }
    readLoops[0].wakeup();
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    for (NioConnection<T> c : connections) {
      closing.add(c.close());
    }
    try {
      CompletableFuture.allOf(closing.toArray(new CompletableFuture<?>[0]))
          .get(Durations.nanos(config.closeTimeout()) + TimeUnit.SECONDS.toNanos(1),
              TimeUnit.NANOSECONDS);
    } catch (TimeoutException | ExecutionException e) {
      log.debug("transport {}: connections still open after the close timeout; aborting", id);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (NioConnection<T> c : connections) {
      c.abort();
    }
    timer.shutdownNow();
    for (SelectorLoop loop : loops()) {
      loop.shutdown(TimeUnit.SECONDS.toMillis(5));
    }
    if (ownedHandlerExecutor != null) {
      ownedHandlerExecutor.shutdown();
      try {
        if (!Thread.currentThread().getName().startsWith("duplex-" + id + "-handler-")) {
          ownedHandlerExecutor.awaitTermination(5, TimeUnit.SECONDS); // not waiting on ourselves
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      timer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    limits.flushLogAll(); // read loop 0 refuses no more, and the timer that flushed is gone
  }

  // ---- for connections -------------------------------------------------------------------

  /**
   * The timer's tick. Nothing may escape it: the executor would cancel every later tick, and
   * with them every deadline of every connection.
   */
  private void sweep() {
    long now = System.nanoTime();
    try {
      limits.flushLog(now);
    } catch (Throwable t) {
      report(null, t);
    }
    for (NioConnection<T> c : connections) {
      try {
        c.tick(now);
      } catch (Throwable t) {
        report(c, t);
      }
    }
  }

  /** Runs {@code task} on the timer after {@code delayMillis}; nothing once the timer is shut. */
  void schedule(long delayMillis, Runnable task) {
    try {
      timer.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing: nothing left to do it for
    }
  }

  /** {@code connection} finished. Once per connection: the thread that ran its finish. */
  void closed(NioConnection<T> connection) {
    if (connections.remove(connection)) {
      if (!connection.isOutbound()) {
        limits.release(connection.remoteAddress());
      }
      // Fold its counters into the closed totals: a closed connection counts nothing more.
      connection.metrics().addCountersTo(closedTotals);
      closedCount.increment();
    }
  }

  @Override
  public TransportStats stats() {
    long open = 0;
    long pending = 0;
    ConnectionMetrics sum = new ConnectionMetrics(); // the closed totals plus every open one
    closedTotals.addCountersTo(sum);
    for (NioConnection<T> c : connections) {
      if (c.isHandshaken() && !c.isClosed()) {
        open++;
      }
      pending += c.pendingBytes();
      c.metrics().addCountersTo(sum);
    }
    long wakeups = 0;
    for (WriteLoop loop : writeLoops) {
      wakeups += loop.wakeups();
    }
    Map<String, Long> errors = new HashMap<>();
    errorCounts.forEach((k, v) -> errors.put(k, v.sum()));
    return sum.countersTo(TransportStats.builder())
        .openConnections(open).accepted(accepted.sum()).dialed(dialed.sum())
        .closed(closedCount.sum()).inboundConnections(limits.inbound())
        .refusedByLimit(limits.refusals()).pendingBytes(pending).writeWakeups(wakeups)
        .errors(errors)
        .build();
  }

  /** Whether handlers and listeners run on the read loop, as NioTransport.Builder set it. */
  boolean handlersOnReadLoop() {
    return handlersOnReadLoop;
  }

  /** How connections receive: lent or decoded. */
  Lending<T> lending() {
    return lending;
  }

  SecureHandshake.StaticKey staticKey() {
    return staticKey;
  }

  /** This transport's lane table, or null without lanes. */
  io.duplex.internal.LaneTable laneTable() {
    return laneTable;
  }

  PeerInfo localInfo() {
    return localInfo;
  }

  ConnectionListener<T> listener() {
    return listener;
  }

  Executor handlerExecutor() {
    return handlerExecutor;
  }

  ErrorSink errors() {
    return this;
  }

  FrameBuffer encodeBuffer() {
    return ENCODE_BUFFERS.get();
  }

  /** Reports {@code error} to the user's error handler and to slf4j. Any thread. */
  @Override
  public void report(Connection<?> connection, Throwable error) {
    errorCounts.computeIfAbsent(error.getClass().getSimpleName(), k -> new LongAdder())
        .increment();
    if (errorHandler != null) {
      try {
        errorHandler.accept(connection, error);
      } catch (Throwable t) {
        log.warn("error handler threw", t);
      }
    }
    String where = connection != null ? connection.toString() : "transport " + id;
    Object key = errorKey(connection, error);
    if (error instanceof IOException || connection != null && connection.isOutbound()
        && connection.peer() == null) {
      // Resets, refusals, peers that vanish: the network's everyday churn. A dial that failed
      // before its handshake completed: its caller has the error, in the connect future.
      errorLog.log(Level.DEBUG, key, where + ": " + error, null);
    } else if (error instanceof io.duplex.DuplexException) {
      errorLog.log(Level.WARN, key, where + ": " + error, null);
    } else {
      errorLog.log(Level.WARN, key, where + ": unexpected " + error, error);
    }
  }

  /** One peer (its IP address: a redial has a new port) and one kind of failure. */
  private static Object errorKey(Connection<?> connection, Throwable error) {
    String kind = error.getClass().getName();
    if (error instanceof io.duplex.HandshakeException) {
      kind += "/" + ((io.duplex.HandshakeException) error).field();
    } else if (error instanceof io.duplex.PeerClosedException) {
      kind += "/" + ((io.duplex.PeerClosedException) error).code();
    }
    InetSocketAddress remote = connection != null ? connection.remoteAddress() : null;
    Object peer = remote == null ? "transport"
        : remote.getAddress() != null ? remote.getAddress() : remote.getHostString();
    return java.util.List.of(peer, kind);
  }

  private static void closeQuietly(java.nio.channels.Channel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // closing on an error path; the original error is what matters
      }
    }
  }
}
