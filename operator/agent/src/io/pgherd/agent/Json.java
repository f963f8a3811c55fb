package io.pgherd.agent;

import java.util.List;
import java.util.Map;

/** JSON text from maps, lists, strings, numbers, booleans and nulls (the agent writes JSON, never reads it). */
final class Json {
  private Json() {}

  static String write(Object value) {
    StringBuilder out = new StringBuilder();
    write(out, value);
    return out.toString();
  }

  private static void write(StringBuilder out, Object v) {
    if (v == null) {
      out.append("null");
    } else if (v instanceof String s) {
      quote(out, s);
    } else if (v instanceof Number || v instanceof Boolean) {
      out.append(v);
    } else if (v instanceof Map<?, ?> m) {
      out.append('{');
      String sep = "";
      for (Map.Entry<?, ?> e : m.entrySet()) {
        out.append(sep);
        quote(out, String.valueOf(e.getKey()));
        out.append(':');
        write(out, e.getValue());
        sep = ",";
      }
      out.append('}');
    } else if (v instanceof List<?> l) {
      out.append('[');
      String sep = "";
      for (Object o : l) {
        out.append(sep);
        write(out, o);
        sep = ",";
      }
      out.append(']');
    } else {
      throw new IllegalArgumentException("no JSON for " + v.getClass().getName());
    }
  }

  private static void quote(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
