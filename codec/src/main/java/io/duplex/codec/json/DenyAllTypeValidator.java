package io.duplex.codec.json;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.cfg.MapperConfig;
import com.fasterxml.jackson.databind.jsontype.PolymorphicTypeValidator;

/**
 * Denies every class-name type id, at the base type: a registered class that asks for class
 * names on the wire ({@code @JsonTypeInfo(use = CLASS)}) cannot be read at all, and no class
 * named by a peer is ever looked up. (Jackson's empty {@code BasicPolymorphicTypeValidator} also
 * denies, but only after resolving the name.) Defense in depth: {@link JsonCodec} never enables
 * default typing, so without such an annotation no type id is read in the first place.
 */
final class DenyAllTypeValidator extends PolymorphicTypeValidator.Base {
  private static final long serialVersionUID = 1L;

  static final DenyAllTypeValidator INSTANCE = new DenyAllTypeValidator();

  private DenyAllTypeValidator() {}

  @Override
  public Validity validateBaseType(MapperConfig<?> config, JavaType baseType) {
    return Validity.DENIED;
  }

  @Override
  public Validity validateSubClassName(MapperConfig<?> config, JavaType baseType,
      String subClassName) {
    return Validity.DENIED;
  }

  @Override
  public Validity validateSubType(MapperConfig<?> config, JavaType baseType, JavaType subType) {
    return Validity.DENIED;
  }
}
