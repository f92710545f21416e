package io.duplex.codec.message;

import java.util.Arrays;
import java.util.Objects;

/**
 * A proposer's block for a height and round. Compares its block bytes by content, and prints
 * their size rather than the bytes.
 *
 * @param height the block height, 0 or more
 * @param round the round at that height, 0 or more
 * @param proposer the proposing node's id
 * @param blockHash the block's hash (hex text)
 * @param block the block's bytes (not copied: treat as read-only)
 */
public record Proposal(long height, int round, String proposer, String blockHash, byte[] block)
    implements ConsensusMessage {

  /** Checks the fields. */
  public Proposal {
    Checks.height(height);
    Checks.round(round);
    Objects.requireNonNull(proposer, "proposer");
    Objects.requireNonNull(blockHash, "blockHash");
    Objects.requireNonNull(block, "block");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Proposal p && height == p.height && round == p.round
        && proposer.equals(p.proposer) && blockHash.equals(p.blockHash)
        && Arrays.equals(block, p.block);
  }

  @Override
  public int hashCode() {
    return Objects.hash(height, round, proposer, blockHash, Arrays.hashCode(block));
  }

  @Override
  public String toString() {
    return "Proposal[height=" + height + ", round=" + round + ", proposer=" + proposer
        + ", blockHash=" + blockHash + ", block=" + block.length + " bytes]";
  }
}
