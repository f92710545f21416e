package io.duplex.codec.message;

/**
 * The messages of a small consensus protocol, as a blockchain node's network layer carries them:
 * block {@link Proposal}s, {@link Vote}s on them, and {@link Status} announcements.
 *
 * <p>This is duplex's example message family: both codecs of this module encode it ({@code
 * JsonCodec.consensus()} and {@code ConsensusBinaryCodec}), and the demos and benchmarks send it.
 * An application's own family is any sealed interface or base class it registers with a codec.
 * Every message is immutable apart from {@link Proposal#block()}, whose array is shared.
 */
public sealed interface ConsensusMessage permits Proposal, Vote, Status {

  /** The block height the message is about, 0 or more. */
  long height();
}
