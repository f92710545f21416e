package io.duplex.codec.testing;

import io.duplex.codec.message.ConsensusMessage;
import io.duplex.codec.message.Proposal;
import io.duplex.codec.message.Status;
import io.duplex.codec.message.Vote;
import io.duplex.codec.message.VoteType;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Messages of every type for codec tests: edge values, and seeded random ones. */
public final class Messages {
  /** The size of the big block in {@link #samples()}. */
  public static final int BIG_BLOCK = 256 * 1024;

  private Messages() {}

  /** {@link #small()} and a proposal with a {@value #BIG_BLOCK}-byte random block. */
  public static List<ConsensusMessage> samples() {
    byte[] big = new byte[BIG_BLOCK];
    new Random(42).nextBytes(big);
    List<ConsensusMessage> all = new ArrayList<>(small());
    all.add(new Proposal(1_000_000, 3, "p", "x", big));
    return all;
  }

  /** Every type with empty, unicode, zero, extreme and negative-where-allowed values. */
  public static List<ConsensusMessage> small() {
    return List.of(
        new Vote(7, 0, VoteType.PREVOTE, "ab".repeat(32), "validator-1", 123_456_789L),
        new Vote(Long.MAX_VALUE, Integer.MAX_VALUE, VoteType.PRECOMMIT, "", "", Long.MIN_VALUE),
        new Vote(0, 0, VoteType.PRECOMMIT, "h", "nœud-ünïcødé-✓-🚀-中文", -1),
        new Vote(1, 1, VoteType.PREVOTE, "\"quoted\\\" \n\t\u0000 controls", "v", Long.MAX_VALUE),
        new Proposal(0, 0, "", "", new byte[0]),
        new Proposal(1, 2, "proposer", "cd".repeat(32), new byte[] {0, -1, 127, -128}),
        new Proposal(Long.MAX_VALUE, Integer.MAX_VALUE, "πρόταση", "é", new byte[] {1}),
        new Status(0, ""),
        new Status(42, "status-node-é-🚀"),
        new Status(Long.MAX_VALUE, "n"));
  }

  /** A random message of a random type; strings include non-ASCII characters. */
  public static ConsensusMessage random(Random random) {
    long height = random.nextLong() & Long.MAX_VALUE;
    int round = random.nextInt(Integer.MAX_VALUE);
    switch (random.nextInt(3)) {
      case 0:
        byte[] block = new byte[random.nextInt(512)];
        random.nextBytes(block);
        return new Proposal(height, round, text(random), text(random), block);
      case 1:
        VoteType type = VoteType.values()[random.nextInt(VoteType.values().length)];
        return new Vote(height, round, type, text(random), text(random), random.nextLong());
      default:
        return new Status(height, text(random));
    }
  }

  private static String text(Random random) {
    String alphabet = "abcdef0123456789-é中🚀";
    StringBuilder s = new StringBuilder();
    for (int i = random.nextInt(24); i > 0; i--) {
      s.appendCodePoint(alphabet.codePointAt(
          alphabet.offsetByCodePoints(0, random.nextInt(alphabet.codePointCount(0,
              alphabet.length())))));
    }
    return s.toString();
  }
}
