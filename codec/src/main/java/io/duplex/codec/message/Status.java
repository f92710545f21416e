package io.duplex.codec.message;

import java.util.Objects;

/**
 * A node's announcement of the height it has reached.
 *
 * @param height the node's latest block height, 0 or more
 * @param nodeId the announcing node's id
 */
public record Status(long height, String nodeId) implements ConsensusMessage {

  /** Checks the fields. */
  public Status {
    Checks.height(height);
    Objects.requireNonNull(nodeId, "nodeId");
  }
}
