package io.duplex.codec.message;

/**
 * A validator's vote for a block at a height and round.
 *
 * @param height the block height, 0 or more
 * @param round the round at that height, 0 or more
 * @param type prevote or precommit, not null
 * @param blockHash the hash of the block voted for (hex text), not null
 * @param voter the voting node's id, not null
 * @param timestampNanos when the vote was sent, as the sender's {@link System#nanoTime()} (for
 *     latency measurements between nodes on one machine); any value, negative included
 */
public record Vote(
    long height, int round, VoteType type, String blockHash, String voter, long timestampNanos)
    implements ConsensusMessage {

  /**
   * Checks the fields.
   *
   * @throws IllegalArgumentException if {@code height < 0} or {@code round < 0}
   * @throws NullPointerException if {@code type}, {@code blockHash} or {@code voter} is null
   */
  public Vote {
    Checks.height(height);
    Checks.round(round);
    Checks.notNull(type, "type");
    Checks.notNull(blockHash, "blockHash");
    Checks.notNull(voter, "voter");
  }
}
