package io.duplex;

/**
 * An immutable snapshot of one lane's counters and gauges on one connection, read with {@link
 * Connection#stats(Lane)}. Counters count from the connection's start; gauges are the value at
 * the moment of the snapshot. docs/METRICS.md describes each field.
 *
 * @param lane the lane's name
 * @param messagesSent messages of this lane whose last byte went to the socket
 * @param messagesReceived messages of this lane received whole and decoded
 * @param pendingBytes gauge: bytes of this lane's messages queued and not yet written, against
 *     its outbound hard limit
 * @param sendCredit gauge: how much the peer lets this side send on the lane now, in credit units
 *     (a message costs its bytes plus 64); 0 while the peer's consumer is stalled
 * @param sendsRefused sends refused at the lane's hard limit
 * @param framesDropped messages dropped before they started: {@link SlowPeerPolicy#DROP_OLDEST}
 *     made room, or a deadline passed
 */
public record LaneStats(String lane, long messagesSent, long messagesReceived, long pendingBytes,
    long sendCredit, long sendsRefused, long framesDropped) {}
