package io.duplex.codec;

import java.nio.ByteBuffer;

/**
 * The identity codec: a message is its payload bytes. For applications that do their own
 * serialization, and for measuring the transport without a serializer in the way.
 *
 * <p>{@link #encode} writes the array as it is; {@link #decode} copies the payload into a new
 * array, since the transport reuses its buffer. Every byte sequence, the empty one included, is a
 * valid message.
 */
public final class ByteArrayCodec implements Codec<byte[]> {
  private static final ByteArrayCodec INSTANCE = new ByteArrayCodec();

  private ByteArrayCodec() {}

  /** The codec; it has no state, so one instance serves everyone. */
  public static ByteArrayCodec instance() {
    return INSTANCE;
  }

  @Override
  public String name() {
    return "bytes";
  }

  @Override
  public void encode(byte[] message, PayloadSink sink) {
    sink.write(message, 0, message.length);
  }

  @Override
  public byte[] decode(ByteBuffer payload) {
    byte[] bytes = new byte[payload.remaining()];
    payload.get(bytes);
    return bytes;
  }
}
