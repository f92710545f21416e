package io.duplex.codec.json;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JacksonException;
import io.duplex.codec.Codecs;
import io.duplex.codec.CorruptedFrameException;
import io.duplex.codec.DecoderException;
import io.duplex.codec.message.ConsensusMessage;
import io.duplex.codec.message.Status;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad payloads for the consensus JSON codec: each is a DecoderException saying what is wrong. */
class JsonCodecRejectionTest {
  private static final String STATUS =
      "{\"type\":\"status\",\"data\":{\"height\":3,\"nodeId\":\"n\"}}";
  private static final String VOTE_DATA = "\"height\":1,\"round\":0,\"blockHash\":\"h\","
      + "\"voter\":\"v\",\"timestampNanos\":0";

  private final JsonCodec<ConsensusMessage> codec = JsonCodec.consensus();

  /**
   * Asserts that {@code payload} fails with a DecoderException (or a subtype), in a heap buffer
   * and in a direct one (a lent read buffer) alike, and returns the heap one.
   */
  private DecoderException rejects(byte[] payload) {
    DecoderException heap = assertThrows(DecoderException.class,
        () -> codec.decode(ByteBuffer.wrap(payload)));
    ByteBuffer direct = ByteBuffer.allocateDirect(payload.length + 3);
    direct.put(new byte[] {'{', '"', 'x'}).put(payload).position(3); // bytes before the payload
    DecoderException fromDirect = assertThrows(DecoderException.class,
        () -> codec.decode(direct));
    assertEquals(heap.getClass(), fromDirect.getClass(), "direct: " + fromDirect);
    assertEquals(heap.getMessage(), fromDirect.getMessage());
    assertEquals(3, direct.position(), "the position is left alone");
    return heap;
  }

  private DecoderException rejects(String json) {
    return rejects(json.getBytes(UTF_8));
  }

  private static void assertMentions(Exception e, String... words) {
    for (String word : words) {
      assertTrue(e.getMessage().contains(word), "'" + word + "' not in: " + e.getMessage());
    }
  }

  @Test
  void shouldAcceptTheWellFormedBaseline() {
    assertEquals(new Status(3, "n"), Codecs.decode(codec, STATUS.getBytes(UTF_8)));
  }

  @ParameterizedTest
  @MethodSource("malformed")
  void shouldRejectMalformedJson(String json) {
    DecoderException e = rejects(json);
    assertMentions(e, "malformed JSON");
    assertInstanceOf(JacksonException.class, e.getCause());
  }

  static Stream<String> malformed() {
    return Stream.of(
        "{\"type\":\"status\",\"data\":{\"height\":3,",
        "{\"type\":\"status\",\"data\":{\"height\":3 \"nodeId\":\"n\"}}",
        "{\"type\":'status',\"data\":{}}",
        "{\"type\":\"status\",\"data\":{\"height\":3,\"nodeId\":\"n\",}}",
        "{\"type\":\"status\",\"data\":{\"height\":03,\"nodeId\":\"n\"}}",
        "{\"type\":\"status\",\"data\":{\"height\":3,\"height\":4,\"nodeId\":\"n\"}}",
        "{\"type\":\"status\",\"type\":\"vote\",\"data\":{}}",
        "{\"type\":\"status\",\"data\":{\"height\":NaN,\"nodeId\":\"n\"}}",
        "{\"type\":\"sta",
        "not json at all",
        "{");
  }

  @Test
  void shouldRejectAnUnknownTypeListingTheRegisteredOnes() {
    DecoderException e = rejects("{\"type\":\"block\",\"data\":{}}");
    assertMentions(e, "unknown message type 'block'", "[proposal, vote, status]");
    DecoderException empty = rejects("{\"type\":\"\",\"data\":{}}");
    assertMentions(empty, "unknown message type ''");
    DecoderException huge = rejects("{\"type\":\"" + "t".repeat(100_000) + "\",\"data\":{}}");
    assertMentions(huge, "unknown message type", "(100000 characters)");
    assertTrue(huge.getMessage().length() < 300, "no echo of the whole name");
  }

  @ParameterizedTest
  @MethodSource("wrongEnvelopes")
  void shouldRejectAnEnvelopeWithoutTypeFirstAndDataSecond(String json, String expected) {
    DecoderException e = rejects(json);
    assertMentions(e, "wrong JSON envelope", expected);
  }

  static Stream<Arguments> wrongEnvelopes() {
    return Stream.of(
        Arguments.of("{\"data\":{\"height\":3,\"nodeId\":\"n\"},\"type\":\"status\"}",
            "expected \"type\" as the first field, found field \"data\""),
        Arguments.of("[\"status\",{}]", "expected a JSON object, found '['"),
        Arguments.of("\"status\"", "expected a JSON object, found string \"status\""),
        Arguments.of("  \t\n ", "expected a JSON object, found the end of the input"),
        Arguments.of("{}", "expected \"type\" as the first field, found '}'"),
        Arguments.of("{\"type\":7,\"data\":{}}", "a string value for \"type\", found number 7"),
        Arguments.of("{\"type\":null,\"data\":{}}", "a string value for \"type\""),
        Arguments.of("{\"type\":\"status\"}", "\"data\" as the second field, found '}'"),
        Arguments.of("{\"type\":\"status\",\"data\":null}", "an object value for \"data\""),
        Arguments.of("{\"type\":\"status\",\"data\":[3,\"n\"]}", "an object value for \"data\""),
        Arguments.of("{\"type\":\"vote\",\"data\":[\"java.lang.Runtime\",{" + VOTE_DATA + "}]}",
            "an object value for \"data\""),
        Arguments.of(STATUS.replace("}}", "},\"more\":1}"),
            "the end of the message object after \"data\", found field \"more\""));
  }

  @ParameterizedTest
  @MethodSource("wrongShapes")
  void shouldRejectTheWrongShapeOfData(String data, String expected) {
    DecoderException e = rejects("{\"type\":\"vote\",\"data\":{" + data + "}}");
    assertMentions(e, expected);
    assertInstanceOf(JacksonException.class, e.getCause());
  }

  static Stream<Arguments> wrongShapes() {
    String typeField = ",\"type\":\"PREVOTE\"";
    return Stream.of(
        Arguments.of(VOTE_DATA, "Missing creator property 'type'"),
        Arguments.of(VOTE_DATA.replace("\"voter\":\"v\",", "") + typeField, "'voter'"),
        Arguments.of(VOTE_DATA + typeField + ",\"extra\":1",
            "unknown field data.extra; known fields:"),
        Arguments.of(VOTE_DATA.replace("\"height\":1", "\"height\":\"1\"") + typeField,
            "wrong shape for 'vote' message at data.height"),
        Arguments.of(VOTE_DATA.replace("\"height\":1", "\"height\":1.5") + typeField,
            "at data.height"),
        Arguments.of(VOTE_DATA.replace("\"height\":1", "\"height\":1e3") + typeField,
            "at data.height"),
        Arguments.of(VOTE_DATA.replace("\"height\":1", "\"height\":true") + typeField,
            "at data.height"),
        Arguments.of(VOTE_DATA.replace("\"height\":1", "\"height\":null") + typeField,
            "at data.height"),
        Arguments.of(VOTE_DATA.replace("\"height\":1", "\"height\":[1]") + typeField,
            "at data.height"),
        Arguments.of(VOTE_DATA.replace("\"height\":1", "\"height\":99999999999999999999")
            + typeField, "at data.height"),
        Arguments.of(VOTE_DATA.replace("\"voter\":\"v\"", "\"voter\":7") + typeField,
            "at data.voter"),
        Arguments.of(VOTE_DATA.replace("\"voter\":\"v\"", "\"voter\":{}") + typeField,
            "at data.voter"),
        Arguments.of(VOTE_DATA.replace("\"voter\":\"v\"", "\"voter\":null") + typeField,
            "'voter'"),
        Arguments.of(VOTE_DATA + ",\"type\":1", "at data.type"),
        Arguments.of(VOTE_DATA + ",\"type\":\"MAYBE\"", "at data.type"),
        Arguments.of(VOTE_DATA + ",\"type\":\"\"", "'vote' message"),
        Arguments.of(VOTE_DATA.replace("\"height\":1", "\"height\":-1") + typeField,
            "invalid 'vote' message: height < 0: -1"),
        Arguments.of(VOTE_DATA.replace("\"round\":0", "\"round\":-4") + typeField,
            "invalid 'vote' message: round < 0: -4"));
  }

  @Test
  void shouldRejectABlockThatIsNotBase64() {
    DecoderException e = rejects("{\"type\":\"proposal\",\"data\":{\"height\":1,\"round\":0,"
        + "\"proposer\":\"p\",\"blockHash\":\"h\",\"block\":\"not base64!\"}}");
    assertMentions(e, "wrong shape for 'proposal' message at data.block", "base64");
  }

  @Test
  void shouldRejectClassNameInjectionAsUnknownFieldsAndTypes() {
    DecoderException field = rejects("{\"type\":\"vote\",\"data\":{\"@class\":"
        + "\"java.lang.Runtime\"," + VOTE_DATA + ",\"type\":\"PREVOTE\"}}");
    assertMentions(field, "unknown field data.@class");
    DecoderException nested = rejects("{\"type\":\"vote\",\"data\":{" + VOTE_DATA
        + ",\"type\":{\"@class\":\"java.lang.ProcessBuilder\",\"command\":[\"sh\"]}}}");
    assertMentions(nested, "at data.type");
    DecoderException type = rejects("{\"type\":\"java.lang.Runtime\",\"data\":{}}");
    assertMentions(type, "unknown message type 'java.lang.Runtime'");
  }

  @Test
  void shouldRejectInvalidUtf8InsideAStringNamingTheByte() {
    int at = STATUS.indexOf("\"n\"") + 1; // the n of the node id
    byte[][] bad = {
        {(byte) 0xC3}, // a lead byte followed by the closing quote
        {(byte) 0xC0, (byte) 0xAF}, // overlong '/', which Jackson alone would accept
        {(byte) 0xE0, (byte) 0x80, (byte) 0xAF}, // overlong 3-byte form
        {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, // a UTF-16 surrogate
        {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // above U+10FFFF
        {(byte) 0x80}, // a continuation byte alone
        {(byte) 0xFF},
        {(byte) 0xE2, (byte) 0x82, 'x'}, // a sequence interrupted
    };
    for (byte[] sequence : bad) {
      ByteArrayOutputStream payload = new ByteArrayOutputStream();
      byte[] good = STATUS.getBytes(UTF_8);
      payload.write(good, 0, at);
      payload.write(sequence, 0, sequence.length);
      payload.write(good, at + 1, good.length - at - 1);
      DecoderException e = rejects(payload.toByteArray());
      assertMentions(e, "invalid UTF-8 in JSON message at byte " + at);
    }
    byte[] cutShort = (STATUS.substring(0, STATUS.length() - 1)).getBytes(UTF_8);
    cutShort[cutShort.length - 1] = (byte) 0xE2;
    assertMentions(rejects(cutShort), "cut short by the end of the payload");
  }

  @Test
  void shouldRejectUtf16WhichJacksonWouldDetectAndAccept() {
    for (var charset : new java.nio.charset.Charset[] {
        StandardCharsets.UTF_16LE, StandardCharsets.UTF_16BE, StandardCharsets.UTF_16}) {
      DecoderException e = rejects(STATUS.getBytes(charset));
      assertMentions(e, "invalid UTF-8", "UTF-16");
    }
  }

  @Test
  void shouldRejectDeepNestingWithoutRecursingIntoIt() {
    String deep = "[".repeat(100_000);
    assertMentions(rejects(deep), "expected a JSON object");
    assertMentions(rejects("{\"type\":\"status\",\"data\":{\"height\":" + deep),
        "at data.height");
    assertMentions(rejects("{\"type\":\"status\",\"data\":" + deep), "an object value");
    assertMentions(rejects("{\"type\":\"status\",\"data\":" + "{\"a\":".repeat(100_000)),
        "breaks a safety limit", "nesting depth (65) exceeds the maximum allowed (64");
  }

  @Test
  void shouldRejectAStringOverTheDefaultLimit() {
    String node = "x".repeat(JsonCodec.DEFAULT_MAX_STRING_LENGTH + 1);
    DecoderException e = rejects("{\"type\":\"status\",\"data\":{\"height\":3,\"nodeId\":\""
        + node + "\"}}");
    assertMentions(e, "breaks a safety limit", "String value length",
        Integer.toString(JsonCodec.DEFAULT_MAX_STRING_LENGTH));
  }

  @Test
  void shouldRejectAThousandDigitNumber() {
    DecoderException e = rejects("{\"type\":\"status\",\"data\":{\"height\":" + "9".repeat(1000)
        + ",\"nodeId\":\"n\"}}");
    assertMentions(e, "breaks a safety limit", "Number value length", "100");
  }

  @Test
  void shouldRejectTrailingBytesAsACorruptedFrame() {
    String[] trailing = {STATUS + "trailing", STATUS + STATUS, STATUS + ",", STATUS + "}",
        STATUS + "0", STATUS + "\"\"", STATUS + "[", STATUS + "\"never closed"};
    for (String json : trailing) {
      CorruptedFrameException e = assertThrows(CorruptedFrameException.class,
          () -> codec.decode(ByteBuffer.wrap(json.getBytes(UTF_8))), json);
      assertMentions(e, "trailing bytes after the 'status' message, from byte " + STATUS.length());
    }
    CorruptedFrameException afterSpaces = assertThrows(CorruptedFrameException.class,
        () -> Codecs.decode(codec, (STATUS + " \n x").getBytes(UTF_8)));
    assertMentions(afterSpaces, "from byte " + (STATUS.length() + 3));
    assertNotNull(afterSpaces.getCause(), "Jackson's parse error is the cause");
    assertEquals(new Status(3, "n"), Codecs.decode(codec, (STATUS + " \r\n\t ").getBytes(UTF_8)));
  }

  @Test
  void shouldRejectAnEmptyPayloadAsACorruptedFrame() {
    CorruptedFrameException e = assertThrows(CorruptedFrameException.class,
        () -> codec.decode(ByteBuffer.allocate(0)));
    assertMentions(e, "empty payload");
    assertThrows(CorruptedFrameException.class,
        () -> codec.decode(ByteBuffer.allocateDirect(8).position(8)));
  }
}
