package io.duplex.examples;

import io.duplex.codec.Codec;
import io.duplex.codec.CorruptedFrameException;
import io.duplex.codec.DecoderException;
import io.duplex.codec.EncoderException;
import io.duplex.codec.PayloadSink;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A hand-written binary codec for the {@link Gossip} messages: the example of a user's own codec
 * that the README's "Writing a codec" walks through.
 *
 * <pre>
 *   heartbeat: 0x01, node (string), known (8 bytes)
 *   rumor:     0x02, id (8 bytes), hops (4 bytes, 0 or more), text (string)
 *   string:    length (2 bytes, unsigned), that many bytes of UTF-8
 * </pre>
 *
 * <p>All integers big-endian. The codec keeps no state: one instance serves every sender thread
 * and read loop of a transport at once.
 */
final class GossipCodec implements Codec<Gossip> {
  static final byte HEARTBEAT = 1;
  static final byte RUMOR = 2;
  static final int MAX_STRING_BYTES = 0xFFFF;

  @Override
  public String name() {
    return "gossip/1"; // exchanged in the handshake: bump it when the encoding changes
  }

  @Override
  public void encode(Gossip message, PayloadSink sink) {
    if (message instanceof Gossip.Heartbeat h) {
      sink.write(HEARTBEAT);
      writeString(sink, h.node(), "heartbeat node");
      sink.writeLong(h.known());
    } else if (message instanceof Gossip.Rumor r) {
      sink.write(RUMOR);
      sink.writeLong(r.id());
      sink.writeInt(r.hops());
      writeString(sink, r.text(), "rumor text");
    } else {
      // Only reachable with a null: the sealed interface has no other kinds.
      throw new EncoderException("gossip/1 cannot encode " + message);
    }
  }

  @Override
  public Gossip decode(ByteBuffer payload) {
    try {
      byte tag = payload.get();
      Gossip message = switch (tag) {
        case HEARTBEAT -> new Gossip.Heartbeat(readString(payload, "heartbeat node"),
            payload.getLong());
        case RUMOR -> new Gossip.Rumor(payload.getLong(), readHops(payload),
            readString(payload, "rumor text"));
        default -> throw new CorruptedFrameException("gossip/1: unknown message tag "
            + tag + " (1 is a heartbeat, 2 a rumor); is the peer running a newer"
            + " version?");
      };
      if (payload.hasRemaining()) {
        throw new CorruptedFrameException("gossip/1: " + payload.remaining()
            + " bytes after the end of a message; a frame holds exactly one message");
      }
      return message;
    } catch (BufferUnderflowException e) {
      throw new CorruptedFrameException("gossip/1: the payload ends inside a message ("
          + payload.limit() + " bytes); the peer sent a truncated message");
    }
  }

  private static int readHops(ByteBuffer payload) {
    int hops = payload.getInt();
    if (hops < 0) {
      throw new CorruptedFrameException("gossip/1: a rumor with " + hops
          + " hops; hops are 0 or more");
    }
    return hops;
  }

  private static void writeString(PayloadSink sink, String s, String field) {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    if (utf8.length > MAX_STRING_BYTES) {
      // The send fails with this; the connection stays open.
      throw new EncoderException("gossip/1: the " + field + " is " + utf8.length
          + " bytes of UTF-8; at most " + MAX_STRING_BYTES + " fit. Split it or shorten it.");
    }
    sink.writeShort(utf8.length);
    sink.write(utf8);
  }

  private static String readString(ByteBuffer payload, String field) {
    int length = Short.toUnsignedInt(payload.getShort());
    if (length > payload.remaining()) {
      throw new CorruptedFrameException("gossip/1: the " + field + " claims " + length
          + " bytes but " + payload.remaining() + " are left");
    }
    ByteBuffer bytes = payload.slice(payload.position(), length);
    payload.position(payload.position() + length);
    try {
      // A fresh decoder that reports bad UTF-8 instead of replacing it: the payload buffer is
      // borrowed, so the String (a copy) is all the message keeps of it.
      CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes);
      return chars.toString();
    } catch (CharacterCodingException e) {
      throw new DecoderException("gossip/1: the " + field + " is not valid UTF-8", e);
    }
  }
}
