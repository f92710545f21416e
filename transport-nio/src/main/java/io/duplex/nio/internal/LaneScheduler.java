package io.duplex.nio.internal;

import io.duplex.Lane;
import io.duplex.SlowPeerPolicy;
import io.duplex.TransportConfig;
import io.duplex.internal.LaneTable;
import io.duplex.internal.Wire;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The lanes of one write half: a queue, a byte budget and a credit per lane, and the scheduler
 * that picks which lane's next chunk the write role holder writes.
 *
 * <h2>Scheduling</h2>
 * Start-time fair queueing over the lanes that have a message and the credit for its next
 * chunk. Each lane has a finish tag; a lane that becomes busy starts at the virtual time (the
 * start tag of the chunk last scheduled), a busy lane at its own finish tag, and the lowest start
 * goes next (the higher weight on a tie). Serving a chunk of {@code b} wire bytes moves the
 * lane's finish tag {@code b / weight} past its start. So busy lanes share the socket in
 * proportion to their weights and none starves, and a lane that was idle (a vote) goes ahead of
 * the chunks queued on busy lanes: it waits for the chunk being written, not for the bytes
 * queued. Messages of one lane go in order, one in progress at a time.
 *
 * <h2>Credit</h2>
 * The peer grants each lane a window in its handshake and more with CREDIT frames as its
 * application consumes. A chunk is scheduled only when its lane's credit covers its data; a lane
 * out of credit waits, and the others go on.
 *
 * <h2>Fields and their threads</h2>
 * Per lane: {@code queue} (senders offer; the role holder polls; any thread claims frames out of
 * it to drop or fail them, as in {@link OutboundQueue}); {@code pending}, the lane's bytes out of
 * its coalescer's open batch (an atomic: any thread lowers it; on a lane with a hard limit it is
 * raised and checked against the limit only under the coalescer's lock, with the open batch's
 * bytes, see {@link Coalescer}; on a lane without one, any thread adds); {@code credit} (the read loop adds what CREDIT frames grant, the role
 * holder subtracts what it schedules: only one thread subtracts, so a check then a subtraction
 * is safe); {@code current}, the message in progress, and {@code finish} (the role holder; {@code
 * current} is volatile so that other threads can ask whether work waits). {@code virtualTime}:
 * the role holder.
 */
final class LaneScheduler {
  /** One lane's outbound state. */
  static final class Out {
    final int id;
    final String name;
    final int weight;
    final long hardLimit;
    final SlowPeerPolicy policy;
    final int ownMax;
    final ConcurrentLinkedQueue<OutboundFrame> queue = new ConcurrentLinkedQueue<>();
    final AtomicLong pending = new AtomicLong();
    final AtomicLong credit = new AtomicLong();
    /** The peer's window for this lane; a credit past it is a violation. Set at the handshake. */
    volatile long window;
    /** The largest message the peer takes on this lane, and we send; set at the handshake. */
    volatile int maxMessage;
    volatile OutboundFrame current;
    long finish;
    /** Packs the lane's small {@code sendLater} messages into batches, as without lanes. */
    Coalescer coalescer;
    /**
     * A written large message's array, for the next one; senders take, the holder gives, the
     * timer lets it go after a quiet period.
     */
    final java.util.concurrent.atomic.AtomicReference<byte[]> spare =
        new java.util.concurrent.atomic.AtomicReference<>();
    /**
     * When {@code spare} was last given: the holder writes it before the array, the timer reads
     * it after (volatile).
     */
    volatile long spareSince;
    final java.util.concurrent.atomic.LongAdder sent = new java.util.concurrent.atomic.LongAdder();
    final java.util.concurrent.atomic.LongAdder refused =
        new java.util.concurrent.atomic.LongAdder();
    final java.util.concurrent.atomic.LongAdder dropped =
        new java.util.concurrent.atomic.LongAdder();

    Out(int id, String name, int weight, long hardLimit, SlowPeerPolicy policy, int ownMax) {
      this.id = id;
      this.name = name;
      this.weight = weight;
      this.hardLimit = hardLimit;
      this.policy = policy;
      this.ownMax = ownMax;
      this.maxMessage = ownMax;
    }

    /** The frame whose chunk goes next: the one in progress, or the queue's head. */
    private OutboundFrame head() {
      OutboundFrame c = current;
      return c != null ? c : queue.peek();
    }

    boolean hasWork() {
      return current != null || !queue.isEmpty();
    }

    /**
     * Counts {@code size} bytes in if that stays within the hard limit (the open batch's bytes
     * included), returning {@link PendingBytes#RESERVED}; else the count found. A lane without a
     * limit just counts. Any thread.
     */
    long reserve(int size) {
      if (hardLimit == Long.MAX_VALUE) {
        pending.addAndGet(size);
        return PendingBytes.RESERVED;
      }
      return coalescer.reserve(size);
    }

    /** Bytes of this lane queued and not written, its open batch's included. Any thread. */
    long pendingBytes() {
      return coalescer.lanePending();
    }
  }

  private final Out[] lanes;
  private final ConnectionMetrics metrics;
  private final int chunkSize;
  // The role holder's.
  private long virtualTime;
  private volatile int chunk;

  LaneScheduler(TransportConfig config, ConnectionMetrics metrics) {
    this.metrics = metrics;
    List<Lane> extra = config.lanes();
    lanes = new Out[extra.size() + 1];
    lanes[0] = new Out(0, Lane.DEFAULT.name(), Lane.DEFAULT.weight(), Long.MAX_VALUE,
        config.slowPeerPolicy(), config.maxFrameSize() - Wire.TYPE_SIZE);
    for (int i = 1; i < lanes.length; i++) {
      Lane l = extra.get(i - 1);
      lanes[i] = new Out(i, l.name(), l.weight(), l.outboundHardLimit(), l.slowPeerPolicy(),
          l.maxMessageSize());
    }
    chunkSize = config.chunkSize();
    chunk = chunkSize;
    for (Out o : lanes) {
      o.coalescer = new Coalescer(f -> offer(o, f), o, metrics, config.highWaterMark());
    }
  }

  /** Seals every lane's open batch. Any thread. */
  void sealAll() {
    for (Out o : lanes) {
      o.coalescer.seal();
    }
  }

  int size() {
    return lanes.length;
  }

  Out lane(int id) {
    return lanes[id];
  }

  /** The chunk size messages are laid out with, once the peer's frame limit is known. */
  int chunk() {
    return chunk;
  }

  /**
   * The handshake completed: each lane's credit is the peer's window, its message limit the
   * smaller of ours and the peer's, and chunks fit the peer's frame limit. Before any send (the
   * connection is not open yet). The read loop.
   */
  void start(LaneTable peer, int peerMaxFrame) {
    for (Out o : lanes) {
      o.window = peer.window(o.id);
      o.credit.set(o.window);
      o.maxMessage = Math.min(o.ownMax, peer.maxMessageSize(o.id));
    }
    chunk = Math.max(1, Math.min(chunkSize, peerMaxFrame - Wire.FIRST_CHUNK_HEADER));
  }

  /** Queues {@code f} on lane {@code o}. Any thread. */
  void offer(Out o, OutboundFrame f) {
    metrics.framesQueued.add(f.frames);
    o.queue.offer(f);
  }

  /** Whether any lane has a message waiting, with or without credit. Any thread. */
  boolean hasWork() {
    for (Out o : lanes) {
      if (o.hasWork()) {
        return true;
      }
    }
    return false;
  }

  /** Whether some lane has a message and the credit for its next chunk. Any thread. */
  boolean ready() {
    for (Out o : lanes) {
      if (ready(o)) {
        return true;
      }
    }
    return false;
  }

  private static boolean ready(Out o) {
    OutboundFrame f = o.head();
    return f != null && o.credit.get() >= LaneLayout.nextCost(f);
  }

  /**
   * Picks the lane whose chunk goes next, schedules that chunk (moves its frame's limit to the
   * chunk's end, takes its credit) and returns the frame; null if no lane may go. A lane whose
   * frame is staged but not last in {@code staged} waits: its chunks must stay in order. Frames
   * whose deadline passed before they started go to {@code expired}. Role holder.
   */
  OutboundFrame next(OutboundFrame lastStaged, long now, Consumer<OutboundFrame> expired) {
    for (; ; ) {
      Out best = null;
      long bestStart = 0;
      for (Out o : lanes) {
        OutboundFrame f = o.head();
        if (f == null || o.credit.get() < LaneLayout.nextCost(f)
            || (f.staged && f != lastStaged)) {
          continue;
        }
        long start = Math.max(virtualTime, o.finish);
        if (best == null || start < bestStart
            || (start == bestStart && o.weight > best.weight)) {
          best = o;
          bestStart = start;
        }
      }
      if (best == null) {
        return null;
      }
      OutboundFrame f = best.current;
      if (f == null) {
        f = best.queue.poll();
        if (f == null || !f.claim()) {
          continue; // dropped or failed meanwhile
        }
        metrics.framesQueued.add(-f.frames);
        if (f.expiredBeforeStart(now)) {
          expired.accept(f);
          continue;
        }
      }
      int end = LaneLayout.nextEnd(f);
      int data = LaneLayout.nextData(f);
      int cost = LaneLayout.nextCost(f);
      int wire = end - f.bytes.limit();
      f.bytes.limit(end);
      f.dataLeft -= data;
      best.credit.addAndGet(-cost);
      best.current = f.moreChunks() ? f : null;
      virtualTime = bestStart;
      best.finish = bestStart + ((long) wire << 10) / best.weight;
      return f;
    }
  }

  /**
   * Claims and unlinks unstarted frames of {@code o}, oldest first, until {@code needed} bytes
   * are freed; returns them, or null (dropping nothing) if they cannot free that much. Their
   * bytes are still counted. Any thread.
   */
  List<OutboundFrame> dropOldest(Out o, long needed) {
    long droppable = 0;
    for (Iterator<OutboundFrame> it = o.queue.iterator(); it.hasNext() && droppable < needed; ) {
      OutboundFrame f = it.next();
      if (f.droppable() && !f.isClaimed()) {
        droppable += f.size;
      }
    }
    if (droppable < needed) {
      return null;
    }
    List<OutboundFrame> dropped = new ArrayList<>();
    long freed = 0;
    for (Iterator<OutboundFrame> it = o.queue.iterator(); it.hasNext() && freed < needed; ) {
      OutboundFrame f = it.next();
      if (f.droppable() && f.claim()) {
        o.queue.remove(f);
        metrics.framesQueued.add(-f.frames);
        freed += f.size;
        dropped.add(f);
      }
    }
    return dropped;
  }

  /**
   * Claims, unlinks and hands to {@code expired} every queued frame whose deadline passed before
   * it started (a message in progress is not timed out: it waits for credit, and its lane's
   * later messages time out behind it). Any thread.
   */
  void expire(long now, Consumer<OutboundFrame> expired) {
    for (Out o : lanes) {
      for (Iterator<OutboundFrame> it = o.queue.iterator(); it.hasNext(); ) {
        OutboundFrame f = it.next();
        if (f.expiredBeforeStart(now) && f.claim()) {
          o.queue.remove(f);
          metrics.framesQueued.add(-f.frames);
          expired.accept(f);
        }
      }
    }
  }

  /** Claims and unlinks every queued frame, handing each to {@code failed}. Any thread. */
  void clearQueued(Consumer<OutboundFrame> failed) {
    for (Out o : lanes) {
      OutboundFrame f;
      while ((f = o.queue.poll()) != null) {
        if (f.claim()) {
          metrics.framesQueued.add(-f.frames);
          failed.accept(f);
        }
      }
    }
  }

  /**
   * Hands to {@code failed} the messages in progress that are not staged (the writer fails
   * those). The role holder, or whoever closed the half.
   */
  void clearCurrent(Consumer<OutboundFrame> failed) {
    for (Out o : lanes) {
      OutboundFrame f = o.current;
      if (f != null) {
        o.current = null;
        if (!f.staged) {
          failed.accept(f);
        }
      }
    }
  }

  /**
   * The peer sends no more credit (its CLOSE or its FIN was read): hands to {@code failed}, lane
   * by lane, the messages whose next chunk the credit left does not cover, which can never be
   * sent now. A message whose chunk is staged is left to finish. Role holder.
   */
  void failStalled(Consumer<OutboundFrame> failed) {
    for (Out o : lanes) {
      for (OutboundFrame f; (f = o.head()) != null
          && o.credit.get() < LaneLayout.nextCost(f); ) {
        if (f == o.current) {
          if (f.staged) {
            break;
          }
          o.current = null;
          failed.accept(f);
        } else if (o.queue.remove(f) && f.claim()) {
          metrics.framesQueued.add(-f.frames);
          failed.accept(f);
        }
      }
    }
  }

  /**
   * Adds {@code bytes} of credit the peer granted on {@code lane}. Returns false if the lane does
   * not exist or the credit would pass the window: the peer broke the protocol. Read loop.
   */
  boolean credit(int lane, long bytes) {
    if (lane >= lanes.length) {
      return false;
    }
    Out o = lanes[lane];
    long c = o.credit.addAndGet(bytes);
    return c <= o.window;
  }

  /** Counts a lane frame's bytes out of its lane's budget. Any thread. */
  void release(OutboundFrame f) {
    lanes[f.lane].pending.addAndGet(-f.size);
  }
}
