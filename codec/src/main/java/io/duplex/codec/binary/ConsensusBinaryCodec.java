package io.duplex.codec.binary;

import io.duplex.codec.Codec;
import io.duplex.codec.CorruptedFrameException;
import io.duplex.codec.DecoderException;
import io.duplex.codec.EncoderException;
import io.duplex.codec.PayloadSink;
import io.duplex.codec.message.ConsensusMessage;
import io.duplex.codec.message.Proposal;
import io.duplex.codec.message.Status;
import io.duplex.codec.message.Vote;
import io.duplex.codec.message.VoteType;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A compact binary codec for the {@link ConsensusMessage} family, written by hand the way an
 * application extending duplex would write one: the worked example of the {@link Codec} SPI.
 *
 * <h2>Layout</h2>
 * A payload is one tag byte, then the message's fields in declaration order, with nothing before,
 * between or after them. Integers are big-endian two's complement ({@code i32}, {@code i64}) or
 * unsigned ({@code u8}, {@code u16}, {@code u32}). A string is a {@code u16} byte count then that
 * many bytes of UTF-8 (so at most 65,535 bytes); a byte array is a {@code u32} byte count then
 * the bytes. Offsets below are in bytes; {@code a}, {@code b} are the string and array lengths.
 * <pre>
 *  offset       size  field
 *  0            1     u8  tag: 1 proposal, 2 vote, 3 status
 *
 *  proposal (tag 1)
 *  1            8     i64 height (0 or more)
 *  9            4     i32 round (0 or more)
 *  13           2     u16 a = proposer length
 *  15           a         proposer, UTF-8
 *  15+a         2     u16 b = blockHash length
 *  17+a         b         blockHash, UTF-8
 *  17+a+b       4     u32 c = block length
 *  21+a+b       c         block                          total 21+a+b+c
 *
 *  vote (tag 2)
 *  1            8     i64 height (0 or more)
 *  9            4     i32 round (0 or more)
 *  13           1     u8  type: 0 PREVOTE, 1 PRECOMMIT (the VoteType ordinal)
 *  14           2     u16 a = blockHash length
 *  16           a         blockHash, UTF-8
 *  16+a         2     u16 b = voter length
 *  18+a         b         voter, UTF-8
 *  18+a+b       8     i64 timestampNanos (any value)    total 26+a+b
 *
 *  status (tag 3)
 *  1            8     i64 height (0 or more)
 *  9            2     u16 a = nodeId length
 *  11           a         nodeId, UTF-8                  total 11+a
 * </pre>
 * For example {@code new Status(42, "n1")} is the 13 bytes {@code 03 00 00 00 00 00 00 00 2A 00
 * 02 6E 31}, and a vote with a 64-character hash and an 11-character voter id is 101 bytes (about
 * 180 in JSON).
 *
 * <h2>Errors</h2>
 * The decoder checks every length against the bytes that remain before it allocates anything, so
 * a peer that declares a 4 GiB block costs nothing. It throws {@link CorruptedFrameException} for
 * a truncated payload or bytes left over, and {@link DecoderException} for an unknown tag or vote
 * type, a string that is not strictly valid UTF-8 (overlong forms and surrogates included), or a
 * field the message refuses (a negative height); never an {@link IndexOutOfBoundsException} or
 * {@link java.nio.BufferUnderflowException}. The encoder throws {@link EncoderException} for a
 * string longer than 65,535 bytes of UTF-8, before writing anything.
 *
 * <p>Stateless and thread-safe. {@link #decode} reads any buffer (heap at any offset, direct,
 * read-only) through a slice, so the caller's position and byte order are left alone.
 */
public final class ConsensusBinaryCodec implements Codec<ConsensusMessage> {
  /** Tag of a {@link Proposal}. */
  static final int PROPOSAL = 1;
  /** Tag of a {@link Vote}. */
  static final int VOTE = 2;
  /** Tag of a {@link Status}. */
  static final int STATUS = 3;
  private static final String KNOWN_TAGS = "1 (proposal), 2 (vote), 3 (status)";
  private static final VoteType[] VOTE_TYPES = VoteType.values();
  private static final int MAX_STRING_BYTES = 0xFFFF;

  private static final ConsensusBinaryCodec INSTANCE = new ConsensusBinaryCodec();

  private ConsensusBinaryCodec() {}

  /** The codec; it has no state, so one instance serves every connection. */
  public static ConsensusBinaryCodec instance() {
    return INSTANCE;
  }

  /** {@code "consensus-binary/1"}; the version changes if the layout ever does. */
  @Override
  public String name() {
    return "consensus-binary/1";
  }

  @Override
  public void encode(ConsensusMessage message, PayloadSink out) {
    if (message instanceof Vote) {
      Vote v = (Vote) message;
      byte[] blockHash = utf8(v.blockHash(), "blockHash");
      byte[] voter = utf8(v.voter(), "voter");
      out.write(VOTE);
      out.writeLong(v.height());
      out.writeInt(v.round());
      out.write(v.type().ordinal());
      writeString(out, blockHash);
      writeString(out, voter);
      out.writeLong(v.timestampNanos());
    } else if (message instanceof Proposal) {
      Proposal p = (Proposal) message;
      byte[] proposer = utf8(p.proposer(), "proposer");
      byte[] blockHash = utf8(p.blockHash(), "blockHash");
      out.write(PROPOSAL);
      out.writeLong(p.height());
      out.writeInt(p.round());
      writeString(out, proposer);
      writeString(out, blockHash);
      out.writeInt(p.block().length);
      out.write(p.block());
    } else if (message instanceof Status) {
      Status s = (Status) message;
      byte[] nodeId = utf8(s.nodeId(), "nodeId");
      out.write(STATUS);
      out.writeLong(s.height());
      writeString(out, nodeId);
    } else if (message == null) {
      throw new NullPointerException("message == null");
    } else { // only through raw types or a newer ConsensusMessage than this codec knows
      throw new EncoderException("cannot encode a " + message.getClass().getName() + ": "
          + name() + " knows only Proposal, Vote and Status");
    }
  }

  private static byte[] utf8(String s, String field) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > MAX_STRING_BYTES) {
      throw new EncoderException(field + " is " + bytes.length + " bytes of UTF-8, more than"
          + " the " + MAX_STRING_BYTES + " its u16 length can say");
    }
    return bytes;
  }

  private static void writeString(PayloadSink out, byte[] utf8) {
    out.writeShort(utf8.length);
    out.write(utf8);
  }

  @Override
  public ConsensusMessage decode(ByteBuffer payload) {
    ByteBuffer in = payload.slice(); // big-endian, from 0; the caller's position stays put
    int tag = u8(in, "tag");
    ConsensusMessage message;
    try {
      switch (tag) {
        case PROPOSAL:
          message = new Proposal(i64(in, "height"), i32(in, "round"), string(in, "proposer"),
              string(in, "blockHash"), bytes(in, "block"));
          break;
        case VOTE:
          message = new Vote(i64(in, "height"), i32(in, "round"), voteType(in),
              string(in, "blockHash"), string(in, "voter"), i64(in, "timestampNanos"));
          break;
        case STATUS:
          message = new Status(i64(in, "height"), string(in, "nodeId"));
          break;
        default:
          throw new DecoderException("unknown message tag " + tag + "; known tags: "
              + KNOWN_TAGS);
      }
    } catch (IllegalArgumentException e) { // a record's check, such as height < 0
      throw new DecoderException("invalid " + tagName(tag) + ": " + e.getMessage(), e);
    }
    if (in.hasRemaining()) {
      throw new CorruptedFrameException(in.remaining() + " bytes left over after a complete "
          + tagName(tag) + " of " + in.position() + " bytes; a payload is exactly one message");
    }
    return message;
  }

  private static String tagName(int tag) {
    return tag == PROPOSAL ? "proposal" : tag == VOTE ? "vote" : "status";
  }

  /** Fails unless {@code n} more bytes remain; called before anything is read or allocated. */
  private static void need(ByteBuffer in, long n, String field) {
    if (in.remaining() < n) {
      throw new CorruptedFrameException("truncated message: " + field + " needs " + n
          + " bytes at byte " + in.position() + ", only " + in.remaining() + " left");
    }
  }

  private static int u8(ByteBuffer in, String field) {
    need(in, 1, field);
    return in.get() & 0xFF;
  }

  private static int i32(ByteBuffer in, String field) {
    need(in, 4, field);
    return in.getInt();
  }

  private static long i64(ByteBuffer in, String field) {
    need(in, 8, field);
    return in.getLong();
  }

  private static VoteType voteType(ByteBuffer in) {
    int ordinal = u8(in, "vote type");
    if (ordinal >= VOTE_TYPES.length) {
      throw new DecoderException("unknown vote type " + ordinal + "; known: 0 (PREVOTE),"
          + " 1 (PRECOMMIT)");
    }
    return VOTE_TYPES[ordinal];
  }

  private static String string(ByteBuffer in, String field) {
    need(in, 2, field + " length");
    int n = in.getShort() & 0xFFFF;
    need(in, n, field);
    int start = in.position();
    in.position(start + n);
    if (in.hasArray() && isAscii(in.array(), in.arrayOffset() + start, n)) {
      // The common case, and ASCII is valid UTF-8: one copy, no decoder.
      return new String(in.array(), in.arrayOffset() + start, n, StandardCharsets.US_ASCII);
    }
    try {
      return StandardCharsets.UTF_8.newDecoder() // not thread-safe, so one per string
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(in.slice(start, n))
          .toString();
    } catch (CharacterCodingException e) {
      throw new DecoderException(field + " (" + n + " bytes at byte " + start
          + ") is not valid UTF-8: " + e, e);
    }
  }

  private static boolean isAscii(byte[] bytes, int from, int length) {
    for (int i = from, end = from + length; i < end; i++) {
      if (bytes[i] < 0) {
        return false;
      }
    }
    return true;
  }

  private static byte[] bytes(ByteBuffer in, String field) {
    need(in, 4, field + " length");
    long n = in.getInt() & 0xFFFFFFFFL;
    need(in, n, field); // before the allocation: a declared 4 GiB fails here
    byte[] bytes = new byte[(int) n];
    in.get(bytes);
    return bytes;
  }
}
