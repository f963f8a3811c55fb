package io.pgherd.model;

import java.util.regex.Pattern;

/**
 * Quoting of values that pgherd writes into text another program parses: postgresql.conf (and the
 * recovery settings, the same syntax), libpq connection strings, synchronous_standby_names, and the
 * member's environment file (which its entrypoint sources with bash). Names pgherd generates are
 * [a-z0-9-] already (the spec validator refuses anything else); these keep a value that is not —
 * a restore point name, a parameter from the spec — one value, whatever quotes, semicolons,
 * backslashes or line breaks it holds.
 */
public final class Quoting {
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9._/:+-]+");

  private Quoting() {}

  /**
   * A postgresql.conf string literal: single-quoted, a quote doubled, a backslash doubled (the
   * parser reads backslash escapes), and line breaks as {@code \n} / {@code \r} (a literal one would
   * end the line, which makes the whole file invalid).
   */
  public static String confString(String value) {
    StringBuilder out = new StringBuilder(value.length() + 2).append('\'');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\'' -> out.append("''");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        default -> out.append(c);
      }
    }
    return out.append('\'').toString();
  }

  /**
   * A value in a libpq keyword=value connection string: as it is when it is plain, else
   * single-quoted with a backslash before every quote and backslash (libpq's rules).
   */
  public static String conninfoValue(String value) {
    if (PLAIN.matcher(value).matches()) {
      return value;
    }
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  /** A standby name in synchronous_standby_names: double-quoted, a double quote doubled. */
  public static String standbyName(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }

  /**
   * A word for a bash assignment ({@code NAME=word}) in a file that is sourced: as it is when it
   * is plain, else single-quoted with every quote written as {@code '\''}.
   */
  public static String shellWord(String value) {
    if (PLAIN.matcher(value).matches()) {
      return value;
    }
    return "'" + value.replace("'", "'\\''") + "'";
  }
}
