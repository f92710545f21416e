package io.duplex.nio;

/**
 * Every attack of {@link HostileInputTest} made after the handshake, over the secure channel:
 * the attacker ({@link RawPeer} after a secure handshake) seals its frames into valid records:
 * lengths over the limit, frames cut by a FIN or a reset, undecodable JSON, a 2 GiB frame
 * announced, a pipelining flood that never reads its replies, half-closes. The same promises
 * hold: a typed error, the attacker closed, memory bounded, the honest peer undisturbed. The
 * attacks on the plaintext handshake are skipped; {@link SecureHostileInputTest} attacks the
 * secure one and the records themselves.
 */
class SecureHostileFramesTest extends HostileInputTest {
  @Override
  boolean secure() {
    return true;
  }
}
