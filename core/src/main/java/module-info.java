/**
 * duplex core: the public API ({@code io.duplex}), the codec SPI and framing ({@code
 * io.duplex.codec}), the peer layer ({@code io.duplex.peer}: a node that keeps its peers
 * connected and broadcasts to them), and node identities ({@code io.duplex.security}: Ed25519
 * key pairs and their key files). {@code io.duplex.internal} is shared with duplex's own
 * transport only.
 */
module io.duplex.core {
  requires org.slf4j;

  exports io.duplex;
  exports io.duplex.codec;
  exports io.duplex.peer;
  exports io.duplex.security;
  exports io.duplex.internal to io.duplex.transport.nio;
  exports io.duplex.internal.noise to io.duplex.transport.nio;
}
