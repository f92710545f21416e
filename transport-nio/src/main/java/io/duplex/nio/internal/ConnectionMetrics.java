package io.duplex.nio.internal;

import io.duplex.ConnectionStats;
import io.duplex.TransportStats;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one connection. Written by whichever thread does the counted thing (senders, the
 * loops), read by anyone: {@link LongAdder}s and atomics, so counting takes no lock.
 */
final class ConnectionMetrics {
  final LongAdder messagesOut = new LongAdder();
  final LongAdder bytesOut = new LongAdder();
  final LongAdder messagesIn = new LongAdder();
  final LongAdder bytesIn = new LongAdder();
  final LongAdder writeThroughs = new LongAdder();
  final LongAdder deferredWrites = new LongAdder();
  final LongAdder sendsRefused = new LongAdder();
  final LongAdder sendsTimedOut = new LongAdder();
  final LongAdder readPauses = new LongAdder();
  final LongAdder framesQueued = new LongAdder();
  final LongAdder framesDropped = new LongAdder();
  final AtomicLong pendingHighWater = new AtomicLong();
  volatile long lastPingRttNanos = -1;

  void writeThrough(int size) {
    writeThroughs.increment();
    bytesOut.add(size);
  }

  void frameWritten(int size) {
    deferredWrites.increment();
    bytesOut.add(size);
  }

  void sendRefused() {
    sendsRefused.increment();
  }

  void sendsTimedOut(int frames) {
    sendsTimedOut.add(frames);
  }

  /** Raises the pending high-water mark to {@code pending} if it is higher. */
  void pending(long pending) {
    if (pending > pendingHighWater.get()) {
      pendingHighWater.accumulateAndGet(pending, Math::max);
    }
  }

  /**
   * Adds the counters that a transport totals to {@code totals}; the gauges (framesQueued, the
   * high water, the last ping) are not summed. A counter added here and in {@link #countersTo}
   * is totalled for open and closed connections alike (LoopTransport.stats and closed).
   */
  void addCountersTo(ConnectionMetrics totals) {
    totals.messagesOut.add(messagesOut.sum());
    totals.bytesOut.add(bytesOut.sum());
    totals.messagesIn.add(messagesIn.sum());
    totals.bytesIn.add(bytesIn.sum());
    totals.writeThroughs.add(writeThroughs.sum());
    totals.deferredWrites.add(deferredWrites.sum());
    totals.sendsRefused.add(sendsRefused.sum());
    totals.sendsTimedOut.add(sendsTimedOut.sum());
    totals.framesDropped.add(framesDropped.sum());
    totals.readPauses.add(readPauses.sum());
  }

  /** Sets the counters that {@link #addCountersTo} sums on {@code stats}, and returns it. */
  TransportStats.Builder countersTo(TransportStats.Builder stats) {
    return stats.messagesOut(messagesOut.sum()).bytesOut(bytesOut.sum())
        .messagesIn(messagesIn.sum()).bytesIn(bytesIn.sum()).writeThroughs(writeThroughs.sum())
        .deferredWrites(deferredWrites.sum()).sendsRefused(sendsRefused.sum())
        .sendsTimedOut(sendsTimedOut.sum()).framesDropped(framesDropped.sum())
        .readPauses(readPauses.sum());
  }

  ConnectionStats snapshot(long pendingBytes) {
    long rtt = lastPingRttNanos;
    return new ConnectionStats(messagesOut.sum(), bytesOut.sum(), messagesIn.sum(), bytesIn.sum(),
        pendingBytes, pendingHighWater.get(), framesQueued.sum(), writeThroughs.sum(),
        deferredWrites.sum(), sendsRefused.sum(), sendsTimedOut.sum(), framesDropped.sum(),
        readPauses.sum(),
        rtt < 0 ? null : Duration.ofNanos(rtt));
  }
}
