package io.duplex.codec;

import io.duplex.internal.FrameBuffer;
import java.nio.ByteBuffer;

/**
 * Runs a {@link Codec} outside a transport: to test a codec, to store messages, or to compare an
 * encoding with another implementation's bytes. Uses the same {@link PayloadSink} a transport
 * would, so a codec that works here works on the wire.
 */
public final class Codecs {
  private Codecs() {}

  /**
   * The payload {@code codec} writes for {@code message}, with no frame header.
   *
   * @throws EncoderException if the codec refuses the message, or the payload passes {@code
   *     maxPayload} bytes
   */
  public static <T> byte[] encode(Codec<T> codec, T message, int maxPayload) {
    FrameBuffer sink = FrameBuffer.forPayloadOnly(256, maxPayload);
    codec.encode(message, sink);
    return sink.payloadToArray();
  }

  /** {@link #encode(Codec, Object, int)} with no limit but the array size. */
  public static <T> byte[] encode(Codec<T> codec, T message) {
    return encode(codec, message, Integer.MAX_VALUE - 16);
  }

  /**
   * The message {@code codec} reads from {@code payload}.
   *
   * @throws DecoderException if the bytes are not a valid message
   */
  public static <T> T decode(Codec<T> codec, byte[] payload) {
    return codec.decode(ByteBuffer.wrap(payload));
  }
}
