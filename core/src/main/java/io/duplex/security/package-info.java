/**
 * Node identities: {@link io.duplex.security.Identity}, a node's Ed25519 key pair (RFC 8032)
 * whose public key names the node (its {@link io.duplex.NodeId} is the first 20 bytes of the
 * key's SHA-256), and the PEM key file that keeps it, the format {@code openssl genpkey -algorithm
 * ed25519} writes. A key file that cannot be used throws {@link
 * io.duplex.security.KeyFileException}, whose message says what to do.
 *
 * <p>Everything here uses the JDK's own Ed25519, SHA-256 and key encodings ({@code
 * java.security}); no key material appears in a message or in {@code toString}.
 */
package io.duplex.security;
