package io.duplex.examples;

import java.util.Objects;

/**
 * The messages of the gossip example: a schema of the user's own, encoded by {@link GossipCodec}.
 * A {@link Rumor} spreads by flooding (each node forwards a rumor it has not seen to all its
 * peers); a {@link Heartbeat} says how many rumors a node knows.
 */
sealed interface Gossip permits Gossip.Heartbeat, Gossip.Rumor {

  /** Node {@code node} knows {@code known} rumors. */
  record Heartbeat(String node, long known) implements Gossip {
    public Heartbeat {
      Objects.requireNonNull(node, "node");
    }
  }

  /** Rumor {@code id}, forwarded {@code hops} times so far, saying {@code text}. */
  record Rumor(long id, int hops, String text) implements Gossip {
    public Rumor {
      Objects.requireNonNull(text, "text");
      if (hops < 0) {
        throw new IllegalArgumentException("hops must be 0 or more, not " + hops);
      }
    }
  }
}
