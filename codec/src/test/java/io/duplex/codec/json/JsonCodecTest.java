package io.duplex.codec.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.duplex.codec.Codecs;
import io.duplex.codec.DecoderException;
import io.duplex.codec.EncoderException;
import io.duplex.codec.message.Messages;
import io.duplex.codec.message.ConsensusMessage;
import io.duplex.codec.message.Status;
import io.duplex.codec.message.Vote;
import io.duplex.codec.message.VoteType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonCodecTest {
  private final JsonCodec<ConsensusMessage> codec = JsonCodec.consensus();

  private ConsensusMessage decode(String json) {
    return Codecs.decode(codec, json.getBytes(StandardCharsets.UTF_8));
  }

  private DecoderException rejects(String json) {
    return assertThrows(DecoderException.class, () -> decode(json), json.length() > 200
        ? json.substring(0, 200) : json);
  }

  @Test
  void shouldRoundTripEveryRegisteredType() {
    for (ConsensusMessage m : Messages.samples()) {
      byte[] bytes = Codecs.encode(codec, m);
      assertEquals(m, Codecs.decode(codec, bytes));
      ByteBuffer padded = ByteBuffer.allocate(bytes.length + 10);
      padded.position(5);
      padded.put(bytes);
      padded.position(5).limit(5 + bytes.length);
      assertEquals(m, codec.decode(padded.slice()), "array offset");
      assertEquals(m, codec.decode(ByteBuffer.allocateDirect(bytes.length).put(bytes).flip()));
      assertEquals(m, codec.decode(ByteBuffer.wrap(bytes).asReadOnlyBuffer()));
    }
  }

  @Test
  void shouldWriteTheTypeFirstThenTheData() {
    String json = new String(Codecs.encode(codec, new Status(3, "n")), StandardCharsets.UTF_8);
    assertEquals("{\"type\":\"status\",\"data\":{\"height\":3,\"nodeId\":\"n\"}}", json);
    assertEquals("json", codec.name());
  }

  @Test
  void shouldRejectMalformedJson() {
    DecoderException e = rejects("{\"type\":\"status\",\"data\":{\"height\":3,");
    assertTrue(e.getMessage().contains("malformed"), e.getMessage());
    rejects("not json at all");
    rejects("");
  }

  @Test
  void shouldRejectAnUnknownTypeNamingTheKnownOnes() {
    DecoderException e = rejects("{\"type\":\"block\",\"data\":{}}");
    assertTrue(e.getMessage().contains("unknown message type 'block'"), e.getMessage());
    assertTrue(e.getMessage().contains("vote"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"data\":{\"height\":3,\"nodeId\":\"n\"},\"type\":\"status\"}",
      "[\"status\"]",
      "{\"type\":7,\"data\":{}}",
      "{\"type\":\"status\",\"data\":{\"height\":3}}",
      "{\"type\":\"status\",\"data\":{\"height\":3,\"nodeId\":\"n\",\"extra\":1}}",
      "{\"type\":\"status\",\"data\":{\"height\":\"three\",\"nodeId\":\"n\"}}",
      "{\"type\":\"status\",\"data\":{\"height\":null,\"nodeId\":\"n\"}}",
      "{\"type\":\"status\",\"data\":{\"height\":3,\"nodeId\":null}}",
      "{\"type\":\"status\",\"data\":{\"height\":3,\"height\":4,\"nodeId\":\"n\"}}",
      "{\"type\":\"status\",\"data\":null}",
      "{\"type\":\"status\",\"data\":{\"height\":-3,\"nodeId\":\"n\"}}",
      "{\"type\":\"vote\",\"data\":{\"height\":1,\"round\":0,\"type\":7,\"blockHash\":\"h\","
          + "\"voter\":\"v\",\"timestampNanos\":0}}",
      "{\"type\":\"status\",\"data\":{\"height\":3,\"nodeId\":\"n\"}} trailing",
      "{\"type\":\"status\",\"data\":{\"height\":3,\"nodeId\":\"n\"},\"more\":1}",
  })
  void shouldRejectTheWrongShape(String json) {
    DecoderException e = rejects(json);
    assertTrue(e.getMessage().contains("JSON") || e.getMessage().contains("unknown"),
        e.getMessage());
  }

  @Test
  void shouldRejectClassNameInjection() {
    rejects("{\"type\":\"status\",\"data\":{\"@class\":\"java.lang.ProcessBuilder\","
        + "\"height\":1,\"nodeId\":\"n\"}}");
    rejects("{\"type\":\"java.lang.Runtime\",\"data\":{}}");
  }

  @Test
  void shouldRejectInvalidUtf8() {
    byte[] good = "{\"type\":\"status\",\"data\":{\"height\":3,\"nodeId\":\"nX\"}}"
        .getBytes(StandardCharsets.UTF_8);
    int x = new String(good, StandardCharsets.UTF_8).indexOf('X');
    good[x] = (byte) 0xC3; // a lead byte followed by a quote: invalid
    DecoderException e = assertThrows(DecoderException.class, () -> Codecs.decode(codec, good));
    assertTrue(e.getMessage().toLowerCase().contains("utf-8")
        || e.getMessage().toLowerCase().contains("utf8"), e.getMessage());
  }

  @Test
  void shouldRejectDeepNestingHugeStringsAndHugeNumbers() {
    rejects("[".repeat(100_000));
    DecoderException deep = rejects("{\"type\":\"status\",\"data\":" + "{\"a\":".repeat(100)
        + "1" + "}".repeat(100) + "}");
    assertTrue(deep.getMessage().contains("limit") || deep.getMessage().contains("JSON"),
        deep.getMessage());
    JsonCodec<ConsensusMessage> small = JsonCodec.builder(ConsensusMessage.class)
        .register("status", Status.class).maxStringLength(1000).build();
    DecoderException longString = assertThrows(DecoderException.class, () -> Codecs.decode(small,
        ("{\"type\":\"status\",\"data\":{\"height\":1,\"nodeId\":\"" + "x".repeat(5000) + "\"}}")
            .getBytes(StandardCharsets.UTF_8)));
    assertTrue(longString.getMessage().contains("safety limit"), longString.getMessage());
    DecoderException number = rejects("{\"type\":\"status\",\"data\":{\"height\":"
        + "9".repeat(1000) + ",\"nodeId\":\"n\"}}");
    assertTrue(number.getMessage().contains("limit") || number.getMessage().contains("JSON"),
        number.getMessage());
  }

  @Test
  void shouldNameTheUnregisteredClassWhenEncoding() {
    JsonCodec<ConsensusMessage> votesOnly = JsonCodec.builder(ConsensusMessage.class)
        .register("vote", Vote.class).build();
    EncoderException e = assertThrows(EncoderException.class,
        () -> Codecs.encode(votesOnly, new Status(1, "n")));
    assertTrue(e.getMessage().contains(Status.class.getName()), e.getMessage());
    assertTrue(e.getMessage().contains("register"), e.getMessage());
  }

  @Test
  void shouldPassTheSinksSizeLimitThroughAsIs() {
    EncoderException e = assertThrows(EncoderException.class,
        () -> Codecs.encode(codec, Messages.samples().get(4), 4096));
    assertTrue(e.getMessage().contains("4096"), e.getMessage());
  }

  @Test
  void shouldBeSafeToShareAcrossThreads() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        results.add(pool.submit(() -> {
          int ok = 0;
          for (int i = 0; i < 2_000; i++) {
            Vote v = new Vote(i, thread, VoteType.PREVOTE, "h" + i, "t" + thread, i);
            if (v.equals(Codecs.decode(codec, Codecs.encode(codec, v)))) {
              ok++;
            }
          }
          return ok;
        }));
      }
      for (Future<Integer> r : results) {
        assertEquals(2_000, r.get(60, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void shouldValidateTheBuilder() {
    var b = JsonCodec.builder(ConsensusMessage.class).register("vote", Vote.class);
    IllegalArgumentException dupName = assertThrows(IllegalArgumentException.class,
        () -> b.register("vote", Status.class));
    assertTrue(dupName.getMessage().contains("'vote' is already registered"));
    assertThrows(IllegalArgumentException.class, () -> b.register("v2", Vote.class));
    assertThrows(IllegalArgumentException.class, () -> b.register("", Status.class));
    IllegalArgumentException depth = assertThrows(IllegalArgumentException.class,
        () -> b.maxNestingDepth(0));
    assertEquals("maxNestingDepth <= 0: 0", depth.getMessage());
    assertThrows(IllegalArgumentException.class, () -> b.maxStringLength(-1));
    assertThrows(IllegalArgumentException.class,
        () -> JsonCodec.builder(ConsensusMessage.class).build());
  }
}
