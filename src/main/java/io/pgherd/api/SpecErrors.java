package io.pgherd.api;

import static io.pgherd.api.SpecValidator.DOCUMENT;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.deser.ValueInstantiator;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * What went wrong while reading a spec, said so that a person can act on it: SnakeYAML and Jackson
 * failures become one line naming the YAML position or the field path
 * ({@code spec.instances: expected an integer, got 'three'}), unknown fields become warnings with a
 * suggestion ({@code did you mean 'instances'?}), and secrets written in the spec become errors.
 * Values are quoted with {@link #quote}, which keeps anything that would act on a terminal out.
 */
final class SpecErrors {

  /** The attribute under which the {@link Collector} of the spec being read is found. */
  static final String COLLECTOR = "io.pgherd.api.SpecValidator.collector";

  private SpecErrors() {}

  static String describeYamlError(Throwable e) {
    for (Throwable x = e; x != null; x = x.getCause()) {
      if (x instanceof MarkedYAMLException m) {
        Mark mark = m.getProblemMark() != null ? m.getProblemMark() : m.getContextMark();
        StringBuilder sb = new StringBuilder("malformed YAML");
        if (mark != null) {
          sb.append(" at line ").append(mark.getLine() + 1).append(", column ").append(mark.getColumn() + 1);
        }
        sb.append(": ").append(oneLine(m.getProblem() != null ? m.getProblem() : m.getMessage()));
        if (m.getContext() != null) {
          sb.append(" (").append(oneLine(m.getContext()));
          if (m.getContextMark() != null) {
            sb.append(" at line ").append(m.getContextMark().getLine() + 1)
                .append(", column ").append(m.getContextMark().getColumn() + 1);
          }
          sb.append(')');
        }
        return sb.toString();
      }
    }
    if (e instanceof JsonProcessingException jpe) {
      StringBuilder sb = new StringBuilder("malformed YAML");
      if (jpe.getLocation() != null && jpe.getLocation().getLineNr() > 0) {
        sb.append(" at line ").append(jpe.getLocation().getLineNr())
            .append(", column ").append(jpe.getLocation().getColumnNr());
      }
      return sb.append(": ").append(oneLine(jpe.getOriginalMessage())).toString();
    }
    return "malformed YAML: " + oneLine(String.valueOf(e.getMessage()));
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.strip().replaceAll("\\s*\\n\\s*", " ");
  }

  static String cleanMessage(Throwable e) {
    String m = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
    return oneLine(m == null ? e.getClass().getSimpleName() : m);
  }

  static String pathOf(com.fasterxml.jackson.databind.JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (var ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.length() == 0 ? DOCUMENT : sb.toString();
  }

  /**
   * The path of the value the parser is on: {@code spec.postgres.parameters.max_connections},
   * {@code status.members[0].name}. With {@code includeFieldName}, a FIELD_NAME token counts.
   */
  static String pathOf(JsonParser p, boolean includeFieldName) {
    Deque<String> parts = new ArrayDeque<>();
    JsonStreamContext ctx = p.getParsingContext();
    JsonToken t = p.currentToken();
    if ((t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) && ctx != null) {
      ctx = ctx.getParent(); // the parser has already entered the new container
    }
    for (; ctx != null && !ctx.inRoot(); ctx = ctx.getParent()) {
      if (ctx.inObject()) {
        if (ctx.getCurrentName() != null) {
          parts.push(ctx.getCurrentName());
        }
      } else if (ctx.inArray()) {
        parts.push("[" + Math.max(0, ctx.getCurrentIndex()) + "]");
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String part : parts) {
      if (sb.length() > 0 && !part.startsWith("[")) {
        sb.append('.');
      }
      sb.append(part);
    }
    return sb.length() == 0 ? DOCUMENT : sb.toString();
  }

  static Collector collector(DeserializationContext ctxt) {
    return (Collector) ctxt.getAttribute(COLLECTOR);
  }

  private static String expected(Class<?> type) {
    if (type == null) {
      return "a value";
    }
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class
        || type == Short.class || type == short.class) {
      return "an integer";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (type == String.class) {
      return "a string";
    }
    if (Collection.class.isAssignableFrom(type) || type.isArray()) {
      return "a list";
    }
    if (Map.class.isAssignableFrom(type) || !type.getName().startsWith("java.")) {
      return "a mapping";
    }
    return "a " + type.getSimpleName();
  }

  static String describeToken(JsonToken t, JsonParser p) {
    try {
      return switch (t) {
        case START_OBJECT -> "a mapping";
        case START_ARRAY -> "a list";
        case VALUE_NULL -> "nothing";
        case VALUE_TRUE, VALUE_FALSE, VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getText();
        case VALUE_STRING -> quote(p.getText());
        case VALUE_EMBEDDED_OBJECT -> "binary data";
        default -> t.toString();
      };
    } catch (IOException e) {
      return t.toString();
    }
  }

  static final Pattern UNPRINTABLE = Pattern.compile("[\\p{Cc}\\p{Cf}\\p{Cs}\\p{Zl}\\p{Zp}]");

  static String quote(Object value) {
    String s = String.valueOf(value);
    if (s.length() > 60) {
      s = s.substring(0, 57) + "...";
    }
    // nothing that would act on a terminal: control and format characters (escape sequences,
    // right-to-left overrides, zero-width spaces), line and paragraph separators, lone surrogates
    return "'" + UNPRINTABLE.matcher(s).replaceAll("?") + "'";
  }

  static void typeError(DeserializationContext ctxt, JsonParser p, Class<?> target, String got) {
    Collector c = collector(ctxt);
    if (c != null) {
      c.error(pathOf(p, false), "expected " + expected(target) + ", got " + got);
    }
  }

  /** Turns binding problems into {@link Problem}s and lets binding continue. */
  static final class Handler extends DeserializationProblemHandler {

    private static final Set<String> SECRET_NAMES = Set.of(
        "accesskeyid", "secretaccesskey", "accesskey", "secretkey", "sessiontoken",
        "awsaccesskeyid", "awssecretaccesskey", "password", "passwd", "secret", "token");

    private static final Map<String, String> SYNONYMS = Map.of(
        "replicas", "instances", "members", "instances", "nodes", "instances");

    @Override
    public boolean handleUnknownProperty(DeserializationContext ctxt, JsonParser p,
        JsonDeserializer<?> deserializer, Object beanOrClass, String propertyName) throws IOException {
      Collector c = collector(ctxt);
      String path = pathOf(p, false);
      if (!path.equals(propertyName) && !path.endsWith("." + propertyName)) {
        path = (path.equals(DOCUMENT) ? "" : path + ".") + propertyName;
      }
      String normalized = propertyName.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "");
      if (SECRET_NAMES.contains(normalized)) {
        c.error(path, path.contains("objectStore.s3")
            ? "secrets must not be written in the spec: name the environment variables with"
                + " accessKeyIdEnv/secretAccessKeyEnv, or point to a credentials file with file"
            : "secrets must not be written in the spec; pgherd generates database credentials itself");
      } else {
        String hint = suggestion(propertyName, deserializer);
        c.warning(path, "unknown field, ignored" + (hint == null ? "" : " (did you mean '" + hint + "'?)"));
      }
      p.skipChildren();
      return true;
    }

    private static String suggestion(String name, JsonDeserializer<?> deserializer) {
      Collection<Object> known = deserializer == null ? null : deserializer.getKnownPropertyNames();
      if (known == null) {
        return null;
      }
      String synonym = SYNONYMS.get(name.toLowerCase(Locale.ROOT));
      if (synonym != null && known.contains(synonym)) {
        return synonym;
      }
      String best = null;
      int bestDistance = 3;
      for (Object k : known) {
        String candidate = String.valueOf(k);
        int d = distance(name.toLowerCase(Locale.ROOT), candidate.toLowerCase(Locale.ROOT));
        if (d < bestDistance) {
          bestDistance = d;
          best = candidate;
        }
      }
      return best;
    }

    private static int distance(String a, String b) {
      int[] prev = new int[b.length() + 1];
      int[] cur = new int[b.length() + 1];
      for (int j = 0; j <= b.length(); j++) {
        prev[j] = j;
      }
      for (int i = 1; i <= a.length(); i++) {
        cur[0] = i;
        for (int j = 1; j <= b.length(); j++) {
          int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
          cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
        }
        int[] tmp = prev;
        prev = cur;
        cur = tmp;
      }
      return prev[b.length()];
    }

    @Override
    public Object handleWeirdStringValue(DeserializationContext ctxt, Class<?> targetType,
        String valueToConvert, String failureMsg) {
      typeError(ctxt, ctxt.getParser(), targetType, quote(valueToConvert));
      return null;
    }

    @Override
    public Object handleWeirdNumberValue(DeserializationContext ctxt, Class<?> targetType,
        Number valueToConvert, String failureMsg) {
      JsonParser p = ctxt.getParser();
      String got = String.valueOf(valueToConvert);
      if (p.currentToken() != null && p.currentToken().isNumeric()) {
        got = describeToken(p.currentToken(), p); // the number as written, not as converted
      }
      typeError(ctxt, p, targetType, got);
      return null;
    }

    @Override
    public Object handleWeirdNativeValue(DeserializationContext ctxt, JavaType targetType,
        Object valueToConvert, JsonParser p) {
      typeError(ctxt, p, targetType.getRawClass(), quote(valueToConvert));
      return null;
    }

    @Override
    public Object handleUnexpectedToken(DeserializationContext ctxt, JavaType targetType,
        JsonToken t, JsonParser p, String failureMsg) throws IOException {
      typeError(ctxt, p, targetType.getRawClass(), describeToken(t, p));
      p.skipChildren();
      return null;
    }

    @Override
    public Object handleMissingInstantiator(DeserializationContext ctxt, Class<?> instClass,
        ValueInstantiator valueInsta, JsonParser p, String msg) throws IOException {
      typeError(ctxt, p, instClass, describeToken(p.currentToken(), p));
      p.skipChildren();
      return null;
    }

    @Override
    public Object handleInstantiationProblem(DeserializationContext ctxt, Class<?> instClass,
        Object argument, Throwable t) {
      Collector c = collector(ctxt);
      c.error(pathOf(ctxt.getParser(), false), "cannot read: " + cleanMessage(t));
      return null;
    }
  }
}
