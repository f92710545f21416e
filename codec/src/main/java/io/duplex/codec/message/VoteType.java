package io.duplex.codec.message;

/**
 * The two voting steps of a Tendermint-style consensus round. The binary codec writes the
 * {@linkplain #ordinal() ordinal}, so new constants go at the end.
 */
public enum VoteType {
  /** The first vote on a proposal: the validator saw a valid block. */
  PREVOTE,
  /** The second vote, after enough prevotes: the validator commits to the block. */
  PRECOMMIT
}
