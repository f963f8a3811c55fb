package io.pgherd.api;

import static io.pgherd.api.SpecErrors.COLLECTOR;
import static io.pgherd.api.SpecErrors.cleanMessage;
import static io.pgherd.api.SpecErrors.describeToken;
import static io.pgherd.api.SpecErrors.describeYamlError;
import static io.pgherd.api.SpecErrors.pathOf;
import static io.pgherd.api.SpecErrors.quote;
import static io.pgherd.api.SpecValidator.DOCUMENT;
import static io.pgherd.api.SpecValidator.MAX_DOCUMENT_BYTES;
import static io.pgherd.api.SpecValidator.MAX_NESTING_DEPTH;
import static io.pgherd.api.SpecValidator.tooLarge;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.pgherd.api.SpecErrors.Handler;
import io.pgherd.api.StrictScalars.LenientWrapping;
import io.pgherd.api.StrictScalars.StrictBoolean;
import io.pgherd.api.StrictScalars.StrictInteger;
import io.pgherd.api.StrictScalars.StrictLong;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * Turns the text of a spec into a {@link PostgresCluster}, defensively: the document's size, its
 * characters, its nesting, aliases, duplicate keys and extra documents are checked before anything
 * is built (YAML bombs and 10 000 levels of nesting are refused cheaply), SnakeYAML and Jackson are
 * bounded by the same limits, and binding goes on past a bad value so that every problem is
 * reported at once. The rules of each section are checked afterwards, by
 * {@link SpecValidator#validate}.
 */
final class SpecReader {

  private SpecReader() {}

  private static final YAMLFactory YAML = buildFactory();
  private static final ObjectMapper MAPPER = buildMapper();

  private static YAMLFactory buildFactory() {
    LoaderOptions loader = new LoaderOptions();
    // Jackson reads YAML through SnakeYAML's parser; these bound what SnakeYAML itself accepts.
    // Aliases are refused outright by parse() (Jackson would not expand them anyway).
    loader.setMaxAliasesForCollections(10);
    loader.setNestingDepthLimit(MAX_NESTING_DEPTH);
    loader.setCodePointLimit(MAX_DOCUMENT_BYTES + 1024);
    loader.setAllowRecursiveKeys(false);
    return YAMLFactory.builder()
        // the builder does not apply this default of YAMLFactory: "key:" must read as null, not ""
        .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL)
        .loaderOptions(loader)
        .streamReadConstraints(StreamReadConstraints.builder()
            .maxNestingDepth(MAX_NESTING_DEPTH + 1)
            .maxStringLength(MAX_DOCUMENT_BYTES)
            .maxNumberLength(100)
            .build())
        .build();
  }

  private static ObjectMapper buildMapper() {
    SimpleModule strict = new SimpleModule("pgherd-strict-scalars");
    strict.addDeserializer(Integer.class, new StrictInteger());
    strict.addDeserializer(Long.class, new StrictLong());
    strict.addDeserializer(Boolean.class, new StrictBoolean());
    strict.setDeserializerModifier(new LenientWrapping());
    return YAMLMapper.builder(YAML)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .disable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
        .disable(DeserializationFeature.UNWRAP_SINGLE_VALUE_ARRAYS)
        .addModule(strict)
        .build();
  }

  static PostgresCluster read(String text, Collector c) {
    if (text == null || text.isBlank()) {
      c.error(DOCUMENT, "empty document: expected a PostgresCluster (apiVersion, kind, metadata, spec)");
      return null;
    }
    long bytes = utf8Length(text);
    if (bytes > MAX_DOCUMENT_BYTES) {
      c.error(DOCUMENT, tooLarge(bytes));
      return null;
    }
    if (!printable(text, c) || !prescan(text, c)) {
      return null;
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(text);
    } catch (IOException e) {
      c.error(DOCUMENT, describeYamlError(e));
      return null;
    }
    if (root == null || !root.isObject()) {
      c.error(DOCUMENT, "expected a mapping (apiVersion, kind, metadata, spec)");
      return null;
    }
    // CustomResource fixes apiVersion and kind from its annotations and ignores their setters,
    // so they are checked here, on what the document says.
    checkConstant(root, "apiVersion", PostgresCluster.API_VERSION, c);
    checkConstant(root, "kind", PostgresCluster.KIND, c);
    ObjectReader reader = MAPPER.readerFor(PostgresCluster.class)
        .withHandler(new Handler())
        .withAttribute(COLLECTOR, c);
    PostgresCluster cluster;
    try {
      cluster = reader.readValue(root);
    } catch (IOException | RuntimeException e) {
      c.error(e instanceof com.fasterxml.jackson.databind.JsonMappingException jme
          ? pathOf(jme) : DOCUMENT, "cannot read: " + cleanMessage(e));
      return null;
    }
    if (cluster == null) {
      c.error(DOCUMENT, "expected a mapping (apiVersion, kind, metadata, spec)");
      return null;
    }
    if (!root.hasNonNull("metadata") && cluster.getMetadata() != null
        && cluster.getMetadata().equals(new ObjectMeta())) {
      // CustomResource starts with an empty ObjectMeta; keep "absent" visible to validate().
      cluster.setMetadata(null);
    }
    ObjectMeta meta = cluster.getMetadata();
    if (meta != null && meta.getAdditionalProperties() != null) {
      for (String extra : meta.getAdditionalProperties().keySet()) {
        c.warning("metadata." + extra, "unknown field, ignored");
      }
    }
    return cluster;
  }

  /**
   * YAML allows neither control characters (but tab and line breaks) nor lone surrogates. SnakeYAML
   * refuses them too, but without saying where (it would be reported at line 1, column 1), so they
   * are looked for here first.
   */
  private static boolean printable(String text, Collector c) {
    int line = 1;
    int column = 1;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      boolean ok = (cp >= 0x20 && cp <= 0x7e) || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x85
          || (cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
      if (!ok) {
        c.error(DOCUMENT, String.format(Locale.ROOT, "malformed YAML at line %d, column %d: character U+%04X is not"
            + " allowed in YAML (control characters other than tab and line breaks, unpaired surrogates,"
            + " U+FFFE and U+FFFF)", line, column, cp));
        return false;
      }
      if (cp == '\n' || (cp == '\r' && (i + 1 >= text.length() || text.charAt(i + 1) != '\n'))) {
        line++;
        column = 1;
      } else {
        column++;
      }
      i += Character.charCount(cp);
    }
    return true;
  }

  /** The length of {@code s} in UTF-8, without encoding it (a lone surrogate counts as '?'). */
  static long utf8Length(String s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch < 0x80) {
        n += 1;
      } else if (ch < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else if (Character.isSurrogate(ch)) {
        n += 1;
      } else {
        n += 3;
      }
    }
    return n;
  }

  private static void checkConstant(JsonNode root, String field, String expected, Collector c) {
    JsonNode value = root.get(field);
    if (value == null || value.isNull()) {
      c.error(field, "required, must be " + expected);
    } else if (!value.isValueNode()) {
      return; // reported by binding as a type error
    } else if (!expected.equals(value.asText())) {
      c.error(field, "must be " + expected + ", got " + quote(value.asText()));
    }
  }

  /**
   * Streams through the document once before building anything: refuses aliases (YAML bombs),
   * excessive nesting and more than one document; reports duplicate keys; turns malformed YAML
   * into one error with line and column. Returns false when the document cannot be used.
   */
  private static boolean prescan(String text, Collector c) {
    try (YAMLParser p = YAML.createParser(text)) {
      JsonToken t = p.nextToken();
      if (t == null || t == JsonToken.VALUE_NULL
          || (t == JsonToken.VALUE_STRING && p.getText().isEmpty())) {
        c.error(DOCUMENT, "empty document: expected a PostgresCluster (apiVersion, kind, metadata, spec)");
        return false;
      }
      if (t != JsonToken.START_OBJECT) {
        c.error(DOCUMENT, "expected a mapping (apiVersion, kind, metadata, spec), got "
            + describeToken(t, p));
        return false;
      }
      int depth = 0;
      Deque<Set<String>> keys = new ArrayDeque<>();
      for (; t != null; t = p.nextToken()) {
        if (p.isCurrentAlias()) {
          c.error(DOCUMENT, "YAML aliases (*" + p.getText() + ") are not supported, at "
              + where(p) + "; write the value out");
          return false;
        }
        switch (t) {
          case START_OBJECT, START_ARRAY -> {
            if (++depth > MAX_NESTING_DEPTH) {
              c.error(DOCUMENT, "nested deeper than " + MAX_NESTING_DEPTH + " levels, at " + where(p));
              return false;
            }
            keys.push(t == JsonToken.START_OBJECT ? new HashSet<>() : Set.of());
          }
          case END_OBJECT, END_ARRAY -> {
            depth--;
            keys.pop();
          }
          case FIELD_NAME -> {
            if (!keys.peek().add(p.currentName())) {
              c.error(pathOf(p, true), "duplicate key (at " + where(p) + ")");
            }
          }
          default -> { }
        }
        if (depth == 0) {
          break;
        }
      }
      for (t = p.nextToken(); t != null; t = p.nextToken()) {
        boolean emptyDocument = t == JsonToken.VALUE_NULL
            || (t == JsonToken.VALUE_STRING && p.getText().isEmpty() && !p.isCurrentAlias());
        if (!emptyDocument) {
          c.error(DOCUMENT, "more than one YAML document (a second one starts at " + where(p)
              + "); put one PostgresCluster per file");
          break;
        }
      }
      return true;
    } catch (IOException | RuntimeException e) {
      c.error(DOCUMENT, describeYamlError(e));
      return false;
    }
  }

  private static String where(JsonParser p) {
    var loc = p.currentTokenLocation();
    return "line " + loc.getLineNr() + ", column " + loc.getColumnNr();
  }
}
