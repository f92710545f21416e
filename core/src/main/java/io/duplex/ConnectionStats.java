package io.duplex;

import java.time.Duration;

/**
 * An immutable snapshot of one connection's counters and gauges, read with {@link
 * Connection#stats()}. Counters count from the connection's start; gauges are the value at the
 * moment of the snapshot. The counters are kept without locks, so a snapshot taken while traffic
 * flows is a consistent view of each field but not of all fields at one instant.
 * docs/METRICS.md describes each field.
 *
 * @param messagesOut application messages accepted by {@code send} (encoded and queued or written)
 * @param bytesOut bytes written to the socket, frame headers and control frames included
 * @param messagesIn application messages received: decoded, or lent to a payload handler
 * @param bytesIn bytes read from the socket
 * @param pendingBytes gauge: outbound bytes queued and not yet written
 * @param pendingBytesHighWater the most outbound bytes ever queued at once
 * @param framesQueued gauge: frames waiting in the outbound queue (not counting one mid-write)
 * @param writeThroughs frames the sending thread wrote straight to the socket
 * @param deferredWrites frames written later, after queueing (by the write loop or another
 *     sender that held the write role)
 * @param sendsRefused sends refused at the hard limit (backpressure)
 * @param sendsTimedOut frames dropped because their send deadline passed before they started
 * @param framesDropped {@link Encoded} frames dropped before they started: their own deadline
 *     passed, or {@link SlowPeerPolicy#DROP_OLDEST} made room
 * @param readPauses times reading stopped because the inbound queue was full
 * @param lastPingRtt the round-trip time of the last answered ping, or null if none was answered
 */
public record ConnectionStats(
    long messagesOut,
    long bytesOut,
    long messagesIn,
    long bytesIn,
    long pendingBytes,
    long pendingBytesHighWater,
    long framesQueued,
    long writeThroughs,
    long deferredWrites,
    long sendsRefused,
    long sendsTimedOut,
    long framesDropped,
    long readPauses,
    Duration lastPingRtt) {}
