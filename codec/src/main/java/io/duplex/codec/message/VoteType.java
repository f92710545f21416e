package io.duplex.codec.message;

/** The two voting rounds of a Tendermint-style consensus step. */
public enum VoteType {
  /** The first vote on a proposal. */
  PREVOTE,
  /** The second vote, committing to the proposal. */
  PRECOMMIT
}
