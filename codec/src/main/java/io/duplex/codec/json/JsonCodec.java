package io.duplex.codec.json;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.jsontype.BasicPolymorphicTypeValidator;
import io.duplex.codec.Codec;
import io.duplex.codec.DecoderException;
import io.duplex.codec.EncoderException;
import io.duplex.codec.PayloadSink;
import io.duplex.codec.message.ConsensusMessage;
import io.duplex.codec.message.Proposal;
import io.duplex.codec.message.Status;
import io.duplex.codec.message.Vote;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A JSON codec on Jackson for a family of message types, each registered under a wire name:
 *
 * <pre>{@code {"type":"vote","data":{"height":7,"round":0,...}}}</pre>
 *
 * <h2>Safe by construction</h2>
 * <ul>
 *   <li>The {@code type} name maps to a class only through {@link Builder#register}: class names
 *       never come from the wire, default typing is never enabled, and the mapper's polymorphic
 *       type validator denies everything, so even a {@code @JsonTypeInfo(use = CLASS)} somewhere
 *       in a message cannot be used to load a class.</li>
 *   <li>Jackson's stream read constraints are set to small values ({@link Builder#maxNestingDepth}
 *       and the others): a payload of 100,000 {@code [} or a 100 MB number is refused early.</li>
 *   <li>The decoder is strict: {@code type} must come first and {@code data} second (the encoder
 *       always writes them so), unknown, missing, duplicate or null fields and trailing bytes are
 *       errors, and invalid UTF-8 is an error.</li>
 * </ul>
 * Every failure is a {@link DecoderException} (or {@link EncoderException}) that says what was
 * wrong; the transport closes only that peer's connection.
 *
 * <p>One {@link ObjectMapper} per codec; one {@link ObjectReader} and {@link ObjectWriter} per
 * registered type, made once (they are immutable and thread-safe, like the codec).
 *
 * @param <T> the family's base type
 */
public final class JsonCodec<T> implements Codec<T> {
  /** Default {@link Builder#maxNestingDepth}: 64 levels. */
  public static final int DEFAULT_MAX_NESTING_DEPTH = 64;
  /** Default {@link Builder#maxStringLength}: 8 MiB characters. */
  public static final int DEFAULT_MAX_STRING_LENGTH = 8 * 1024 * 1024;
  /** Default {@link Builder#maxNumberLength}: 100 characters. */
  public static final int DEFAULT_MAX_NUMBER_LENGTH = 100;
  /** Default {@link Builder#maxNameLength}: 1024 characters. */
  public static final int DEFAULT_MAX_NAME_LENGTH = 1024;

  private final String name;
  private final JsonFactory factory;
  private final Map<String, ObjectReader> readers;
  private final Map<Class<?>, Writer> writers;

  private record Writer(String type, ObjectWriter writer) {}

  private JsonCodec(Builder<T> b) {
    this.name = b.name;
    this.factory = JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder()
            .maxNestingDepth(b.maxNestingDepth)
            .maxStringLength(b.maxStringLength)
            .maxNumberLength(b.maxNumberLength)
            .maxNameLength(b.maxNameLength)
            .build())
        .streamWriteConstraints(StreamWriteConstraints.builder()
            .maxNestingDepth(b.maxNestingDepth).build())
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .build();
    ObjectMapper mapper = JsonMapper.builder(factory)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
        // Trailing content is checked by decode() itself: the reader reads only "data".
        .polymorphicTypeValidator(BasicPolymorphicTypeValidator.builder().build())
        .build();
    Map<String, ObjectReader> r = new HashMap<>();
    Map<Class<?>, Writer> w = new HashMap<>();
    for (Map.Entry<String, Class<? extends T>> e : b.types.entrySet()) {
      r.put(e.getKey(), mapper.readerFor(e.getValue()));
      w.put(e.getValue(), new Writer(e.getKey(), mapper.writerFor(e.getValue())));
    }
    this.readers = Map.copyOf(r);
    this.writers = Map.copyOf(w);
  }

  /** A builder for a codec of messages whose common type is {@code base}. */
  public static <T> Builder<T> builder(Class<T> base) {
    return new Builder<>(Objects.requireNonNull(base, "base"));
  }

  /**
   * The codec for duplex's example {@link ConsensusMessage} family: {@code "proposal"}, {@code
   * "vote"} and {@code "status"}, named {@code "json"}.
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

  @Override
  public void encode(T message, PayloadSink sink) {
    Writer w = writers.get(message.getClass());
    if (w == null) {
      throw new EncoderException("cannot encode a " + message.getClass().getName()
          + ": it is not registered with this JSON codec (registered: " + writers.keySet()
          + "); register it with JsonCodec.builder(...).register(name, type)");
    }
    try (JsonGenerator g = factory.createGenerator((OutputStream) sink, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeStringField("type", w.type());
      g.writeFieldName("data");
      w.writer().writeValue(g, message);
      g.writeEndObject();
    } catch (IOException | RuntimeException e) {
      for (Throwable c = e; c != null; c = c.getCause()) {
        if (c instanceof EncoderException) {
          throw (EncoderException) c; // the sink's size limit, as it was thrown
        }
      }
      throw new EncoderException("cannot encode a " + message.getClass().getName() + " as JSON: "
          + e.getMessage(), e);
    }
  }

  @Override
  public T decode(ByteBuffer payload) {
    byte[] bytes;
    int offset;
    int length = payload.remaining();
    if (payload.hasArray()) {
      bytes = payload.array();
      offset = payload.arrayOffset() + payload.position();
    } else {
      bytes = new byte[length];
      payload.duplicate().get(bytes);
      offset = 0;
    }
    if (length == 0) {
      throw new DecoderException("empty JSON message: expected {\"type\":...,\"data\":{...}}");
    }
    try (JsonParser p = factory.createParser(bytes, offset, length)) {
      expect(p.nextToken() == JsonToken.START_OBJECT, p, "a JSON object");
      expect(p.nextToken() == JsonToken.FIELD_NAME && "type".equals(p.currentName()), p,
          "the field \"type\" first");
      expect(p.nextToken() == JsonToken.VALUE_STRING, p, "a string for \"type\"");
      String type = p.getText();
      ObjectReader reader = readers.get(type);
      if (reader == null) {
        throw new DecoderException("unknown message type '" + type + "'; this codec knows "
            + readers.keySet());
      }
      expect(p.nextToken() == JsonToken.FIELD_NAME && "data".equals(p.currentName()), p,
          "the field \"data\" second");
      expect(p.nextToken() == JsonToken.START_OBJECT, p, "an object for \"data\"");
      T message = reader.readValue(p);
      expect(p.nextToken() == JsonToken.END_OBJECT, p, "the end of the message after \"data\"");
      expect(p.nextToken() == null, p, "nothing after the message");
      return message;
    } catch (JsonProcessingException e) {
      for (Throwable c = e; c != null; c = c.getCause()) {
        if (c instanceof StreamConstraintsException) {
          throw new DecoderException("JSON message refused: it breaks a safety limit: "
              + ((StreamConstraintsException) c).getOriginalMessage(), e);
        }
      }
      throw new DecoderException("malformed or wrongly shaped JSON message: "
          + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new DecoderException("cannot read JSON message: " + e.getMessage(), e);
    }
  }

  private static void expect(boolean ok, JsonParser p, String what) {
    if (!ok) {
      JsonToken t = p.currentToken();
      throw new DecoderException("wrongly shaped JSON message: expected " + what + ", found "
          + (t == null ? "the end of the input" : t.asString() != null ? "'" + t.asString() + "'"
              : t.name()));
    }
  }

  /**
   * Registers message types and limits for a {@link JsonCodec}. Not thread-safe.
   *
   * @param <T> the family's base type
   */
  public static final class Builder<T> {
    private final Class<T> base;
    private final Map<String, Class<? extends T>> types = new LinkedHashMap<>();
    private String name = "json";
    private int maxNestingDepth = DEFAULT_MAX_NESTING_DEPTH;
    private int maxStringLength = DEFAULT_MAX_STRING_LENGTH;
    private int maxNumberLength = DEFAULT_MAX_NUMBER_LENGTH;
    private int maxNameLength = DEFAULT_MAX_NAME_LENGTH;

    private Builder(Class<T> base) {
      this.base = base;
    }

    /** Maps the wire name {@code typeName} to {@code type}; both must be new to this builder. */
    public Builder<T> register(String typeName, Class<? extends T> type) {
      Objects.requireNonNull(typeName, "typeName");
      Objects.requireNonNull(type, "type");
      if (typeName.isEmpty()) {
        throw new IllegalArgumentException("type name is empty");
      }
      if (!base.isAssignableFrom(type)) {
        throw new IllegalArgumentException(type.getName() + " is not a " + base.getName());
      }
      if (types.containsKey(typeName)) {
        throw new IllegalArgumentException("type name '" + typeName + "' is already registered"
            + " for " + types.get(typeName).getName());
      }
      if (types.containsValue(type)) {
        throw new IllegalArgumentException(type.getName() + " is already registered");
      }
      types.put(typeName, type);
      return this;
    }

    /** The codec name exchanged in the handshake; default {@code "json"}. */
    public Builder<T> name(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isEmpty()) {
        throw new IllegalArgumentException("codec name is empty");
      }
      this.name = name;
      return this;
    }

    /** The deepest nesting of arrays and objects accepted; default 64. */
    public Builder<T> maxNestingDepth(int maxNestingDepth) {
      this.maxNestingDepth = positive(maxNestingDepth, "maxNestingDepth");
      return this;
    }

    /** The longest string value accepted, in characters; default 8 MiB. */
    public Builder<T> maxStringLength(int maxStringLength) {
      this.maxStringLength = positive(maxStringLength, "maxStringLength");
      return this;
    }

    /** The longest number accepted, in characters; default 100. */
    public Builder<T> maxNumberLength(int maxNumberLength) {
      this.maxNumberLength = positive(maxNumberLength, "maxNumberLength");
      return this;
    }

    /** The longest field name accepted, in characters; default 1024. */
    public Builder<T> maxNameLength(int maxNameLength) {
      this.maxNameLength = positive(maxNameLength, "maxNameLength");
      return this;
    }

    /**
     * The codec.
     *
     * @throws IllegalArgumentException if no type was registered
     */
    public JsonCodec<T> build() {
      if (types.isEmpty()) {
        throw new IllegalArgumentException("no message type registered; call register(name, type)");
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
