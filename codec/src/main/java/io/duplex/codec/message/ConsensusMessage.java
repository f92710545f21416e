package io.duplex.codec.message;

/**
 * The messages of a small consensus protocol, as a blockchain node's network layer carries them:
 * block {@link Proposal}s, {@link Vote}s on them, and {@link Status} announcements. The example
 * family that duplex's codecs, demos and benchmarks use; your own family is any sealed interface
 * or base class you register with a codec.
 */
public sealed interface ConsensusMessage permits Proposal, Vote, Status {}
