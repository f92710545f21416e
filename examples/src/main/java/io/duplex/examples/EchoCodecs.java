package io.duplex.examples;

import io.duplex.codec.ByteArrayCodec;
import io.duplex.codec.Codec;
import io.duplex.codec.binary.ConsensusBinaryCodec;
import io.duplex.codec.json.JsonCodec;
import io.duplex.codec.message.ConsensusMessage;
import io.duplex.codec.message.Proposal;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The codecs the echo programs speak, and how each makes a numbered test message of about a
 * given size: a {@link Proposal} for {@code json} and {@code binary}, a byte array for {@code
 * bytes}.
 */
final class EchoCodecs {
  private EchoCodecs() {}

  /** A codec and its test messages. */
  interface Kind<T> {
    Codec<T> codec();

    /** Message number {@code seq} with about {@code size} bytes of payload. */
    T message(int seq, int size);

    /** Whether {@code echo} is exactly {@code sent}. */
    boolean same(T sent, T echo);
  }

  static Kind<?> named(String name) throws Args.UsageException {
    switch (name) {
      case "json":
        return consensus(JsonCodec.consensus());
      case "binary":
        return consensus(ConsensusBinaryCodec.instance());
      case "bytes":
        return new Kind<byte[]>() {
          @Override
          public Codec<byte[]> codec() {
            return ByteArrayCodec.instance();
          }

          @Override
          public byte[] message(int seq, int size) {
            ByteBuffer b = ByteBuffer.allocate(Math.max(4, size)).putInt(seq);
            while (b.hasRemaining()) {
              b.put((byte) (seq + b.position()));
            }
            return b.array();
          }

          @Override
          public boolean same(byte[] sent, byte[] echo) {
            return Arrays.equals(sent, echo);
          }
        };
      default:
        throw new Args.UsageException("--codec must be json, binary or bytes: " + name);
    }
  }

  private static Kind<ConsensusMessage> consensus(Codec<ConsensusMessage> codec) {
    return new Kind<>() {
      @Override
      public Codec<ConsensusMessage> codec() {
        return codec;
      }

      @Override
      public ConsensusMessage message(int seq, int size) {
        byte[] block = new byte[size];
        Arrays.fill(block, (byte) seq);
        return new Proposal(seq, 0, "echo-client", Integer.toHexString(seq), block);
      }

      @Override
      public boolean same(ConsensusMessage sent, ConsensusMessage echo) {
        return sent.equals(echo);
      }
    };
  }
}
