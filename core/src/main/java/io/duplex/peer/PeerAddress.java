package io.duplex.peer;

import io.duplex.NodeId;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a peer listens, and optionally which node must answer there: {@code
 * <node-id>@host:port} (the node id in hex, as {@link NodeId#toHex()} prints it) or {@code
 * host:port}. A dial to an address with a node id refuses any other node, so a man in the middle
 * holding its own key is refused before anything reaches the application (a {@link
 * io.duplex.HandshakeException} of field {@code IDENTITY}).
 *
 * @param nodeId the node that must answer, or null for any node that authenticates
 * @param address where it listens
 */
public record PeerAddress(NodeId nodeId, InetSocketAddress address) {

  /** Checks the address. */
  public PeerAddress {
    Objects.requireNonNull(address, "address");
  }

  /** Any node at {@code address}. */
  public static PeerAddress of(InetSocketAddress address) {
    return new PeerAddress(null, address);
  }

  /** Node {@code nodeId} at {@code address}. */
  public static PeerAddress of(NodeId nodeId, InetSocketAddress address) {
    return new PeerAddress(Objects.requireNonNull(nodeId, "nodeId"), address);
  }

  /**
   * Parses {@code <node-id>@host:port} or {@code host:port} (an IPv6 host in brackets: {@code
   * [::1]:9000}). The host is resolved now, as {@code new InetSocketAddress(host, port)} does.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static PeerAddress parse(String text) {
    Objects.requireNonNull(text, "text");
    String rest = text.trim();
    NodeId id = null;
    int at = rest.indexOf('@');
    if (at >= 0) {
      try {
        id = NodeId.fromHex(rest.substring(0, at));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("peer address '" + text + "': the part before '@'"
            + " must be a node id in hex: " + e.getMessage(), e);
      }
      rest = rest.substring(at + 1);
    }
    int colon = rest.lastIndexOf(':');
    if (colon <= 0 || colon == rest.length() - 1) {
      throw new IllegalArgumentException("peer address '" + text + "' must be host:port or"
          + " <node-id>@host:port");
    }
    String host = rest.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(rest.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("peer address '" + text + "': the port is not a number");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("peer address '" + text + "': port " + port
          + " is outside 1..65535");
    }
    return new PeerAddress(id, new InetSocketAddress(host, port));
  }

  /** The node id that must answer, if one was given. */
  public Optional<NodeId> expected() {
    return Optional.ofNullable(nodeId);
  }

  /** {@code <node-id>@host:port} or {@code host:port}. */
  @Override
  public String toString() {
    String where = address.getHostString() + ":" + address.getPort();
    return nodeId == null ? where : nodeId.toHex() + "@" + where;
  }
}
