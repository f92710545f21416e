package io.duplex.codec.message;

import java.util.Objects;

/**
 * A validator's vote on a proposal.
 *
 * @param height the block height, 0 or more
 * @param round the round at that height, 0 or more
 * @param type prevote or precommit
 * @param blockHash the hash of the block voted for (hex text)
 * @param voter the voting node's id
 * @param timestampNanos when the vote was sent ({@link System#nanoTime()} of the sender, for
 *     latency measurements on one machine), any value
 */
public record Vote(
    long height, int round, VoteType type, String blockHash, String voter, long timestampNanos)
    implements ConsensusMessage {

  /** Checks the fields. */
  public Vote {
    Checks.height(height);
    Checks.round(round);
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(blockHash, "blockHash");
    Objects.requireNonNull(voter, "voter");
  }
}
