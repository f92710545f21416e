package io.duplex.codec.json;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.duplex.codec.Codecs;
import io.duplex.codec.DecoderException;
import io.duplex.codec.EncoderException;
import io.duplex.codec.message.ConsensusMessage;
import io.duplex.codec.message.Proposal;
import io.duplex.codec.message.Status;
import io.duplex.codec.message.Vote;
import io.duplex.codec.message.VoteType;
import io.duplex.codec.testing.Allocations;
import io.duplex.codec.testing.Messages;
import io.duplex.codec.testing.Payloads;
import io.duplex.codec.testing.RecordingSink;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class JsonCodecTest {
  private final JsonCodec<ConsensusMessage> codec = JsonCodec.consensus();

  @Test
  void shouldDecodeADirectBufferWithoutCopyingThePayload() {
    JsonCodec<ConsensusMessage> codec = JsonCodec.consensus();
    byte[] block = new byte[256 * 1024];
    new Random(3).nextBytes(block);
    byte[] json = Codecs.encode(codec, new Proposal(7, 0, "p", "h", block));
    ByteBuffer direct = ByteBuffer.allocateDirect(json.length).put(json).flip(); // a lent view
    ByteBuffer heap = ByteBuffer.wrap(json); // read in place: the reference
    long[] allocated = new long[2];
    for (int round = 0; round < 4; round++) { // the first rounds load classes and buffers
      int i = 0;
      for (ByteBuffer payload : List.of(heap, direct)) {
        long before = Allocations.ofCurrentThread();
        Proposal decoded = (Proposal) codec.decode(payload);
        allocated[i++] = Allocations.ofCurrentThread() - before;
        assertTrue(Arrays.equals(block, decoded.block()));
        assertEquals(0, payload.position());
      }
    }
    // Jackson's own cost (the block's array, its base64 buffers) is the same for both; a copy
    // of the direct payload would add its whole length.
    assertTrue(allocated[1] < allocated[0] + json.length / 8, "direct " + allocated[1]
        + " bytes, heap " + allocated[0] + ", for a payload of " + json.length);
  }

  @Test
  void shouldRoundTripEveryRegisteredTypeFromEveryKindOfBuffer() {
    for (ConsensusMessage m : Messages.samples()) {
      byte[] bytes = Codecs.encode(codec, m);
      assertEquals(m, Codecs.decode(codec, bytes), m.toString());
      for (Map.Entry<String, ByteBuffer> view : Payloads.views(bytes).entrySet()) {
        ByteBuffer buffer = view.getValue();
        int position = buffer.position();
        assertEquals(m, codec.decode(buffer), view.getKey() + ": " + m);
        assertEquals(position, buffer.position(), view.getKey() + ": position moved");
      }
    }
  }

  @Test
  void shouldWriteTheTypeFirstThenTheData() {
    assertEquals("{\"type\":\"status\",\"data\":{\"height\":3,\"nodeId\":\"n\"}}",
        json(new Status(3, "n")));
    assertEquals("{\"type\":\"vote\",\"data\":{\"height\":7,\"round\":1,\"type\":\"PRECOMMIT\","
        + "\"blockHash\":\"ab\",\"voter\":\"v\",\"timestampNanos\":-5}}",
        json(new Vote(7, 1, VoteType.PRECOMMIT, "ab", "v", -5)));
    assertEquals("{\"type\":\"proposal\",\"data\":{\"height\":0,\"round\":0,\"proposer\":\"p\","
        + "\"blockHash\":\"h\",\"block\":\"AQID\"}}",
        json(new Proposal(0, 0, "p", "h", new byte[] {1, 2, 3})));
  }

  @Test
  void shouldWriteBlocksAsBase64AndUnicodeAsUtf8() {
    byte[] block = new byte[1000];
    new Random(7).nextBytes(block);
    String json = json(new Proposal(1, 0, "é🚀", "h", block));
    assertTrue(json.contains("\"proposer\":\"é🚀\""), json);
    assertTrue(json.contains("\"block\":\"" + Base64.getEncoder().encodeToString(block) + "\""),
        json);
  }

  @Test
  void shouldReadFieldsOfDataInAnyOrderAndWhitespaceAnywhere() {
    String json = " {\n \"type\" : \"vote\" ,\"data\":{\"voter\":\"v\",\"timestampNanos\":9,"
        + "\"type\":\"PREVOTE\",\"round\":2,\"height\":1,\"blockHash\":\"h\"}\r\n}\t ";
    assertEquals(new Vote(1, 2, VoteType.PREVOTE, "h", "v", 9),
        Codecs.decode(codec, json.getBytes(UTF_8)));
  }

  @Test
  void shouldBeNamedJsonUnlessRenamed() {
    assertEquals("json", codec.name());
    assertEquals(JsonCodec.DEFAULT_NAME, codec.name());
    JsonCodec<ConsensusMessage> renamed = JsonCodec.builder(ConsensusMessage.class)
        .name("json/consensus-2").register("status", Status.class).build();
    assertEquals("json/consensus-2", renamed.name());
  }

  @Test
  void shouldRefuseAnUnregisteredClassNamingItAndHowToRegister() {
    JsonCodec<ConsensusMessage> votesOnly = JsonCodec.builder(ConsensusMessage.class)
        .register("vote", Vote.class).build();
    RecordingSink sink = new RecordingSink(Integer.MAX_VALUE);
    EncoderException e = assertThrows(EncoderException.class,
        () -> votesOnly.encode(new Status(1, "n"), sink));
    assertTrue(e.getMessage().contains(Status.class.getName()), e.getMessage());
    assertTrue(e.getMessage().contains("register(name, Status.class)"), e.getMessage());
    assertTrue(e.getMessage().contains("[vote]"), e.getMessage());
    assertEquals(0, sink.size(), "nothing written");
  }

  @Test
  void shouldPassTheSinksSizeLimitThroughUnwrapped() {
    for (int limit : new int[] {0, 10, 40, 4096, 100_000}) {
      EncoderException e = assertThrows(EncoderException.class,
          () -> Codecs.encode(codec, Messages.samples().get(Messages.samples().size() - 1),
              limit));
      assertSame(EncoderException.class, e.getClass());
      assertTrue(e.getMessage().startsWith("message payload of more than " + limit + " bytes"),
          e.getMessage());
      assertNull(e.getCause(), "the sink's exception itself, not a wrapper");
    }
    EncoderException recording = assertThrows(EncoderException.class,
        () -> codec.encode(new Status(1, "x".repeat(100)), new RecordingSink(50)));
    assertEquals("recording sink limit 50 passed", recording.getMessage());
  }

  @Test
  void shouldRejectEveryTruncationWithADecoderException() {
    for (ConsensusMessage m : Messages.small()) {
      byte[] bytes = Codecs.encode(codec, m);
      for (int n = 0; n < bytes.length; n++) {
        ByteBuffer prefix = ByteBuffer.wrap(bytes, 0, n);
        assertThrows(DecoderException.class, () -> codec.decode(prefix),
            "prefix of " + n + " bytes of " + m);
      }
    }
  }

  @Test
  void shouldOnlyEverThrowDecoderExceptionsForCorruptedBytes() {
    Random random = new Random(1234);
    int decoded = 0;
    for (int i = 0; i < 20_000; i++) {
      byte[] bytes = Codecs.encode(codec, Messages.random(random));
      int flips = 1 + random.nextInt(3);
      for (int f = 0; f < flips; f++) {
        bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
      }
      try {
        codec.decode(ByteBuffer.wrap(bytes));
        decoded++;
      } catch (DecoderException expected) {
        assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty());
      } catch (RuntimeException e) {
        fail("corrupted payload " + Arrays.toString(bytes) + " threw " + e, e);
      }
    }
    assertTrue(decoded > 0 && decoded < 20_000, "some mutations stay valid: " + decoded);
  }

  @Test
  void shouldBeSafeToShareAcrossThreads() throws Exception {
    int threads = 4;
    int roundTrips = 2_000;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        Random random = new Random(100 + t);
        Callable<Integer> task = () -> {
          int equal = 0;
          for (int i = 0; i < roundTrips; i++) {
            ConsensusMessage m = Messages.random(random);
            if (m.equals(Codecs.decode(codec, Codecs.encode(codec, m)))) {
              equal++;
            }
          }
          return equal;
        };
        results.add(pool.submit(task));
      }
      for (Future<Integer> r : results) {
        assertEquals(roundTrips, r.get(60, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
    }
  }

  private String json(ConsensusMessage m) {
    return new String(Codecs.encode(codec, m), UTF_8);
  }
}
