package io.duplex.nio;

import io.duplex.NodeId;
import io.duplex.TransportConfig;
import io.duplex.security.Identity;

/**
 * {@link LoadTest} over the secure channel: the same mesh of four nodes, traffic, churn and
 * per-connection checks, each node keeping its identity (and so its node id) across rejoins.
 * 10 s unless {@code -Dduplex.load.seconds} says otherwise.
 */
class SecureLoadTest extends LoadTest {
  private static final Identity[] IDENTITIES = {
      Identity.generate(), Identity.generate(), Identity.generate(), Identity.generate()};

  @Override
  long defaultSeconds() {
    return 10;
  }

  @Override
  NodeId nodeId(int index) {
    return IDENTITIES[index].nodeId();
  }

  @Override
  TransportConfig.Builder config(int index) {
    return TransportConfig.builder().identity(IDENTITIES[index]);
  }
}
