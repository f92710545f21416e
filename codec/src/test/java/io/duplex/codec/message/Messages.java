package io.duplex.codec.message;

import java.util.List;
import java.util.Random;

/** Sample messages of every registered type, edge values included. */
public final class Messages {
  private Messages() {}

  public static List<ConsensusMessage> samples() {
    byte[] big = new byte[256 * 1024];
    new Random(42).nextBytes(big);
    return List.of(
        new Vote(7, 0, VoteType.PREVOTE, "ab".repeat(32), "validator-1", 123456789L),
        new Vote(Long.MAX_VALUE, Integer.MAX_VALUE, VoteType.PRECOMMIT, "", "", Long.MIN_VALUE),
        new Vote(0, 0, VoteType.PRECOMMIT, "h", "nœud-ünïcødé-✓-🚀", -1),
        new Proposal(1, 2, "proposer", "cd".repeat(32), new byte[0]),
        new Proposal(1_000_000, 3, "p", "x", big),
        new Status(0, "n"),
        new Status(42, "status-node-é"));
  }
}
