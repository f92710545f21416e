package io.duplex.peer;

import io.duplex.internal.RefusalLog;
import io.duplex.internal.Slots;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's own inbound limits, {@link PeerNode.Builder#maxInbound} and {@link
 * PeerNode.Builder#maxPerAddress}: one slot per accepted peer, taken at accept ({@link
 * #tryTake}) and given back once ({@link #giveBack}), when its handshake fails or its connection
 * closes: the transport tells the node exactly one of the two for every peer it admitted.
 *
 * <p>Threads: {@link #tryTake} runs on read loop 0 (the transport's accept check); {@link
 * #giveBack} on the event thread of the peer's connection; {@link #flush} on the node thread
 * once a second; {@link #flushAll} on the thread that closes the node. Nothing here takes a
 * lock: the counts are a {@link Slots}, the same class the transport counts its own inbound
 * limits with, and the refusal log a {@link RefusalLog}, both lock-free.
 */
final class InboundSlots {
  private static final Logger log = LoggerFactory.getLogger(InboundSlots.class);

  private final Slots slots;
  // A flood must not write a line per refusal: the first at once, then a summary a second.
  private final RefusalLog refusals =
      new RefusalLog(log, "inbound peers refused by the PeerNode limits");

  InboundSlots(int maxInbound, int maxPerAddress) {
    this.slots = new Slots(maxInbound, maxPerAddress);
  }

  /** Takes a slot for {@code remote}, or logs (rate-limited) why not and returns false. */
  boolean tryTake(InetSocketAddress remote) {
    InetAddress ip = remote.getAddress();
    Slots.Refusal refusal = slots.tryAcquire(ip);
    if (refusal == Slots.Refusal.TOTAL) {
      refusals.refused("refusing inbound peer " + remote + ": " + slots.maxTotal()
          + " inbound peers already (PeerNode.Builder.maxInbound)");
    } else if (refusal == Slots.Refusal.PER_ADDRESS) {
      refusals.refused("refusing inbound peer " + remote + ": " + slots.maxPerAddress()
          + " connections from " + ip.getHostAddress()
          + " already (PeerNode.Builder.maxPerAddress)");
    }
    return refusal == null;
  }

  /** Gives back the slot {@link #tryTake} took for a peer at {@code ip}. */
  void giveBack(InetAddress ip) {
    if (!slots.release(ip)) {
      log.warn("an inbound slot of {} was given back twice, or never taken: a bug", ip);
    }
  }

  /** Accepted peers counted now. */
  int taken() {
    return slots.total();
  }

  /** Logs the refusals not logged yet, unless a line went out less than a second ago. */
  void flush(long now) {
    refusals.flush(now);
  }

  /** Logs every refusal not logged yet, now: when the node closes. */
  void flushAll() {
    refusals.flushAll();
  }
}
