package io.duplex;

/**
 * What a connection does when a send would take the bytes queued for its peer past the outbound
 * hard limit ({@link TransportConfig#outboundHardLimit()}). Either way the queue never grows past
 * the limit, so a peer that stops reading cannot exhaust the heap.
 */
public enum SlowPeerPolicy {
  /**
   * Refuse the send: its future fails at once with {@link BackpressureException}, nothing of the
   * frame is queued, and the connection stays open. The default: the application decides.
   */
  FAIL_SEND,
  /**
   * Disconnect the peer: the connection closes with a {@link BackpressureException} as its cause,
   * and every send still queued fails with {@link ConnectionClosedException}. For nodes that would
   * rather reconnect later than feed a peer that cannot keep up.
   */
  DISCONNECT,
  /**
   * Make room by dropping that peer's oldest queued {@link Encoded} frames (broadcasts) that have
   * not started; each dropped send fails with {@link FrameDroppedException}. If dropping them all
   * does not make room, the send is refused as with {@link #FAIL_SEND}: the rest of the queue is
   * other sends, or frames the writer has already taken into the connection's write buffer (up
   * to 256 KiB), which count as started though the socket may not have taken them yet. So keep
   * the hard limit well above 256 KiB where refusals must not happen. For gossip where the
   * newest data matters most.
   */
  DROP_OLDEST
}
