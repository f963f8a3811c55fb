package io.pgherd.api;

import static io.pgherd.api.SpecErrors.collector;
import static io.pgherd.api.SpecErrors.describeToken;
import static io.pgherd.api.SpecErrors.typeError;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.deser.std.DelegatingDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.type.ArrayType;
import com.fasterxml.jackson.databind.type.CollectionLikeType;
import com.fasterxml.jackson.databind.type.CollectionType;
import com.fasterxml.jackson.databind.type.MapLikeType;
import com.fasterxml.jackson.databind.type.MapType;
import com.fasterxml.jackson.databind.type.ReferenceType;
import java.io.IOException;

/**
 * How scalars of a spec are bound: strictly (an integer is written as one, a boolean is true or
 * false), and a scalar that cannot be bound becomes a {@link Problem} instead of an exception that
 * would stop reading the rest of the spec.
 */
final class StrictScalars {

  private StrictScalars() {}

  /**
   * Wraps every deserializer so that a scalar it cannot convert becomes a Problem (and null)
   * instead of an exception that would stop binding. Scalars are a single token, so skipping one
   * leaves the parser where the enclosing deserializer expects it.
   */
  static final class LenientWrapping extends BeanDeserializerModifier {
    private static final long serialVersionUID = 1L;

    @Override
    public JsonDeserializer<?> modifyDeserializer(DeserializationConfig config,
        BeanDescription beanDesc, JsonDeserializer<?> deserializer) {
      return new Lenient(deserializer);
    }

    @Override
    public JsonDeserializer<?> modifyMapDeserializer(DeserializationConfig config, MapType type,
        BeanDescription beanDesc, JsonDeserializer<?> deserializer) {
      return new Lenient(deserializer);
    }

    @Override
    public JsonDeserializer<?> modifyMapLikeDeserializer(DeserializationConfig config,
        MapLikeType type, BeanDescription beanDesc, JsonDeserializer<?> deserializer) {
      return new Lenient(deserializer);
    }

    @Override
    public JsonDeserializer<?> modifyCollectionDeserializer(DeserializationConfig config,
        CollectionType type, BeanDescription beanDesc, JsonDeserializer<?> deserializer) {
      return new Lenient(deserializer);
    }

    @Override
    public JsonDeserializer<?> modifyCollectionLikeDeserializer(DeserializationConfig config,
        CollectionLikeType type, BeanDescription beanDesc, JsonDeserializer<?> deserializer) {
      return new Lenient(deserializer);
    }

    @Override
    public JsonDeserializer<?> modifyArrayDeserializer(DeserializationConfig config,
        ArrayType valueType, BeanDescription beanDesc, JsonDeserializer<?> deserializer) {
      return new Lenient(deserializer);
    }

    @Override
    public JsonDeserializer<?> modifyReferenceDeserializer(DeserializationConfig config,
        ReferenceType type, BeanDescription beanDesc, JsonDeserializer<?> deserializer) {
      return new Lenient(deserializer);
    }
  }

  static final class Lenient extends DelegatingDeserializer {
    private static final long serialVersionUID = 1L;

    Lenient(JsonDeserializer<?> delegate) {
      super(delegate);
    }

    @Override
    protected JsonDeserializer<?> newDelegatingInstance(JsonDeserializer<?> newDelegatee) {
      return new Lenient(newDelegatee);
    }

    @Override
    public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      JsonToken t = p.currentToken();
      if (t == null || !t.isScalarValue() || collector(ctxt) == null) {
        return _delegatee.deserialize(p, ctxt);
      }
      try {
        return _delegatee.deserialize(p, ctxt);
      } catch (JsonProcessingException | IllegalArgumentException e) {
        typeError(ctxt, p, _delegatee.handledType(), describeToken(t, p));
        return null;
      }
    }
  }

  /** Integers only: no silent truncation of 2.5, no overflow, no booleans. */
  static final class StrictInteger extends StdScalarDeserializer<Integer> {
    private static final long serialVersionUID = 1L;

    StrictInteger() {
      super(Integer.class);
    }

    @Override
    public Integer deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      JsonToken t = p.currentToken();
      if (t == JsonToken.VALUE_NUMBER_INT) {
        if (p.getNumberType() == JsonParser.NumberType.INT) {
          return p.getIntValue();
        }
        return (Integer) ctxt.handleWeirdNumberValue(Integer.class, p.getNumberValue(), "out of range");
      }
      if (t == JsonToken.VALUE_NUMBER_FLOAT) {
        return (Integer) ctxt.handleWeirdNumberValue(Integer.class, p.getNumberValue(), "not an integer");
      }
      if (t == JsonToken.VALUE_STRING) {
        String s = p.getText().strip();
        if (s.matches("-?[0-9]{1,10}")) {
          long v = Long.parseLong(s);
          if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            return (int) v;
          }
        }
        return (Integer) ctxt.handleWeirdStringValue(Integer.class, p.getText(), "not an integer");
      }
      if (t == JsonToken.VALUE_NULL) {
        return null;
      }
      return (Integer) ctxt.handleUnexpectedToken(Integer.class, p);
    }
  }

  static final class StrictLong extends StdScalarDeserializer<Long> {
    private static final long serialVersionUID = 1L;

    StrictLong() {
      super(Long.class);
    }

    @Override
    public Long deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      JsonToken t = p.currentToken();
      if (t == JsonToken.VALUE_NUMBER_INT) {
        JsonParser.NumberType nt = p.getNumberType();
        if (nt == JsonParser.NumberType.INT || nt == JsonParser.NumberType.LONG) {
          return p.getLongValue();
        }
        return (Long) ctxt.handleWeirdNumberValue(Long.class, p.getNumberValue(), "out of range");
      }
      if (t == JsonToken.VALUE_NUMBER_FLOAT) {
        return (Long) ctxt.handleWeirdNumberValue(Long.class, p.getNumberValue(), "not an integer");
      }
      if (t == JsonToken.VALUE_STRING) {
        String s = p.getText().strip();
        if (s.matches("-?[0-9]{1,19}")) {
          try {
            return Long.parseLong(s);
          } catch (NumberFormatException e) {
            // falls through to the problem handler
          }
        }
        return (Long) ctxt.handleWeirdStringValue(Long.class, p.getText(), "not an integer");
      }
      if (t == JsonToken.VALUE_NULL) {
        return null;
      }
      return (Long) ctxt.handleUnexpectedToken(Long.class, p);
    }
  }

  /** true/false only (also quoted); not yes/no/on/off/1/0. */
  static final class StrictBoolean extends StdScalarDeserializer<Boolean> {
    private static final long serialVersionUID = 1L;

    StrictBoolean() {
      super(Boolean.class);
    }

    @Override
    public Boolean deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      JsonToken t = p.currentToken();
      if (t == JsonToken.VALUE_TRUE) {
        return Boolean.TRUE;
      }
      if (t == JsonToken.VALUE_FALSE) {
        return Boolean.FALSE;
      }
      if (t == JsonToken.VALUE_STRING) {
        String s = p.getText().strip();
        if (s.equalsIgnoreCase("true")) {
          return Boolean.TRUE;
        }
        if (s.equalsIgnoreCase("false")) {
          return Boolean.FALSE;
        }
        return (Boolean) ctxt.handleWeirdStringValue(Boolean.class, p.getText(), "not a boolean");
      }
      if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
        return (Boolean) ctxt.handleWeirdNumberValue(Boolean.class, p.getNumberValue(), "not a boolean");
      }
      if (t == JsonToken.VALUE_NULL) {
        return null;
      }
      return (Boolean) ctxt.handleUnexpectedToken(Boolean.class, p);
    }
  }
}
