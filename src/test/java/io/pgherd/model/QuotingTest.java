package io.pgherd.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The quoting of values pgherd writes into text other programs parse. Each is read back by a
 * parser that follows the consumer's documented rules (PostgreSQL's guc-file.l, libpq's
 * conninfo_parse): hostile values come back as exactly one value, unchanged.
 */
class QuotingTest {
  static final String[] HOSTILE = {"x'; drop table t; --", "a\\b", "it's", "\\'", "'", "\\", "a\nb", "a\r\nb",
      "semi;colon", "with space", "$(id) `id` \"dq\"", "", "trailing\\", "x' host=evil '", "é unicode"};

  @Test
  void confStringsQuoteDoubleAndEscape() {
    assertThat(Quoting.confString("demo-1")).isEqualTo("'demo-1'");
    assertThat(Quoting.confString("x'; drop table t; --")).isEqualTo("'x''; drop table t; --'");
    assertThat(Quoting.confString("a\\b")).isEqualTo("'a\\\\b'");
    assertThat(Quoting.confString("a\nb")).isEqualTo("'a\\nb'");
    assertThat(Quoting.confString("a\r\nb")).isEqualTo("'a\\r\\nb'");
    assertThat(Quoting.confString("")).isEqualTo("''");
    for (String v : HOSTILE) {
      assertThat(Quoting.confString(v)).as(v).doesNotContain("\n", "\r");
      assertThat(parseConf("k = " + Quoting.confString(v) + "\n# after\nnext = 'x'\n"))
          .as(v).containsExactly(Map.entry("k", v), Map.entry("next", "x"));
    }
  }

  @Test
  void conninfoValuesArePlainWhenSafeAndQuotedWithBackslashesElse() {
    assertThat(Quoting.conninfoValue("pgherd-demo-1")).isEqualTo("pgherd-demo-1");
    assertThat(Quoting.conninfoValue("/run/pgherd/pgpass")).isEqualTo("/run/pgherd/pgpass");
    assertThat(Quoting.conninfoValue("x' host=evil '")).isEqualTo("'x\\' host=evil \\''");
    assertThat(Quoting.conninfoValue("a\\b c")).isEqualTo("'a\\\\b c'");
    assertThat(Quoting.conninfoValue("")).isEqualTo("''");
    for (String v : HOSTILE) {
      String conninfo = "host=h application_name=" + Quoting.conninfoValue(v) + " user=replicator";
      assertThat(parseConninfo(conninfo)).as(conninfo)
          .containsExactly(Map.entry("host", "h"), Map.entry("application_name", v), Map.entry("user", "replicator"));
    }
  }

  @Test
  void aConninfoInsideAConfStringSurvivesBothLevels() {
    String v = "x' host=evil user=postgres '\\";
    String conf = "primary_conninfo = " + Quoting.confString("host=h application_name=" + Quoting.conninfoValue(v)) + "\n";
    String conninfo = parseConf(conf).get("primary_conninfo");
    assertThat(parseConninfo(conninfo)).containsExactly(Map.entry("host", "h"), Map.entry("application_name", v));
  }

  @Test
  void standbyNamesAreDoubleQuotedWithQuotesDoubled() {
    assertThat(Quoting.standbyName("demo-2")).isEqualTo("\"demo-2\"");
    assertThat(Quoting.standbyName("a\"b, c)")).isEqualTo("\"a\"\"b, c)\"");
  }

  @ParameterizedTest
  @ValueSource(strings = {"demo-1", "x'; drop table t; --", "$(touch /tmp/pgherd-quoting-pwned)", "`id`", "a b",
      "it's", "\\", "a\nb", "'", "\"", ""})
  void shellWordsReadBackByBashAreTheValueAndRunNothing(String v) throws Exception {
    String file = "V=" + Quoting.shellWord(v) + "\n";
    Process p = new ProcessBuilder("bash", "-c", "set -eu; . /dev/stdin; printf %s \"$V\"").start();
    p.getOutputStream().write(file.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(new String(p.getErrorStream().readAllBytes())).isZero();
    assertThat(out).isEqualTo(v);
    assertThat(java.nio.file.Path.of("/tmp/pgherd-quoting-pwned")).doesNotExist();
  }

  /** postgresql.conf per guc-file.l: name = 'string' with '' and backslash escapes; # comments. */
  static Map<String, String> parseConf(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : text.split("\n", -1)) {
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("#")) {
        continue;
      }
      int eq = t.indexOf('=');
      String key = t.substring(0, eq).strip();
      String rest = t.substring(eq + 1).strip();
      assertThat(rest).as("a quoted string: " + line).startsWith("'");
      StringBuilder v = new StringBuilder();
      int i = 1;
      while (true) {
        assertThat(i).as("unterminated string in " + line).isLessThan(rest.length());
        char c = rest.charAt(i);
        if (c == '\'') {
          if (i + 1 < rest.length() && rest.charAt(i + 1) == '\'') {
            v.append('\'');
            i += 2;
            continue;
          }
          break;
        }
        if (c == '\\') {
          char n = rest.charAt(i + 1);
          v.append(switch (n) {
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            case 'b' -> '\b';
            case 'f' -> '\f';
            default -> n;
          });
          i += 2;
          continue;
        }
        v.append(c);
        i++;
      }
      String after = rest.substring(i + 1).strip();
      assertThat(after.isEmpty() || after.startsWith("#")).as("nothing after the value in " + line).isTrue();
      out.put(key, v.toString());
    }
    return out;
  }

  /** libpq's keyword=value parsing (conninfo_parse): values plain, or single-quoted with \ escapes. */
  static Map<String, String> parseConninfo(String s) {
    Map<String, String> out = new LinkedHashMap<>();
    int i = 0;
    while (true) {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
      if (i >= s.length()) {
        return out;
      }
      int eq = s.indexOf('=', i);
      String key = s.substring(i, eq).strip();
      i = eq + 1;
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
      StringBuilder v = new StringBuilder();
      if (i < s.length() && s.charAt(i) == '\'') {
        i++;
        while (true) {
          assertThat(i).as("unterminated quoted value in " + s).isLessThan(s.length());
          char c = s.charAt(i);
          if (c == '\\') {
            v.append(s.charAt(i + 1));
            i += 2;
          } else if (c == '\'') {
            i++;
            break;
          } else {
            v.append(c);
            i++;
          }
        }
      } else {
        while (i < s.length() && !Character.isWhitespace(s.charAt(i))) {
          char c = s.charAt(i);
          if (c == '\\') {
            v.append(s.charAt(i + 1));
            i += 2;
          } else {
            v.append(c);
            i++;
          }
        }
      }
      assertThat(out).as("keyword " + key + " given twice in " + s).doesNotContainKey(key);
      out.put(key, v.toString());
    }
  }

  @Test
  void theTestParsersThemselvesSeeAnInjection() {
    // what unquoted values would do: a second keyword, text after the value
    assertThatThrownBy(() -> parseConninfo("host=h application_name=x host=evil")).hasMessageContaining("given twice");
    assertThatThrownBy(() -> parseConf("k = 'x'; drop table t; --'\n")).hasMessageContaining("nothing after the value");
    assertThatThrownBy(() -> parseConf("k = 'a\nb'\n")).hasMessageContaining("unterminated");
  }
}
