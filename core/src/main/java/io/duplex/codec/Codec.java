package io.duplex.codec;

import java.nio.ByteBuffer;

/**
 * Turns application messages into frame payload bytes and complete frame payloads back into
 * messages. The transport does the framing (the length prefix, control frames, limits); a codec
 * sees one message's payload at a time and never a partial one.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>Stateless and thread-safe.</b> One codec instance serves every connection of a
 *       transport. {@link #encode} runs on whichever thread calls {@code send} (many at once);
 *       {@link #decode} runs on a read loop. Keep no per-call state in fields.</li>
 *   <li><b>Encode into the sink.</b> {@link #encode} writes the payload into a {@link PayloadSink}
 *       the transport owns and reuses, so a message costs no intermediate {@code byte[]}. The
 *       sink enforces the frame size limit while the codec writes.</li>
 *   <li><b>Decode from a borrowed buffer.</b> {@link #decode} gets a buffer whose remaining bytes
 *       are exactly one payload. It is valid only during the call (the transport reuses it), so
 *       copy what the message keeps; do not write to it.</li>
 *   <li><b>Errors are typed.</b> Throw {@link EncoderException} for a message that cannot be
 *       encoded (its send fails, the connection stays open) and {@link DecoderException} for
 *       payload bytes that are not a valid message (that peer's connection closes, and only that
 *       one). Any other exception from a codec is treated as a bug in the codec and handled the
 *       same way.</li>
 * </ul>
 *
 * <p>{@link #name()} is exchanged in the handshake: two peers whose codec names differ do not
 * connect.
 *
 * @param <T> the type of the messages, usually a sealed interface or a common base class
 */
public interface Codec<T> {

  /**
   * A short stable name for the encoding, exchanged in the handshake (for example {@code "json"}
   * or {@code "consensus-binary/1"}). At most 255 bytes of UTF-8. Change it when the encoding
   * changes incompatibly.
   */
  String name();

  /**
   * Writes {@code message}'s payload into {@code sink}.
   *
   * @throws EncoderException if the message cannot be encoded or is too large
   */
  void encode(T message, PayloadSink sink);

  /**
   * Reads one message from {@code payload}, whose remaining bytes are exactly one frame payload.
   *
   * @throws DecoderException if the bytes are not a valid message
   */
  T decode(ByteBuffer payload);
}
