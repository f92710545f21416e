package io.duplex.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@link NetnsLanes} briefly, as part of the suite: votes on their lane and 16 MiB blocks on
 * theirs, A in a network namespace behind a link shaped to 100 Mbit/s, B here. Asserts only what
 * must hold whatever the machine's speed: every vote delivered, blocks flowed, no failure. The
 * figures it prints are not checked (the full measurement is {@link NetnsLanes#main}, see
 * docs/BENCHMARKS.md). Skipped where namespaces cannot be made. About 10 s.
 */
class NetnsLanesTest {
  @Test
  void shouldDeliverEveryVoteWhileBlocksStreamOverAShapedLink() throws Exception {
    NetnsLanes.Result r = NetnsLanes.run(new NetnsLanes.Setup(true, 5, 0, 0, 0, null,
        "100mbit", "32kb", false, true));
    System.out.println(r.line());
    assertNull(r.problem(), r.line());
    assertEquals(5 * NetnsLanes.RATE, r.votesSent(), r.line());
    assertEquals(r.votesSent(), r.votesReceived(), r.line());
    // 5 s at 100 Mbit/s is about 62 MB; 2 blocks of 16 MiB is a floor any working link clears.
    assertTrue(r.blocksTotal() >= 2, () -> "blocks did not flow: " + r.line());
  }
}
