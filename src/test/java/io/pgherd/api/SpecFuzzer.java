package io.pgherd.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Makes hostile variants of the example specs (manifests/*.yaml) for {@link SpecFuzzTest} and the
 * longer run of {@code io.pgherd.bench.SpecFuzz}: one {@link Kind} of mutation per mutant, chosen
 * and carried out from a {@link Random}, so a seed always gives the same mutants.
 */
public final class SpecFuzzer {

  /** What a mutant does to its seed. */
  public enum Kind {
    WRONG_TYPE, HUGE_NUMBER, NEGATIVE_OR_ZERO, EMPTY_STRING, UNICODE, SHELL_METACHARACTERS,
    YAML_SCALAR_FORMS, MISSING_KEY, DUPLICATE_KEY, UNKNOWN_KEY, ALIAS, ALIAS_BOMB, DEEP_NESTING,
    MULTIPLE_DOCUMENTS, TABS, BINARY_JUNK, TRUNCATED, TAGS, HUGE_FILE, FREE_FORM_FIELDS, COMBINED
  }

  /** A mutated spec: the bytes of the file, and what made it. */
  public record Mutant(Kind kind, String seed, String detail, byte[] bytes) {
    /** The file as text (bytes that are not UTF-8 become U+FFFD, as a lenient reader sees them). */
    public String text() {
      return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      // printable: the details hold the very characters that would act on a terminal
      String d = detail.replaceAll("[\\p{Cc}\\p{Cf}\\p{Cs}\\p{Zl}\\p{Zp}\\p{Mn}]", "?");
      return kind + " of " + seed + " (" + (d.length() > 200 ? d.substring(0, 200) + "..." : d) + ", "
          + bytes.length + " bytes)";
    }
  }

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

  /** Kinds that cost a lot per mutant; drawn rarely unless asked for. */
  private static final List<Kind> EXPENSIVE = List.of(Kind.HUGE_FILE, Kind.DEEP_NESTING, Kind.ALIAS_BOMB);

  private final List<String> names = new ArrayList<>();
  private final List<String> seeds = new ArrayList<>();
  private final List<JsonNode> trees = new ArrayList<>();

  /** The example specs of {@code dir} (*.yaml) as seeds. */
  public static SpecFuzzer fromManifests(Path dir) {
    SpecFuzzer f = new SpecFuzzer();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        String text = Files.readString(p, StandardCharsets.UTF_8);
        f.names.add(p.getFileName().toString());
        f.seeds.add(text);
        f.trees.add(YAML.readTree(text));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (f.seeds.isEmpty()) {
      throw new IllegalStateException("no *.yaml in " + dir);
    }
    return f;
  }

  public int seedCount() {
    return seeds.size();
  }

  /** The next mutant: a kind drawn at random, the expensive ones (10 MB, bombs) once in 200. */
  public Mutant next(Random rnd) {
    Kind kind;
    if (rnd.nextInt(200) == 0) {
      kind = EXPENSIVE.get(rnd.nextInt(EXPENSIVE.size()));
    } else {
      do {
        kind = Kind.values()[rnd.nextInt(Kind.values().length)];
      } while (EXPENSIVE.contains(kind));
    }
    return next(rnd, kind);
  }

  /** A mutant of the given kind from a seed drawn at random. */
  public Mutant next(Random rnd, Kind kind) {
    int i = rnd.nextInt(seeds.size());
    String[] detail = {""};
    String text = mutate(rnd, kind, seeds.get(i), trees.get(i), detail);
    byte[] bytes = kind == Kind.BINARY_JUNK ? binary(rnd, text, detail) : text.getBytes(StandardCharsets.UTF_8);
    return new Mutant(kind, names.get(i), detail[0], bytes);
  }

  private String mutate(Random rnd, Kind kind, String seed, JsonNode tree, String[] detail) {
    switch (kind) {
      case WRONG_TYPE, HUGE_NUMBER, NEGATIVE_OR_ZERO, EMPTY_STRING, UNICODE, SHELL_METACHARACTERS,
          YAML_SCALAR_FORMS, MISSING_KEY, UNKNOWN_KEY, FREE_FORM_FIELDS -> {
        return treeMutation(rnd, kind, tree, detail);
      }
      case COMBINED -> {
        JsonNode copy = tree.deepCopy();
        int n = 2 + rnd.nextInt(4);
        StringBuilder d = new StringBuilder();
        for (int k = 0; k < n; k++) {
          Kind sub = List.of(Kind.WRONG_TYPE, Kind.HUGE_NUMBER, Kind.NEGATIVE_OR_ZERO, Kind.EMPTY_STRING,
              Kind.UNICODE, Kind.SHELL_METACHARACTERS, Kind.YAML_SCALAR_FORMS, Kind.MISSING_KEY,
              Kind.UNKNOWN_KEY, Kind.FREE_FORM_FIELDS).get(rnd.nextInt(10));
          String[] one = {""};
          copy = YAML.valueToTree(readTreeQuietly(treeMutation(rnd, sub, copy, one)));
          d.append(k == 0 ? "" : "; ").append(sub).append(' ').append(one[0]);
        }
        detail[0] = d.toString();
        return write(copy);
      }
      case DUPLICATE_KEY -> {
        return duplicateKey(rnd, seed, detail);
      }
      case ALIAS -> {
        return alias(rnd, seed, detail);
      }
      case ALIAS_BOMB -> {
        detail[0] = "billion laughs";
        StringBuilder sb = new StringBuilder();
        sb.append("lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (int k = 1; k < 10; k++) {
          sb.append("lol").append(k).append(": &l").append(k).append(" [");
          for (int j = 0; j < 9; j++) {
            sb.append(j == 0 ? "" : ", ").append("*l").append(k - 1);
          }
          sb.append("]\n");
        }
        return rnd.nextBoolean() ? seed + sb : sb + seed;
      }
      case DEEP_NESTING -> {
        int depth = rnd.nextBoolean() ? 10_000 : 1 + rnd.nextInt(200);
        String where = pick(rnd, List.of("spec.instances", "top", "spec.postgres.parameters", "metadata.labels"));
        String open = rnd.nextBoolean() ? "[" : "{a: ";
        String close = open.equals("[") ? "]" : "}";
        String nest = open.repeat(depth) + (rnd.nextBoolean() ? close.repeat(depth) : "");
        detail[0] = depth + " x " + open.strip() + " at " + where;
        return switch (where) {
          case "top" -> nest + "\n" + seed;
          case "spec.instances" -> seed.contains("instances:")
              ? seed.replaceFirst("instances: *\\d+", "instances: " + Matcher.quoteReplacement(nest))
              : seed + "\n" + "x: " + nest + "\n";
          default -> seed + "\n" + "nested: " + nest + "\n";
        };
      }
      case MULTIPLE_DOCUMENTS -> {
        int v = rnd.nextInt(5);
        detail[0] = "variant " + v;
        return switch (v) {
          case 0 -> seed + "\n---\n" + seed;
          case 1 -> "---\n" + seed + "\n---\n";
          case 2 -> seed + "\n---\n" + pick(rnd, List.of("x", "[1, 2]", "{a: 1}", "null", "~", "''")) + "\n";
          case 3 -> seed + "\n...\n";
          default -> "%YAML 1.1\n---\n" + seed;
        };
      }
      case TABS -> {
        List<String> lines = new ArrayList<>(List.of(seed.split("\n", -1)));
        int n = 1 + rnd.nextInt(3);
        for (int k = 0; k < n; k++) {
          int at = rnd.nextInt(lines.size());
          String line = lines.get(at);
          line = switch (rnd.nextInt(3)) {
            case 0 -> line.replaceFirst("^ +", "\t");
            case 1 -> line.replaceFirst(": ", ":\t");
            default -> line + "\t";
          };
          lines.set(at, line);
        }
        detail[0] = n + " lines";
        return String.join("\n", lines);
      }
      case BINARY_JUNK -> {
        return seed; // bytes are spliced in by binary()
      }
      case TRUNCATED -> {
        int cut = rnd.nextInt(seed.length());
        detail[0] = "at " + cut;
        return seed.substring(0, cut);
      }
      case TAGS -> {
        String tag = pick(rnd, List.of("!!str", "!!int", "!!float", "!!bool", "!!null", "!!binary", "!!map",
            "!!seq", "!!set", "!!omap", "!!timestamp", "!custom", "!<tag:yaml.org,2002:str>", "!!python/object:os.system",
            "!!javax.script.ScriptEngineManager"));
        List<int[]> spots = scalarLines(seed);
        if (spots.isEmpty()) {
          return seed;
        }
        int[] s = spots.get(rnd.nextInt(spots.size()));
        detail[0] = tag;
        return seed.substring(0, s[1]) + tag + " " + seed.substring(s[1]);
      }
      case HUGE_FILE -> {
        int size = 10 * 1024 * 1024;
        int v = rnd.nextInt(4);
        detail[0] = "variant " + v;
        return switch (v) {
          case 0 -> seed + "# " + "x".repeat(size) + "\n";
          case 1 -> seed.replaceFirst("name: (\\S+)", "name: \"$1" + "a".repeat(size) + "\"");
          case 2 -> {
            StringBuilder sb = new StringBuilder(seed).append("\nlots:\n");
            for (int k = 0; sb.length() < size; k++) {
              sb.append("  k").append(k).append(": v\n");
            }
            yield sb.toString();
          }
          default -> seed + "\n" + "\n".repeat(size);
        };
      }
      default -> throw new IllegalArgumentException(kind.toString());
    }
  }

  // --- mutations of the tree ----------------------------------------------------------------

  /** A place in the tree: the container and the field name or index of one value in it. */
  private record Slot(JsonNode parent, String field, int index, String path) {
    JsonNode get() {
      return field != null ? parent.get(field) : parent.get(index);
    }

    void set(JsonNode v) {
      if (field != null) {
        ((ObjectNode) parent).set(field, v);
      } else {
        ((ArrayNode) parent).set(index, v);
      }
    }

    void remove() {
      if (field != null) {
        ((ObjectNode) parent).remove(field);
      } else {
        ((ArrayNode) parent).remove(index);
      }
    }
  }

  private static void slots(JsonNode node, String path, List<Slot> out) {
    if (node instanceof ObjectNode o) {
      for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String p = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
        out.add(new Slot(o, e.getKey(), -1, p));
        slots(e.getValue(), p, out);
      }
    } else if (node instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        String p = path + "[" + i + "]";
        out.add(new Slot(a, null, i, p));
        slots(a.get(i), p, out);
      }
    }
  }

  private String treeMutation(Random rnd, Kind kind, JsonNode original, String[] detail) {
    JsonNode tree = original.deepCopy();
    List<Slot> all = new ArrayList<>();
    slots(tree, "", all);
    List<Slot> scalars = all.stream().filter(s -> s.get().isValueNode()).toList();
    List<Slot> numbers = all.stream().filter(s -> s.get().isNumber()).toList();
    List<Slot> strings = all.stream().filter(s -> s.get().isTextual()).toList();
    if (scalars.isEmpty()) {
      scalars = all;
    }
    if (all.isEmpty()) {
      detail[0] = "nothing to mutate";
      return write(tree);
    }
    JsonNodeFactory f = JsonNodeFactory.instance;
    switch (kind) {
      case WRONG_TYPE -> {
        Slot s = pick(rnd, all);
        JsonNode v = switch (rnd.nextInt(6)) {
          case 0 -> f.textNode(pick(rnd, List.of("three", "3x", "", "3.0", "true", "0x10")));
          case 1 -> f.arrayNode().add(s.get().deepCopy()).add(1);
          case 2 -> f.objectNode().set("value", s.get().deepCopy());
          case 3 -> f.numberNode(rnd.nextInt(100));
          case 4 -> f.booleanNode(rnd.nextBoolean());
          default -> f.nullNode();
        };
        detail[0] = s.path() + " = " + v;
        s.set(v);
      }
      case HUGE_NUMBER -> {
        Slot s = pick(rnd, numbers.isEmpty() ? scalars : numbers);
        JsonNode v = switch (rnd.nextInt(9)) {
          case 0 -> f.numberNode(1e308);
          case 1 -> f.numberNode(BigInteger.TWO.pow(63));
          case 2 -> f.numberNode(new BigInteger("99999999999999999999"));
          case 3 -> f.numberNode(Long.MAX_VALUE);
          case 4 -> f.numberNode((long) Integer.MAX_VALUE + 1);
          case 5 -> f.numberNode(new BigInteger("9".repeat(90)));
          case 6 -> f.numberNode(Double.MAX_VALUE * 10); // Infinity
          case 7 -> f.textNode("99999999999999999999");
          default -> f.numberNode(BigInteger.TWO.pow(64).negate());
        };
        detail[0] = s.path() + " = " + v;
        s.set(v);
      }
      case NEGATIVE_OR_ZERO -> {
        Slot s = pick(rnd, numbers.isEmpty() ? scalars : numbers);
        JsonNode v = switch (rnd.nextInt(6)) {
          case 0 -> f.numberNode(0);
          case 1 -> f.numberNode(-1);
          case 2 -> f.numberNode(Integer.MIN_VALUE);
          case 3 -> f.numberNode(-0.0);
          case 4 -> f.numberNode(Long.MIN_VALUE);
          default -> f.numberNode(0.5);
        };
        detail[0] = s.path() + " = " + v;
        s.set(v);
      }
      case EMPTY_STRING -> {
        Slot s = pick(rnd, scalars);
        JsonNode v = f.textNode(pick(rnd, List.of("", " ", "\t", "\n")));
        detail[0] = s.path() + " = " + v;
        s.set(v);
      }
      case UNICODE, SHELL_METACHARACTERS -> {
        List<Slot> targets = new ArrayList<>(strings);
        Slot name = all.stream().filter(s -> s.path().equals("metadata.name")).findFirst().orElse(null);
        Slot s = name != null && rnd.nextInt(3) == 0 ? name : pick(rnd, targets.isEmpty() ? scalars : targets);
        String old = s.get().asText();
        String junk = kind == Kind.UNICODE ? unicode(rnd) : shell(rnd);
        String v = switch (rnd.nextInt(3)) {
          case 0 -> junk;
          case 1 -> old + junk;
          default -> junk + old;
        };
        if (rnd.nextInt(4) == 0 && s.field() != null && s.parent() instanceof ObjectNode o) {
          // junk in the key instead of the value
          JsonNode value = s.get();
          o.remove(s.field());
          o.set(s.field() + junk, value);
          detail[0] = "key " + s.path() + junk;
        } else {
          detail[0] = s.path() + " = " + v;
          s.set(f.textNode(v));
        }
      }
      case YAML_SCALAR_FORMS -> {
        Slot s = pick(rnd, scalars);
        String form = pick(rnd, List.of("yes", "no", "on", "off", "Y", "NO", "~", "null", "Null", ".inf", "-.inf",
            ".nan", "0o17", "017", "0x1F", "0b101", "1_000", "3.", "1e3", "+3", "2001-12-14", "2001-12-14t21:59:43.10-05:00",
            "12:30:00", "0", "-0", "3 # comment", "'3'", "\"3\"", "|\n    3", ">-\n    3", "[3]", "{}", "[]", "?",
            "- 3", ": 3", "&a 3", "*a", "!!int 3", "@x", "`x`", "%x"));
        detail[0] = s.path() + " = " + form;
        s.set(f.textNode("\u0000RAW\u0000" + form)); // spliced in raw below
      }
      case MISSING_KEY -> {
        Slot s = pick(rnd, all);
        detail[0] = "without " + s.path();
        s.remove();
      }
      case UNKNOWN_KEY -> {
        List<Slot> objects = all.stream().filter(s -> s.get().isObject()).toList();
        ObjectNode target = objects.isEmpty() || rnd.nextInt(4) == 0 ? (ObjectNode) tree
            : (ObjectNode) pick(rnd, objects).get();
        String key = pick(rnd, List.of("replicas", "instance", "password", "secretAccessKey", "x", "spec",
            "status", "metadata", "__proto__", "<<", "", " ", "a.b", "9", "true", "null", "ключ", "🔑"));
        target.set(key, pick(rnd, List.of(f.numberNode(3), f.textNode("x"), f.objectNode().put("a", 1),
            f.arrayNode().add(1), f.nullNode())));
        detail[0] = "key '" + key + "'";
      }
      case FREE_FORM_FIELDS -> {
        // fields the validator leaves (mostly) free: metadata of Kubernetes, parameters, the status
        String where = pick(rnd, List.of("metadata.labels", "metadata.annotations", "metadata.namespace",
            "metadata.generation", "metadata.uid", "metadata.creationTimestamp", "metadata.finalizers",
            "metadata.resourceVersion", "metadata.deletionGracePeriodSeconds", "metadata.ownerReferences",
            "spec.postgres.parameters", "status", "status.phase", "status.members",
            "spec.backup.objectStore.s3.prefix", "spec.backup.objectStore.filesystem.path",
            "spec.backup.objectStore.s3.credentials.file", "spec.bootstrap.recovery.target.name"));
        String key = pick(rnd, List.of("app", "a.b/c", "work_mem", "shared_buffers", "x" + unicode(rnd),
            "k" + shell(rnd), "search_path", "log_line_prefix", "name", "0"));
        JsonNode value = switch (rnd.nextInt(6)) {
          case 0 -> f.textNode(unicode(rnd));
          case 1 -> f.textNode(shell(rnd));
          case 2 -> f.textNode("x".repeat(1 + rnd.nextInt(5000)));
          case 3 -> f.numberNode(new BigInteger("99999999999999999999"));
          case 4 -> f.arrayNode().add(shell(rnd));
          default -> f.textNode("'" + shell(rnd) + "'");
        };
        String[] parts = where.split("\\.");
        ObjectNode at = (ObjectNode) tree;
        for (int i = 0; i < parts.length - 1; i++) {
          JsonNode next = at.get(parts[i]);
          if (!(next instanceof ObjectNode)) {
            next = at.putObject(parts[i]);
          }
          at = (ObjectNode) next;
        }
        String last = parts[parts.length - 1];
        boolean map = List.of("labels", "annotations", "parameters", "status").contains(last);
        if (map) {
          JsonNode m = at.get(last);
          ObjectNode o = m instanceof ObjectNode on ? on : at.putObject(last);
          o.set(key, value);
          detail[0] = where + "." + key + " = " + value;
        } else {
          at.set(last, value);
          detail[0] = where + " = " + value;
        }
      }
      default -> throw new IllegalArgumentException(kind.toString());
    }
    return write(tree);
  }

  private static final Pattern RAW = Pattern.compile("[\"']?\\\\0RAW\\\\0(.*?)[\"']?$", Pattern.MULTILINE);

  private static String write(JsonNode tree) {
    String text;
    try {
      text = YAML.writeValueAsString(tree);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (!text.contains("RAW")) {
      return text;
    }
    // a YAML form written raw, not as the quoted string the generator made of it
    Matcher m = RAW.matcher(text);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String form = m.group(1).replace("\\n", "\n").replace("\\\"", "\"");
      m.appendReplacement(sb, Matcher.quoteReplacement(form));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  private static JsonNode readTreeQuietly(String text) {
    try {
      JsonNode n = YAML.readTree(text);
      return n == null ? JsonNodeFactory.instance.objectNode() : n;
    } catch (IOException e) {
      return JsonNodeFactory.instance.objectNode().put("unreadable", text);
    }
  }

  // --- mutations of the text ----------------------------------------------------------------

  private static final Pattern KEY_VALUE = Pattern.compile("(?m)^( *)([A-Za-z][A-Za-z0-9_]*): *(\\S.*)$");

  /** [start of line, start of value] of each "key: scalar" line. */
  private static List<int[]> scalarLines(String text) {
    List<int[]> out = new ArrayList<>();
    Matcher m = KEY_VALUE.matcher(text);
    while (m.find()) {
      out.add(new int[] {m.start(), m.start(3)});
    }
    return out;
  }

  private static String duplicateKey(Random rnd, String seed, String[] detail) {
    Matcher m = KEY_VALUE.matcher(seed);
    List<int[]> lines = new ArrayList<>();
    while (m.find()) {
      lines.add(new int[] {m.start(), m.end()});
    }
    if (lines.isEmpty()) {
      return seed;
    }
    int[] l = lines.get(rnd.nextInt(lines.size()));
    String line = seed.substring(l[0], l[1]);
    String copy = rnd.nextBoolean() ? line : line.replaceFirst(": *\\S.*$", ": 7");
    detail[0] = line.strip();
    return seed.substring(0, l[1]) + "\n" + copy + seed.substring(l[1]);
  }

  private static String alias(Random rnd, String seed, String[] detail) {
    List<int[]> spots = scalarLines(seed);
    if (spots.size() < 2) {
      return seed;
    }
    int a = rnd.nextInt(spots.size());
    int b = rnd.nextInt(spots.size());
    if (a == b) {
      b = (a + 1) % spots.size();
    }
    int[] first = spots.get(Math.min(a, b));
    int[] second = spots.get(Math.max(a, b));
    int end = seed.indexOf('\n', second[1]);
    end = end < 0 ? seed.length() : end;
    String ref = rnd.nextInt(4) == 0 ? "*nope" : "*x";
    detail[0] = "&x then " + ref;
    return seed.substring(0, first[1]) + "&x " + seed.substring(first[1], second[1]) + ref + seed.substring(end);
  }

  private static byte[] binary(Random rnd, String text, String[] detail) {
    byte[] base = text.getBytes(StandardCharsets.UTF_8);
    byte[] junk = switch (rnd.nextInt(5)) {
      case 0 -> new byte[] {0};
      case 1 -> new byte[] {(byte) 0xff, (byte) 0xfe};
      case 2 -> new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf}; // a byte order mark
      case 3 -> new byte[] {(byte) 0xc3, (byte) 0x28}; // invalid UTF-8
      default -> {
        byte[] r = new byte[1 + rnd.nextInt(64)];
        rnd.nextBytes(r);
        yield r;
      }
    };
    int at = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(base.length + 1);
    detail[0] = junk.length + " bytes at " + at;
    byte[] out = new byte[base.length + junk.length];
    System.arraycopy(base, 0, out, 0, at);
    System.arraycopy(junk, 0, out, at, junk.length);
    System.arraycopy(base, at, out, at + junk.length, base.length - at);
    return out;
  }

  private static String unicode(Random rnd) {
    return pick(rnd, List.of(
        "\u202Eevil", // right-to-left override
        "\u05E9\u05DC\u05D5\u05DD", // Hebrew
        "\uD83D\uDE00", // emoji
        "d\u0000emo", // NUL
        "e\u0301\u0301\u0301", // combining accents
        "\u0430", // Cyrillic a, looks like a Latin a
        "\uFEFF", // zero width no-break space
        "\u200B", // zero width space
        "\u00E9", // é
        "\uFF11", // fullwidth digit one
        "\u0663", // Arabic-Indic digit three
        "\u2028", // line separator
        "\uD800", // lone surrogate
        "\u0085", // next line
        "\u212A")); // Kelvin sign: lowercases to k
  }

  private static String shell(Random rnd) {
    return pick(rnd, List.of(";", "; rm -rf /", "$(reboot)", "`id`", "'", "\"", "\\", "\n", "\r\n",
        "a\nb: c", "|", "&&", "${HOME}", "%s%n", "'; DROP TABLE x; --", "../../etc/passwd", "*", "#", " # c",
        ": x", "- y", "{", "[", ">", "!", "@", "?", "%"));
  }

  private static <T> T pick(Random rnd, List<T> list) {
    return list.get(rnd.nextInt(list.size()));
  }
}
