package io.duplex.peer;

import io.duplex.DuplexException;

/**
 * A broadcast's quorum can no longer be reached: so many peers' sends failed that fewer than the
 * quorum can still succeed, or the broadcast went to fewer peers than the quorum. The message
 * gives the quorum, the peers, and how many failed.
 */
public class QuorumUnreachableException extends DuplexException {
  private static final long serialVersionUID = 1L;

  private final int quorum;
  private final int peers;
  private final int failed;

  /** Quorum {@code quorum} of {@code peers} unreachable after {@code failed} failures. */
  public QuorumUnreachableException(int quorum, int peers, int failed) {
    super(quorum > peers
        ? "quorum of " + quorum + " unreachable: the broadcast went to " + peers + " peers only"
            + " (PeerGroup.size() when it was sent); wait for more peers, or ask for fewer"
        : "quorum of " + quorum + " unreachable: " + failed + " of " + peers
            + " peers' sends failed (see BroadcastResult.outcomes() for each peer's cause)");
    this.quorum = quorum;
    this.peers = peers;
    this.failed = failed;
  }

  /** The quorum that was asked for. */
  public int quorum() {
    return quorum;
  }

  /** The peers the broadcast went to. */
  public int peers() {
    return peers;
  }

  /** The peers whose send failed. */
  public int failed() {
    return failed;
  }
}
