package io.duplex.internal;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Slots under two limits at once: at most {@code maxTotal} taken in all, and at most {@code
 * maxPerAddress} by one IP address. A slot is taken with {@link #tryAcquire} and given back with
 * {@link #release}, once per slot taken. The transport's inbound connection limits and a peer
 * node's own inbound limits both count with one of these.
 *
 * <h2>Threads</h2>
 * Any thread may take and give back slots, concurrently; no lock is held. {@code total} is an
 * {@code AtomicInteger} moved up by compare-and-set, so it never passes {@code maxTotal}, not
 * even for a moment. {@code perAddress} maps an address to its own {@code AtomicInteger}, also
 * moved up by compare-and-set under {@code maxPerAddress}. A count that falls to zero is retired:
 * the releaser moves it from 0 to {@value #RETIRED} by compare-and-set and removes it from the map
 * only if it still maps to that counter; an acquirer that finds a retired counter removes it
 * likewise and tries again with a fresh one. So the map holds only addresses with a slot taken,
 * and no slot is counted on a counter that has left the map. Counts read by {@link #total} and
 * {@link #count} are snapshots.
 */
public final class Slots {
  /** A counter that fell to zero and is leaving the map: never taken again. */
  private static final int RETIRED = -1;

  /** Which limit refused a slot. */
  public enum Refusal {
    /** {@code maxTotal} slots were taken. */
    TOTAL,
    /** {@code maxPerAddress} slots were taken by the address. */
    PER_ADDRESS
  }

  private final int maxTotal;
  private final int maxPerAddress;
  private final AtomicInteger total = new AtomicInteger();
  private final ConcurrentHashMap<InetAddress, AtomicInteger> perAddress =
      new ConcurrentHashMap<>();

  /** At most {@code maxTotal} slots in all and {@code maxPerAddress} per IP address. */
  public Slots(int maxTotal, int maxPerAddress) {
    this.maxTotal = Checks.notNegative(maxTotal, "maxTotal");
    this.maxPerAddress = Checks.notNegative(maxPerAddress, "maxPerAddress");
  }

  /**
   * Takes a slot for {@code address}: returns null if it got one, otherwise the limit that
   * refused it (and nothing was taken).
   */
  public Refusal tryAcquire(InetAddress address) {
    int n;
    do {
      n = total.get();
      if (n >= maxTotal) {
        return Refusal.TOTAL;
      }
    } while (!total.compareAndSet(n, n + 1));
    for (; ; ) {
      AtomicInteger count = perAddress.get(address);
      if (count == null) {
        count = new AtomicInteger();
        AtomicInteger raced = perAddress.putIfAbsent(address, count);
        count = raced != null ? raced : count;
      }
      int v = count.get();
      if (v == RETIRED) {
        perAddress.remove(address, count); // help the releaser, then start a fresh count
        continue;
      }
      if (v >= maxPerAddress) {
        total.decrementAndGet();
        return Refusal.PER_ADDRESS;
      }
      if (count.compareAndSet(v, v + 1)) {
        return null;
      }
    }
  }

  /**
   * Gives back a slot taken for {@code address}. Call exactly once per slot taken. Returns false,
   * and changes nothing, if {@code address} holds no slot: a second release, or one without an
   * acquire, is a bug of the caller's, which it may log; it never throws, since callers give
   * slots back on their close paths, where an exception would do more harm than a lost count.
   */
  public boolean release(InetAddress address) {
    AtomicInteger count = perAddress.get(address);
    int v;
    do {
      v = count == null ? RETIRED : count.get();
      if (v <= 0) {
        return false;
      }
    } while (!count.compareAndSet(v, v - 1));
    if (v == 1 && count.compareAndSet(0, RETIRED)) {
      perAddress.remove(address, count);
    }
    total.decrementAndGet();
    return true;
  }

  /** Slots taken now, in all. */
  public int total() {
    return total.get();
  }

  /** Slots taken now by {@code address}. */
  public int count(InetAddress address) {
    AtomicInteger count = perAddress.get(address);
    int v = count == null ? 0 : count.get();
    return Math.max(v, 0);
  }

  /** The most slots in all. */
  public int maxTotal() {
    return maxTotal;
  }

  /** The most slots per IP address. */
  public int maxPerAddress() {
    return maxPerAddress;
  }
}
