package io.duplex.codec.json;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import io.duplex.codec.CorruptedFrameException;
import io.duplex.codec.DecoderException;
import io.duplex.codec.EncoderException;
import java.io.IOException;

/**
 * Turns Jackson's exceptions into duplex's codec exceptions whose messages say what was wrong in
 * the peer's terms (the safety limit, the unknown field, the failed check) rather than Jackson's,
 * keeping Jackson's exception as the cause. Jackson is set up never to echo the payload itself.
 */
final class JsonErrors {
  /** Wire text echoed in a message is cut to this many characters. */
  private static final int ECHO_LIMIT = 64;

  private JsonErrors() {}

  /**
   * The decoder exception for {@code e}, thrown while reading a message of wire type {@code type}
   * ({@code null} while the envelope is being read).
   */
  static DecoderException decoding(JacksonException e, String type) {
    String what = type == null ? "JSON message" : "'" + type + "' message";
    StreamConstraintsException limit = find(e, StreamConstraintsException.class);
    if (limit != null) {
      return new DecoderException(what + " breaks a safety limit of this codec (see"
          + " JsonCodec.Builder): " + limit.getOriginalMessage(), e);
    }
    if (e instanceof UnrecognizedPropertyException) {
      UnrecognizedPropertyException u = (UnrecognizedPropertyException) e;
      return new DecoderException("wrong shape for " + what + ": unknown field " + path(u)
          + "; known fields: " + u.getKnownPropertyIds(), e);
    }
    if (e instanceof ValueInstantiationException) {
      return new DecoderException("invalid " + what + ": " + rootMessage(e), e);
    }
    if (e instanceof InvalidDefinitionException) {
      return new DecoderException("cannot read a " + what + ": Jackson cannot bind the"
          + " registered class (a bug in the class, not in the peer): " + e.getOriginalMessage(),
          e);
    }
    if (e instanceof JsonMappingException) {
      JsonMappingException m = (JsonMappingException) e;
      return new DecoderException("wrong shape for " + what + " at " + path(m) + ": "
          + m.getOriginalMessage(), e);
    }
    String original = e.getOriginalMessage();
    if (original != null && original.startsWith("Invalid UTF-8")) { // Utf8.check runs first
      return new DecoderException("invalid UTF-8 in " + what + at(e) + ": " + original, e);
    }
    return new DecoderException("malformed JSON in " + what + at(e) + ": " + original, e);
  }

  /**
   * The encoder exception for {@code e}, thrown while encoding a {@code type}: the sink's own
   * {@link EncoderException} (the frame size limit) as it was thrown, however Jackson wrapped it,
   * or a new one.
   */
  static EncoderException encoding(Exception e, Class<?> type) {
    EncoderException sinks = find(e, EncoderException.class);
    if (sinks != null) {
      return sinks;
    }
    StreamConstraintsException limit = find(e, StreamConstraintsException.class);
    String why = limit != null
        ? "it breaks a safety limit of this codec: " + limit.getOriginalMessage()
        : e.toString();
    return new EncoderException("cannot encode a " + type.getName() + " as JSON: " + why, e);
  }

  /** The envelope was not {@code {"type":...,"data":{...}}}: {@code what} was expected. */
  static DecoderException envelope(JsonParser p, String what) {
    return new DecoderException("wrong JSON envelope: expected " + what + ", found " + found(p)
        + " (a message is {\"type\":...,\"data\":{...}}, \"type\" first)");
  }

  /** Something other than whitespace followed the envelope's closing brace. */
  static CorruptedFrameException trailing(JsonParser p, String type, Throwable cause) {
    CorruptedFrameException e = new CorruptedFrameException("trailing bytes after the '" + type
        + "' message, from byte " + p.currentTokenLocation().getByteOffset()
        + ": a payload is exactly one JSON object");
    if (cause != null) {
      e.initCause(cause);
    }
    return e;
  }

  private static String found(JsonParser p) {
    JsonToken t = p.currentToken();
    if (t == null) {
      return "the end of the input";
    }
    try {
      switch (t) {
        case FIELD_NAME:
          return "field \"" + echo(p.currentName()) + "\"";
        case VALUE_STRING:
          return "string \"" + echo(p.getText()) + "\"";
        case VALUE_NUMBER_INT:
        case VALUE_NUMBER_FLOAT:
          return "number " + echo(p.getText());
        default:
          return t.asString() != null ? "'" + t.asString() + "'" : t.name();
      }
    } catch (IOException e) {
      return t.name();
    }
  }

  /** Cuts wire text for an error message. */
  static String echo(String s) {
    return s == null || s.length() <= ECHO_LIMIT
        ? s
        : s.substring(0, ECHO_LIMIT) + "... (" + s.length() + " characters)";
  }

  private static <X extends Throwable> X find(Throwable t, Class<X> type) {
    for (int depth = 0; t != null && depth < 16; t = t.getCause(), depth++) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    for (int depth = 0; root.getCause() != null && depth < 16; depth++) {
      root = root.getCause();
    }
    return root.getMessage();
  }

  /** Where in the message a mapping error is, as {@code data.field[2]}. */
  private static String path(JsonMappingException e) {
    StringBuilder s = new StringBuilder("data");
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        s.append('.').append(echo(r.getFieldName()));
      } else if (r.getIndex() >= 0) {
        s.append('[').append(r.getIndex()).append(']');
      }
    }
    return s.toString();
  }

  private static String at(JacksonException e) {
    JsonLocation where = e.getLocation();
    return where == null || where.getByteOffset() < 0 ? "" : " at byte " + where.getByteOffset();
  }
}
