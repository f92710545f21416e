package io.duplex.codec.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.duplex.codec.Codecs;
import io.duplex.codec.message.ConsensusMessage;
import io.duplex.codec.message.Proposal;
import io.duplex.codec.message.Status;
import io.duplex.codec.message.Vote;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class JsonCodecBuilderTest {
  private final JsonCodec.Builder<ConsensusMessage> builder =
      JsonCodec.builder(ConsensusMessage.class).register("vote", Vote.class);

  private static void rejects(String message, Executable call) {
    assertEquals(message, assertThrows(IllegalArgumentException.class, call).getMessage());
  }

  @Test
  void shouldRejectADuplicateTypeName() {
    rejects("type name 'vote' is already registered for " + Vote.class.getName(),
        () -> builder.register("vote", Status.class));
  }

  @Test
  void shouldRejectADuplicateClass() {
    rejects(Vote.class.getName() + " is already registered as 'vote'",
        () -> builder.register("vote2", Vote.class));
  }

  @Test
  void shouldRejectAnEmptyTypeName() {
    rejects("typeName is empty: a wire type name needs a character at least",
        () -> builder.register("", Status.class));
  }

  @Test
  void shouldRejectNullArguments() {
    assertEquals("typeName == null", assertThrows(NullPointerException.class,
        () -> builder.register(null, Status.class)).getMessage());
    assertEquals("type == null", assertThrows(NullPointerException.class,
        () -> builder.register("status", null)).getMessage());
    assertEquals("base == null", assertThrows(NullPointerException.class,
        () -> JsonCodec.builder(null)).getMessage());
  }

  @Test
  @SuppressWarnings({"unchecked", "rawtypes"}) // the raw builder is the only way past javac
  void shouldRejectAbstractAndForeignClasses() {
    rejects("cannot register " + ConsensusMessage.class.getName() + ": it is abstract, so the"
        + " codec could not create one; register its concrete classes",
        () -> builder.register("any", ConsensusMessage.class));
    JsonCodec.Builder raw = builder;
    rejects(String.class.getName() + " is not a " + ConsensusMessage.class.getName(),
        () -> raw.register("string", String.class));
  }

  @Test
  void shouldRejectNonPositiveLimits() {
    rejects("maxStringLength <= 0: 0", () -> builder.maxStringLength(0));
    rejects("maxStringLength <= 0: -1", () -> builder.maxStringLength(-1));
    rejects("maxNumberLength <= 0: 0", () -> builder.maxNumberLength(0));
    rejects("maxNameLength <= 0: " + Integer.MIN_VALUE,
        () -> builder.maxNameLength(Integer.MIN_VALUE));
    rejects("maxNestingDepth < 2: 0 (the envelope and its data object are two levels)",
        () -> builder.maxNestingDepth(0));
    rejects("maxNestingDepth < 2: 1 (the envelope and its data object are two levels)",
        () -> builder.maxNestingDepth(1));
  }

  @Test
  void shouldRejectNamesTheHandshakeCannotCarry() {
    rejects("name must be 1 to 255 bytes of UTF-8: 0 bytes", () -> builder.name(""));
    rejects("name must be 1 to 255 bytes of UTF-8: 256 bytes",
        () -> builder.name("é".repeat(128)));
    assertEquals("n".repeat(255), builder.name("n".repeat(255)).build().name());
  }

  @Test
  void shouldRejectACodecWithNoTypes() {
    rejects("no message type registered: call register(typeName, type) for each class of "
        + ConsensusMessage.class.getName(),
        () -> JsonCodec.builder(ConsensusMessage.class).build());
  }

  @Test
  void shouldNotChangeABuiltCodecWhenTheBuilderChangesLater() {
    JsonCodec<ConsensusMessage> votes = builder.build();
    builder.register("proposal", Proposal.class);
    Proposal p = new Proposal(1, 0, "p", "h", new byte[0]);
    assertThrows(io.duplex.codec.EncoderException.class, () -> Codecs.encode(votes, p));
    assertEquals(p, Codecs.decode(builder.build(), Codecs.encode(builder.build(), p)));
  }

  @Test
  void shouldExposeTheDocumentedDefaults() {
    assertEquals(64, JsonCodec.DEFAULT_MAX_NESTING_DEPTH);
    assertEquals(8 * 1024 * 1024, JsonCodec.DEFAULT_MAX_STRING_LENGTH);
    assertEquals(100, JsonCodec.DEFAULT_MAX_NUMBER_LENGTH);
    assertEquals(1024, JsonCodec.DEFAULT_MAX_NAME_LENGTH);
    assertEquals("json", JsonCodec.DEFAULT_NAME);
  }
}
