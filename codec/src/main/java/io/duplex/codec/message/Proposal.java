package io.duplex.codec.message;

import java.util.Arrays;

/**
 * A proposer's block for a height and round.
 *
 * <p>The block array is neither copied in nor out (a block can be megabytes, and a broadcast
 * encodes it once for every peer): treat {@link #block()} as read-only. Unlike a plain record,
 * {@link #equals} and {@link #hashCode} compare the block by content, and {@link #toString}
 * prints its size instead of its bytes.
 *
 * @param height the block height, 0 or more
 * @param round the round at that height, 0 or more
 * @param proposer the proposing node's id, not null
 * @param blockHash the block's hash (hex text), not null
 * @param block the block's bytes, not null (may be empty); shared, not copied
 */
public record Proposal(long height, int round, String proposer, String blockHash, byte[] block)
    implements ConsensusMessage {

  /**
   * Checks the fields.
   *
   * @throws IllegalArgumentException if {@code height < 0} or {@code round < 0}
   * @throws NullPointerException if {@code proposer}, {@code blockHash} or {@code block} is null
   */
  public Proposal {
    Checks.height(height);
    Checks.round(round);
    Checks.notNull(proposer, "proposer");
    Checks.notNull(blockHash, "blockHash");
    Checks.notNull(block, "block");
  }

  /** Equal if every field is, the block compared byte by byte. */
  @Override
  public boolean equals(Object o) {
    return o instanceof Proposal && equalTo((Proposal) o);
  }

  private boolean equalTo(Proposal p) {
    return height == p.height && round == p.round && proposer.equals(p.proposer)
        && blockHash.equals(p.blockHash) && Arrays.equals(block, p.block);
  }

  /** A hash of every field, the block's by content. */
  @Override
  public int hashCode() {
    int h = Long.hashCode(height);
    h = 31 * h + round;
    h = 31 * h + proposer.hashCode();
    h = 31 * h + blockHash.hashCode();
    return 31 * h + Arrays.hashCode(block);
  }

  /** The fields, with the block's size in place of its bytes. */
  @Override
  public String toString() {
    return "Proposal[height=" + height + ", round=" + round + ", proposer=" + proposer
        + ", blockHash=" + blockHash + ", block=" + block.length + " bytes]";
  }
}
