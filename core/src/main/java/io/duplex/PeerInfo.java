package io.duplex;

import java.util.Objects;

/**
 * What a peer said about itself in the handshake.
 *
 * @param nodeId the peer's node id
 * @param networkId the network the peer belongs to (equal to ours, or the handshake failed)
 * @param listenPort the port the peer accepts connections on, or 0 if it does not listen
 * @param codecName the name of the peer's codec (equal to ours, or the handshake failed)
 * @param maxFrameSize the largest frame length the peer accepts; sends above it are refused
 */
public record PeerInfo(
    NodeId nodeId, String networkId, int listenPort, String codecName, int maxFrameSize) {

  /** Checks the fields. */
  public PeerInfo {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(networkId, "networkId");
    Objects.requireNonNull(codecName, "codecName");
    if (listenPort < 0 || listenPort > 65535) {
      throw new IllegalArgumentException("listenPort out of range 0..65535: " + listenPort);
    }
  }
}
