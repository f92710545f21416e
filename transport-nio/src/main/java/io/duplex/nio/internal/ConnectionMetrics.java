package io.duplex.nio.internal;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one connection. Written by whichever thread does the counted thing (senders, the
 * loops), read by anyone; {@link LongAdder}s, so counting takes no lock and little contention.
 */
final class ConnectionMetrics {
  final LongAdder messagesOut = new LongAdder();
  final LongAdder bytesOut = new LongAdder();
  final LongAdder writeThroughs = new LongAdder();
  final LongAdder deferredWrites = new LongAdder();
  final LongAdder sendsRefused = new LongAdder();
  final LongAdder sendsTimedOut = new LongAdder();
  final LongAdder messagesIn = new LongAdder();
  final LongAdder bytesIn = new LongAdder();
  final LongAdder readPauses = new LongAdder();

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

  void sendTimedOut() {
    sendsTimedOut.increment();
  }
}
