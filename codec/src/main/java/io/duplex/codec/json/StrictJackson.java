package io.duplex.codec.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;

/**
 * Every Jackson setting {@link JsonCodec} depends on for safety, in one place to review. Nothing
 * here enables default typing, and nothing may: class names never come from the wire.
 */
final class StrictJackson {
  private StrictJackson() {}

  /** A factory whose parsers and generators enforce {@code limits}. */
  static JsonFactory factory(JsonCodec.Builder<?> limits) {
    return JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder()
            .maxNestingDepth(limits.maxNestingDepth)
            .maxStringLength(limits.maxStringLength)
            .maxNumberLength(limits.maxNumberLength)
            .maxNameLength(limits.maxNameLength)
            .build())
        .streamWriteConstraints(StreamWriteConstraints.builder()
            .maxNestingDepth(limits.maxNestingDepth)
            .build())
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        // Characters outside the BMP as their 4 UTF-8 bytes, not as two escaped surrogates.
        .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
        .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION) // never echo payload bytes
        .disable(StreamWriteFeature.AUTO_CLOSE_TARGET) // the transport owns the sink
        .disable(StreamWriteFeature.FLUSH_PASSED_TO_STREAM)
        .build();
  }

  /**
   * A mapper on {@code factory}, strict in every way Jackson offers: unknown, missing, null and
   * duplicate fields fail, scalars are never coerced from another kind, and the polymorphic type
   * validator denies every class-name type id.
   */
  static ObjectMapper mapper(JsonFactory factory) {
    return JsonMapper.builder(factory)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES,
            DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES,
            DeserializationFeature.FAIL_ON_TRAILING_TOKENS,
            DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES,
            DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES,
            DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS,
            DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT,
            DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY,
            DeserializationFeature.UNWRAP_SINGLE_VALUE_ARRAYS)
        .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
        .withCoercionConfig(LogicalType.Textual, c -> c
            .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
        .withCoercionConfig(LogicalType.Integer, c -> c
            .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Float, CoercionAction.Fail))
        .withCoercionConfig(LogicalType.Boolean, c -> c
            .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail))
        // Runtime exceptions from the sink (the frame size limit) pass through unwrapped.
        .disable(SerializationFeature.WRAP_EXCEPTIONS)
        .disable(SerializationFeature.FLUSH_AFTER_WRITE_VALUE)
        .polymorphicTypeValidator(DenyAllTypeValidator.INSTANCE)
        .build();
  }
}
