package io.duplex.benchmarks.baseline;

import io.duplex.NodeId;
import io.duplex.TransportConfig;
import io.duplex.security.CipherSuite;

/** The duplex baselines' configurations: insecure plaintext, or secure with one suite. */
final class DuplexSecurity {
  private DuplexSecurity() {}

  /** Plaintext named {@code name} if {@code suite} is null; otherwise secure, a fresh key. */
  static TransportConfig.Builder config(CipherSuite suite, String name) {
    return suite == null
        ? TransportConfig.builder().insecurePlaintext().nodeId(NodeId.of(name))
        : TransportConfig.builder().cipherSuite(suite);
  }
}
