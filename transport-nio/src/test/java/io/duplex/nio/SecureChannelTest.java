package io.duplex.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.Connection;
import io.duplex.security.CipherSuite;
import io.duplex.security.Identity;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The secure channel end to end over loopback, both suites: identities, order, every size. */
@Timeout(60)
class SecureChannelTest {

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void peersSeeEachOthersKeyDerivedIdsAndExchangeEverySize(CipherSuite suite) throws Exception {
    Identity serverId = Identity.generate();
    Identity clientId = Identity.generate();
    try (Peers.Node server = secure(serverId, suite).listen();
        Peers.Node client = secure(clientId, suite)) {
      Connection<byte[]> c = client.connect(server);
      Connection<byte[]> s = server.nextOpened();
      assertEquals(serverId.nodeId(), c.peer().nodeId());
      assertEquals(clientId.nodeId(), s.peer().nodeId());

      Random random = new Random(42);
      int[] sizes = {0, 1, 63, 64, 65_510, 65_519, 65_520, 200_000, 1 << 20, 3 << 20};
      List<byte[]> sent = new ArrayList<>();
      List<CompletableFuture<Void>> futures = new ArrayList<>();
      for (int round = 0; round < 3; round++) {
        for (int size : sizes) {
          byte[] m = new byte[size];
          random.nextBytes(m);
          sent.add(m);
          futures.add(round == 1 ? c.sendLater(m) : c.send(m));
        }
      }
      c.flush();
      for (byte[] m : sent) {
        assertArrayEquals(m, s.receive(Duration.ofSeconds(20)));
      }
      for (CompletableFuture<Void> f : futures) {
        f.get(10, TimeUnit.SECONDS);
      }
      // and back, many small messages in batches
      for (int i = 0; i < 20_000; i++) {
        s.sendLater(ByteBuffer.allocate(64).putInt(i).array());
      }
      s.flush();
      for (int i = 0; i < 20_000; i++) {
        assertEquals(i, ByteBuffer.wrap(c.receive(Duration.ofSeconds(20))).getInt());
      }
      assertTrue(c.ping().get(10, TimeUnit.SECONDS).toNanos() >= 0);
      c.close().get(10, TimeUnit.SECONDS);
      s.closeFuture().get(10, TimeUnit.SECONDS);
    }
  }

  static Peers.Node secure(Identity id, CipherSuite suite) {
    return new Peers.Node("n", b -> b.identity(id).cipherSuite(suite), t -> { }, c -> { },
        true);
  }
}
