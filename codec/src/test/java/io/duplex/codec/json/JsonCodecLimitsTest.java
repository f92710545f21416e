package io.duplex.codec.json;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.core.JacksonException;
import io.duplex.codec.Codecs;
import io.duplex.codec.DecoderException;
import io.duplex.codec.EncoderException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The stream limits, and class-name injection against registered classes that would be unsafe
 * under a laxer mapper: a tree of untyped values, and a field annotated for class-name typing.
 */
class JsonCodecLimitsTest {
  /** The test family. */
  public interface Doc {}

  /** Untyped content: lists, maps, strings and numbers, nested as deep as the limit allows. */
  public record Tree(List<Object> items) implements Doc {}

  /** A field that asks for a class name on the wire: the codec must never honour it. */
  public record Holder(@JsonTypeInfo(use = JsonTypeInfo.Id.CLASS) Object payload) implements Doc {}

  /** Sets {@link #tripped} if the JVM ever initializes it, as loading a class by name would. */
  public static final class Tripwire {
    static {
      tripped = true;
    }

    public int x;
  }

  static volatile boolean tripped;

  private static JsonCodec.Builder<Doc> docs() {
    return JsonCodec.builder(Doc.class).register("tree", Tree.class)
        .register("holder", Holder.class);
  }

  private static Doc decode(JsonCodec<Doc> codec, String json) {
    return Codecs.decode(codec, json.getBytes(UTF_8));
  }

  private static String nested(int arrays) {
    return "{\"type\":\"tree\",\"data\":{\"items\":" + "[".repeat(arrays) + "]".repeat(arrays)
        + "}}";
  }

  @Test
  void shouldCountTheEnvelopeInTheNestingDepth() {
    JsonCodec<Doc> codec = docs().maxNestingDepth(8).build();
    // The envelope is level 1, data level 2, items level 3: six arrays reach level 8.
    Tree six = (Tree) decode(codec, nested(6));
    assertEquals(1, six.items().size());
    DecoderException seven = assertThrows(DecoderException.class, () -> decode(codec, nested(7)));
    assertTrue(seven.getMessage().contains("breaks a safety limit"), seven.getMessage());
    assertTrue(seven.getMessage().contains("nesting depth (9)"), seven.getMessage());
    assertInstanceOf(JacksonException.class, seven.getCause());
  }

  @Test
  void shouldRefuseAHundredThousandBracketsAtTheDefaultDepth() {
    JsonCodec<Doc> codec = docs().build();
    decode(codec, nested(JsonCodec.DEFAULT_MAX_NESTING_DEPTH - 2)); // the deepest allowed
    DecoderException e = assertThrows(DecoderException.class,
        () -> decode(codec, "{\"type\":\"tree\",\"data\":{\"items\":" + "[".repeat(100_000)));
    assertTrue(e.getMessage().contains("nesting depth (65) exceeds the maximum allowed (64"),
        e.getMessage());
  }

  @Test
  void shouldRefuseToWriteDeeperThanTheLimit() {
    JsonCodec<Doc> codec = docs().maxNestingDepth(8).build();
    Object deep = List.of();
    for (int i = 0; i < 7; i++) {
      deep = List.of(deep);
    }
    Tree tree = new Tree(List.of(deep));
    EncoderException e = assertThrows(EncoderException.class, () -> Codecs.encode(codec, tree));
    assertTrue(e.getMessage().contains("cannot encode a " + Tree.class.getName()), e.getMessage());
    assertTrue(e.getMessage().contains("safety limit"), e.getMessage());
  }

  @Test
  void shouldRefuseStringsNamesAndNumbersOverTheirLimits() {
    JsonCodec<Doc> codec = docs().maxStringLength(1000).maxNameLength(50).maxNumberLength(10)
        .build();
    assertEquals(new Tree(List.of("x".repeat(1000), 1234567890)),
        decode(codec, "{\"type\":\"tree\",\"data\":{\"items\":[\"" + "x".repeat(1000)
            + "\",1234567890]}}"));
    DecoderException string = assertThrows(DecoderException.class, () -> decode(codec,
        "{\"type\":\"tree\",\"data\":{\"items\":[\"" + "x".repeat(5000) + "\"]}}"));
    assertTrue(string.getMessage().contains("breaks a safety limit"), string.getMessage());
    assertTrue(string.getMessage().contains("String value length"), string.getMessage());
    DecoderException type = assertThrows(DecoderException.class, () -> decode(codec,
        "{\"type\":\"" + "t".repeat(5000) + "\",\"data\":{}}"));
    assertTrue(type.getMessage().contains("String value length"), type.getMessage());
    DecoderException name = assertThrows(DecoderException.class, () -> decode(codec,
        "{\"type\":\"tree\",\"data\":{\"items\":[{\"" + "k".repeat(51) + "\":1}]}}"));
    assertTrue(name.getMessage().contains("Name length"), name.getMessage());
    DecoderException number = assertThrows(DecoderException.class, () -> decode(codec,
        "{\"type\":\"tree\",\"data\":{\"items\":[12345678901]}}"));
    assertTrue(number.getMessage().contains("Number value length"), number.getMessage());
  }

  @Test
  void shouldReadClassNamesInUntypedContentAsPlainData() {
    Tree tree = (Tree) decode(docs().build(), "{\"type\":\"tree\",\"data\":{\"items\":["
        + "{\"@class\":\"java.lang.ProcessBuilder\",\"command\":[\"sh\"]},"
        + "[\"java.lang.Runtime\",{}]]}}");
    assertEquals(Map.of("@class", "java.lang.ProcessBuilder", "command", List.of("sh")),
        tree.items().get(0));
    assertEquals(List.of("java.lang.Runtime", Map.of()), tree.items().get(1));
  }

  @Test
  void shouldNeverResolveAClassNamedOnTheWire() {
    JsonCodec<Doc> codec = docs().build();
    String json = "{\"type\":\"holder\",\"data\":{\"payload\":{\"@class\":\""
        + Tripwire.class.getName() + "\",\"x\":1}}}";
    DecoderException e = assertThrows(DecoderException.class, () -> decode(codec, json));
    assertTrue(e.getMessage().contains("cannot read a 'holder' message"), e.getMessage());
    assertTrue(e.getMessage().contains("denied"), e.getMessage());
    assertFalse(tripped, "a class named by the peer was initialized");
  }
}
