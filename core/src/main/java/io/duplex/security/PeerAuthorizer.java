package io.duplex.security;

import io.duplex.PeerInfo;

/**
 * Decides, once a peer has proved its identity in the secure handshake, whether it may stay: for
 * example, whether its node id is in the current validator set. Runs on a read loop for every
 * new connection, inbound and outbound, before the connection opens; keep it fast and never
 * block in it. A peer refused here (or whose check throws) is closed with a {@link
 * io.duplex.HandshakeException} of field {@code UNAUTHORIZED}; nothing of it reaches the
 * application.
 */
@FunctionalInterface
public interface PeerAuthorizer {
  /**
   * Whether {@code peer} may connect. Its node id is authenticated: derived from the identity
   * key whose signature the handshake checked.
   *
   * @param peer what the peer said in the handshake, with its authenticated node id
   * @param inbound true if the peer dialed us, false if we dialed it
   */
  boolean allows(PeerInfo peer, boolean inbound);
}
