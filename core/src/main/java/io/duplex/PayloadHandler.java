package io.duplex;

import java.nio.ByteBuffer;

/**
 * Receives every message of a transport as its payload bytes, lent for the duration of the call:
 * the lent receive path, with no decoded message and no copy. For relaying, hashing, counting, or
 * decoding into objects the application reuses. Installed once per transport (for example {@code
 * NioTransport.Builder.payloadHandler}), so it gets every message of every connection from the
 * first one; {@link Connection#receive} and {@link Connection#onMessage} are then not available.
 *
 * <h2>The lent buffer</h2>
 * {@code payload}'s remaining bytes are exactly one message's payload (what the codec's {@code
 * encode} wrote). It belongs to the transport and is <b>valid only until this call returns</b>:
 * then its bytes are overwritten by the next message. Copy exactly what you keep; keep no
 * reference to the buffer, to a slice or duplicate of it, or to its backing array. Do not write
 * to it. It may be a direct buffer ({@link ByteBuffer#hasArray()} false) or a heap buffer whose
 * array holds other bytes outside the remaining range. Changing its position or limit is allowed
 * and has no effect on the transport. A debug switch ({@code
 * NioTransport.Builder.poisonLentBuffers}, or the system property {@code
 * duplex.poisonLentBuffers=true}) overwrites the bytes and empties the buffer as each call
 * returns, so code that keeps one fails loudly in tests.
 *
 * <h2>Threads and order</h2>
 * It runs on the connection's read loop, with no hand-off: calls for one connection never
 * overlap and come in arrival order (across lanes too), after {@link
 * ConnectionListener#onOpen} has returned for it and before {@link ConnectionListener#onClose}.
 * The read loop serves other connections too, so the handler must be quick and must not block:
 * while it runs, no connection of that loop is read, and its time counts against their {@link
 * TransportConfig#frameReadTimeout()}. Work that may block goes elsewhere, with a copy of the
 * bytes it needs. Flow control is the handler's pace: the socket is read no faster than the
 * handler returns, and a lane's credit is granted back as each call returns. Messages that arrive
 * before {@code onOpen} has returned are copied and held (within the inbound queue's limits),
 * then lent in order; if the connection closes before the read loop could lend them, they are
 * lent from the thread that then runs {@code onClose}, just before it.
 *
 * <p>An exception thrown from here closes this connection only (the peer is told, as for a
 * {@link MessageHandler} that throws); the message is not given again.
 *
 * @param <T> the transport's message type (the handler gets bytes, not messages of it)
 */
@FunctionalInterface
public interface PayloadHandler<T> {
  /**
   * Handles one message's payload, lent until this returns.
   *
   * @param connection the connection it arrived on
   * @param lane the lane it arrived on: {@link Lane#DEFAULT} without lanes, otherwise one of
   *     the transport's {@link TransportConfig#lanes()} (the same instance)
   * @param payload the payload's bytes, its remaining ones; valid only during the call
   */
  void onPayload(Connection<T> connection, Lane lane, ByteBuffer payload) throws Exception;
}
