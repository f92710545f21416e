package io.duplex;

import java.util.Map;

/**
 * An immutable snapshot of a transport's counters and gauges, read with {@link
 * Transport#stats()}. Totals include connections that have closed since the transport started.
 * docs/METRICS.md describes each field.
 *
 * @param openConnections gauge: connections that completed the handshake and are not closed
 * @param accepted connections accepted from listening sockets
 * @param dialed connections dialed with {@code connect}
 * @param closed connections that ended, for any reason
 * @param inboundConnections gauge: accepted connections alive (handshake pending or done), what
 *     {@link TransportConfig#maxInboundConnections()} bounds
 * @param refusedByLimit accepted sockets reset at once because {@link
 *     TransportConfig#maxInboundConnections()} or {@link
 *     TransportConfig#maxInboundConnectionsPerAddress()} was reached
 * @param messagesOut application messages sent, over all connections
 * @param bytesOut bytes written, over all connections
 * @param messagesIn application messages received, over all connections
 * @param bytesIn bytes read, over all connections
 * @param pendingBytes gauge: outbound bytes queued over all open connections
 * @param writeThroughs frames written by the sending thread, over all connections
 * @param deferredWrites frames written after queueing, over all connections
 * @param sendsRefused sends refused at a hard limit, over all connections
 * @param sendsTimedOut frames dropped at their send deadline, over all connections
 * @param readPauses read pauses for inbound backpressure, over all connections
 * @param writeWakeups times another thread woke a write loop's selector
 * @param errors errors reported, by the simple name of the exception's class
 */
public record TransportStats(
    long openConnections,
    long accepted,
    long dialed,
    long closed,
    long inboundConnections,
    long refusedByLimit,
    long messagesOut,
    long bytesOut,
    long messagesIn,
    long bytesIn,
    long pendingBytes,
    long writeThroughs,
    long deferredWrites,
    long sendsRefused,
    long sendsTimedOut,
    long readPauses,
    long writeWakeups,
    Map<String, Long> errors) {

  /** Copies {@code errors}, so the snapshot stays immutable. */
  public TransportStats {
    errors = Map.copyOf(errors);
  }
}
