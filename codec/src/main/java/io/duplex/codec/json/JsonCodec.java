package io.duplex.codec.json;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.util.ByteBufferBackedInputStream;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.duplex.codec.Codec;
import io.duplex.codec.CorruptedFrameException;
import io.duplex.codec.DecoderException;
import io.duplex.codec.EncoderException;
import io.duplex.codec.PayloadSink;
import io.duplex.codec.message.ConsensusMessage;
import io.duplex.codec.message.Proposal;
import io.duplex.codec.message.Status;
import io.duplex.codec.message.Vote;
import java.io.IOException;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A JSON codec on Jackson for a family of message classes, each registered under a wire name
 * with {@link Builder#register}. A payload is one UTF-8 JSON object of exactly two
 * fields, {@code type} first and {@code data} second:
 *
 * <pre>{@code {"type":"vote","data":{"height":7,"round":0,"type":"PREVOTE",...}}}</pre>
 *
 * <p>The encoder always writes {@code type} first; the decoder requires it first, so it knows
 * the class before it reads {@code data} and binds {@code data} straight from the parser, without
 * a tree in between.
 *
 * <h2>Safe by construction</h2>
 * <ul>
 *   <li>A wire name maps to a class only through {@code register}. Class names never come from
 *       the wire: default typing is never enabled, and the mapper's polymorphic type validator
 *       denies every class-name type id, so even a {@code @JsonTypeInfo(use = CLASS)} in a
 *       registered class cannot be used to load a class (such a class cannot be decoded).</li>
 *   <li>Jackson's stream constraints are small ({@link #DEFAULT_MAX_NESTING_DEPTH} and the other
 *       defaults): 100,000 {@code [} or a 1,000-digit number is refused as it is read.</li>
 *   <li>The decoder is strict: the payload must be well-formed UTF-8 (no overlong forms, no
 *       UTF-16); unknown, missing, duplicate and null fields are errors, as are scalars of the
 *       wrong kind ({@code "7"} for a number, {@code 7} for a string, {@code 1.5} for an integer)
 *       and anything after the envelope object.</li>
 * </ul>
 *
 * <h2>Errors</h2>
 * Every bad payload is a {@link DecoderException} ({@link CorruptedFrameException} for an empty
 * payload or bytes after the message) whose message says what was wrong and whose cause is
 * Jackson's exception, if any. Encoding a class that was not registered, or one Jackson cannot
 * write, is an {@link EncoderException}; the sink's own {@code EncoderException} (the frame size
 * limit) propagates as it was thrown.
 *
 * <h2>Threads</h2>
 * Immutable and thread-safe: one {@link ObjectMapper} per codec, and one {@link ObjectReader}
 * and {@link ObjectWriter} per registered class, made once. {@link #decode} reads a heap buffer's
 * array in place (at its offset), and a direct or read-only buffer as a stream (the parser
 * reads it through its own recycled buffer), so a lent payload is never copied whole; it leaves
 * the buffer's position where it was.
 *
 * @param <T> the family's base type
 */
public final class JsonCodec<T> implements Codec<T> {
  /** Default {@link Builder#maxNestingDepth}: 64 levels, the envelope's two included. */
  public static final int DEFAULT_MAX_NESTING_DEPTH = 64;
  /** Default {@link Builder#maxStringLength}: 8 MiB characters. */
  public static final int DEFAULT_MAX_STRING_LENGTH = 8 * 1024 * 1024;
  /** Default {@link Builder#maxNumberLength}: 100 characters. */
  public static final int DEFAULT_MAX_NUMBER_LENGTH = 100;
  /** Default {@link Builder#maxNameLength}: 1024 characters. */
  public static final int DEFAULT_MAX_NAME_LENGTH = 1024;
  /** The default codec name, exchanged in the handshake. */
  public static final String DEFAULT_NAME = "json";

  private static final SerializableString TYPE = new SerializedString("type");
  private static final SerializableString DATA = new SerializedString("data");

  private final String name;
  private final JsonFactory factory;
  private final List<String> typeNames; // in registration order, for messages
  private final Map<String, ObjectReader> readers;
  private final Map<Class<?>, Registration> writers;

  /** How one registered class is written: its wire name, pre-quoted, and its writer. */
  private static final class Registration {
    final SerializableString type;
    final ObjectWriter writer;

    Registration(String type, ObjectWriter writer) {
      this.type = new SerializedString(type);
      this.writer = writer;
    }
  }

  private JsonCodec(Builder<T> config) {
    this.name = config.name;
    this.factory = StrictJackson.factory(config);
    ObjectMapper mapper = StrictJackson.mapper(factory);
    Map<String, ObjectReader> r = new HashMap<>();
    Map<Class<?>, Registration> w = new HashMap<>();
    config.types.forEach((typeName, type) -> {
      // FAIL_ON_TRAILING_TOKENS (on in the mapper) would reject the envelope's closing '}',
      // since the reader binds "data" in the middle of the input. decode() checks the end.
      r.put(typeName, mapper.readerFor(type)
          .without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS));
      w.put(type, new Registration(typeName, mapper.writerFor(type)));
    });
    this.typeNames = List.copyOf(config.types.keySet());
    this.readers = Map.copyOf(r);
    this.writers = Map.copyOf(w);
  }

  /** A builder for a codec of messages whose common type is {@code base}. */
  public static <T> Builder<T> builder(Class<T> base) {
    return new Builder<>(base);
  }

  /**
   * The codec for duplex's example {@link ConsensusMessage} family, named {@code "json"}, with
   * {@link Proposal} registered as {@code "proposal"}, {@link Vote} as {@code "vote"} and
   * {@link Status} as {@code "status"}, and the default limits.
   */
  public static JsonCodec<ConsensusMessage> consensus() {
    return builder(ConsensusMessage.class)
        .register("proposal", Proposal.class)
        .register("vote", Vote.class)
        .register("status", Status.class)
        .build();
  }

  @Override
  public String name() {
    return name;
  }

  /**
   * {@inheritDoc}
   *
   * <p>The message's exact class must be registered (a subclass of a registered class is not).
   */
  @Override
  public void encode(T message, PayloadSink sink) {
    if (message == null) {
      throw new NullPointerException("message == null");
    }
    Registration registration = writers.get(message.getClass());
    if (registration == null) {
      throw new EncoderException("cannot encode a " + message.getClass().getName()
          + ": the class is not registered with JSON codec '" + name + "' (registered: "
          + typeNames + "); register it with JsonCodec.builder(...).register(name, "
          + message.getClass().getSimpleName() + ".class)");
    }
    try (JsonGenerator g = factory.createGenerator(sink, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeFieldName(TYPE);
      g.writeString(registration.type);
      g.writeFieldName(DATA);
      registration.writer.writeValue(g, message);
      g.writeEndObject();
    } catch (IOException | RuntimeException e) {
      throw JsonErrors.encoding(e, message.getClass());
    }
  }

  @Override
  public T decode(ByteBuffer payload) {
    int length = payload.remaining();
    if (length == 0) {
      throw new CorruptedFrameException("empty payload: a JSON message is an object"
          + " {\"type\":...,\"data\":{...}}");
    }
    String type = null;
    try (JsonParser p = parser(payload, length)) {
      expect(p, p.nextToken() == JsonToken.START_OBJECT, "a JSON object");
      expect(p, p.nextToken() == JsonToken.FIELD_NAME && "type".equals(p.currentName()),
          "\"type\" as the first field");
      expect(p, p.nextToken() == JsonToken.VALUE_STRING, "a string value for \"type\"");
      type = p.getText();
      ObjectReader reader = readers.get(type);
      if (reader == null) {
        throw new DecoderException("unknown message type '" + JsonErrors.echo(type)
            + "'; JSON codec '" + name + "' knows " + typeNames);
      }
      expect(p, p.nextToken() == JsonToken.FIELD_NAME && "data".equals(p.currentName()),
          "\"data\" as the second field");
      expect(p, p.nextToken() == JsonToken.START_OBJECT, "an object value for \"data\"");
      T message = reader.readValue(p);
      expect(p, p.nextToken() == JsonToken.END_OBJECT,
          "the end of the message object after \"data\"");
      requireEndOfInput(p, type);
      return message;
    } catch (JacksonException e) {
      throw JsonErrors.decoding(e, type);
    } catch (IOException e) { // not from a byte array; Jackson's are JacksonExceptions
      throw new DecoderException("cannot read JSON message: " + e, e);
    }
  }

  /**
   * A parser over the payload's bytes where they are, after the strict UTF-8 check: a heap
   * buffer's array at its offset, or a direct (or read-only) buffer as a stream, which the
   * parser reads through its own recycled input buffer, a few KiB at a time. No copy of the
   * whole payload either way, and the same parser (so the same errors) for both.
   */
  private JsonParser parser(ByteBuffer payload, int length) throws IOException {
    if (payload.hasArray()) {
      byte[] bytes = payload.array();
      int offset = payload.arrayOffset() + payload.position();
      Utf8.check(bytes, offset, length);
      return factory.createParser(bytes, offset, length);
    }
    Utf8.check(payload, payload.position(), length);
    return factory.createParser(new ByteBufferBackedInputStream(payload.duplicate()));
  }

  /** After the envelope's closing brace only whitespace may follow. */
  private static void requireEndOfInput(JsonParser p, String type) {
    JsonToken next;
    try {
      next = p.nextToken();
    } catch (IOException e) {
      throw JsonErrors.trailing(p, type, e);
    }
    if (next != null) {
      throw JsonErrors.trailing(p, type, null);
    }
  }

  private static void expect(JsonParser p, boolean ok, String what) {
    if (!ok) {
      throw JsonErrors.envelope(p, what);
    }
  }

  /**
   * Registers the message classes and sets the limits of a {@link JsonCodec}. Each setter checks
   * its argument at once. Not thread-safe; the codec it builds is.
   *
   * @param <T> the family's base type
   */
  public static final class Builder<T> {
    private final Class<T> base;
    final Map<String, Class<? extends T>> types = new LinkedHashMap<>();
    String name = DEFAULT_NAME;
    int maxNestingDepth = DEFAULT_MAX_NESTING_DEPTH;
    int maxStringLength = DEFAULT_MAX_STRING_LENGTH;
    int maxNumberLength = DEFAULT_MAX_NUMBER_LENGTH;
    int maxNameLength = DEFAULT_MAX_NAME_LENGTH;

    private Builder(Class<T> base) {
      if (base == null) {
        throw new NullPointerException("base == null");
      }
      this.base = base;
    }

    /**
     * Maps the wire name {@code typeName} to {@code type}, both ways: payloads whose {@code type}
     * is {@code typeName} are read as {@code type}, and messages of exactly that class are
     * written under {@code typeName}.
     *
     * @throws IllegalArgumentException if {@code typeName} is empty or already registered, or
     *     {@code type} is already registered, abstract, or not a subtype of the base type
     */
    public Builder<T> register(String typeName, Class<? extends T> type) {
      if (typeName == null) {
        throw new NullPointerException("typeName == null");
      }
      if (type == null) {
        throw new NullPointerException("type == null");
      }
      if (typeName.isEmpty()) {
        throw new IllegalArgumentException("typeName is empty: a wire type name needs a"
            + " character at least");
      }
      if (!base.isAssignableFrom(type)) { // only possible through raw types
        throw new IllegalArgumentException(type.getName() + " is not a " + base.getName());
      }
      if (type.isInterface() || Modifier.isAbstract(type.getModifiers())) {
        throw new IllegalArgumentException("cannot register " + type.getName()
            + ": it is abstract, so the codec could not create one; register its concrete"
            + " classes");
      }
      Class<? extends T> taken = types.get(typeName);
      if (taken != null) {
        throw new IllegalArgumentException("type name '" + typeName + "' is already registered"
            + " for " + taken.getName());
      }
      for (Map.Entry<String, Class<? extends T>> e : types.entrySet()) {
        if (e.getValue() == type) {
          throw new IllegalArgumentException(type.getName() + " is already registered as '"
              + e.getKey() + "'");
        }
      }
      types.put(typeName, type);
      return this;
    }

    /**
     * The codec name exchanged in the handshake (default {@value JsonCodec#DEFAULT_NAME}); two
     * peers connect only if their names are equal. Change it when the registered family changes
     * incompatibly, for example {@code "json/consensus-2"}.
     *
     * @throws IllegalArgumentException if {@code name} is empty or longer than 255 bytes of
     *     UTF-8
     */
    public Builder<T> name(String name) {
      if (name == null) {
        throw new NullPointerException("name == null");
      }
      int bytes = name.getBytes(StandardCharsets.UTF_8).length;
      if (bytes == 0 || bytes > 255) {
        throw new IllegalArgumentException("name must be 1 to 255 bytes of UTF-8: " + bytes
            + " bytes");
      }
      this.name = name;
      return this;
    }

    /**
     * The deepest nesting of objects and arrays read or written, the envelope object and its
     * {@code data} object counting as two (default 64).
     *
     * @throws IllegalArgumentException if less than 2, too shallow for any message
     */
    public Builder<T> maxNestingDepth(int maxNestingDepth) {
      if (maxNestingDepth < 2) {
        throw new IllegalArgumentException("maxNestingDepth < 2: " + maxNestingDepth
            + " (the envelope and its data object are two levels)");
      }
      this.maxNestingDepth = maxNestingDepth;
      return this;
    }

    /**
     * The longest string value read, in characters (default 8 MiB). A {@code byte[]} field is
     * one base64 string of 4 characters for every 3 bytes, so the default admits blocks of
     * 6 MiB.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder<T> maxStringLength(int maxStringLength) {
      this.maxStringLength = positive(maxStringLength, "maxStringLength");
      return this;
    }

    /**
     * The longest number read, in characters (default 100). Converting a long number costs more
     * than linear time, so a peer must not choose its length.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder<T> maxNumberLength(int maxNumberLength) {
      this.maxNumberLength = positive(maxNumberLength, "maxNumberLength");
      return this;
    }

    /**
     * The longest field name read, in characters (default 1024).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder<T> maxNameLength(int maxNameLength) {
      this.maxNameLength = positive(maxNameLength, "maxNameLength");
      return this;
    }

    /**
     * The codec, with the types registered so far; later changes to this builder do not affect
     * it.
     *
     * @throws IllegalArgumentException if no type was registered
     */
    public JsonCodec<T> build() {
      if (types.isEmpty()) {
        throw new IllegalArgumentException("no message type registered: call register(typeName,"
            + " type) for each class of " + base.getName());
      }
      return new JsonCodec<>(this);
    }

    private static int positive(int value, String what) {
      if (value <= 0) {
        throw new IllegalArgumentException(what + " <= 0: " + value);
      }
      return value;
    }
  }
}
