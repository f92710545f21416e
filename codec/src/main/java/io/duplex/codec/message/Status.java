package io.duplex.codec.message;

/**
 * A node's announcement of the height it has reached, which peers use to decide whether it needs
 * to catch up.
 *
 * @param height the node's latest block height, 0 or more
 * @param nodeId the announcing node's id, not null (may be empty)
 */
public record Status(long height, String nodeId) implements ConsensusMessage {

  /**
   * Checks the fields.
   *
   * @throws IllegalArgumentException if {@code height < 0}
   * @throws NullPointerException if {@code nodeId} is null
   */
  public Status {
    Checks.height(height);
    Checks.notNull(nodeId, "nodeId");
  }
}
