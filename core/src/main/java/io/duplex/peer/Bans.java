package io.duplex.peer;

import io.duplex.HandshakeException;
import io.duplex.ProtocolException;
import io.duplex.codec.DecoderException;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node's bans: node ids ({@code NodeId}) and IP addresses ({@code InetAddress}) refused until
 * a deadline. A ban is either the application's ({@link PeerNode#ban}) or the node's own, of a
 * peer that broke the protocol: a <em>hostile</em> ban, whose connections are aborted rather
 * than told why (see {@link Mesh#onOpen}).
 *
 * <p>Threads: {@link #ban} runs on application threads and, for hostile bans, on the event
 * thread of the connection that broke the protocol (or the one that reports its failed
 * handshake); {@link #find} runs on read loop 0 (accept checks), on event threads ({@code
 * onOpen}) and on application threads. The one field, {@code bans}, is a {@code
 * ConcurrentHashMap} of immutable entries: a ban replaces the entry whole, and the check that
 * finds an entry expired removes it only if it is still that entry ({@code remove(key, value)}),
 * so a ban made in between stays.
 */
final class Bans {
  /** One ban: until when, and whether the node made it for a protocol violation. */
  record Ban(long untilNanos, boolean hostile) {}

  private final ConcurrentHashMap<Object, Ban> bans = new ConcurrentHashMap<>();

  /** Bans {@code key} (a node id or an IP address) for {@code duration}, replacing any ban. */
  void ban(Object key, Duration duration, boolean hostile) {
    long now = System.nanoTime();
    long until = now + Math.min(duration.toNanos(), Long.MAX_VALUE / 4);
    bans.put(key, new Ban(until, hostile));
  }

  /** {@code key}'s ban in force now, or null. */
  Ban find(Object key) {
    Ban ban = bans.get(key);
    if (ban == null) {
      return null;
    }
    if (System.nanoTime() - ban.untilNanos() > 0) {
      bans.remove(key, ban);
      return null;
    }
    return ban;
  }

  /** Whether {@code key} is banned now. */
  boolean isBanned(Object key) {
    return find(key) != null;
  }

  /**
   * Whether {@code cause} (of a failed handshake or a closed connection) shows a broken or
   * hostile peer: bad frames, undecodable messages, a garbage handshake. Mismatched settings
   * (network id, codec, node id) and timeouts are not: an honest peer can have those.
   */
  static boolean brokeProtocol(Throwable cause) {
    if (cause instanceof HandshakeException) {
      HandshakeException.Field f = ((HandshakeException) cause).field();
      return f == HandshakeException.Field.MAGIC || f == HandshakeException.Field.VERSION
          || f == HandshakeException.Field.FORMAT;
    }
    return cause instanceof DecoderException || cause instanceof ProtocolException;
  }
}
