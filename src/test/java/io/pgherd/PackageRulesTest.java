package io.pgherd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Rules on how the top-level packages under io.pgherd may depend on each other, checked on the
 * sources in src/main/java: a reference is an import (static or not) or a fully qualified name
 * written in the code, comments and string literals left out. A sub-package counts as its
 * top-level package (io.pgherd.api.x is api). A failure names every offending reference as
 * {@code file:line}, so it says what to cut.
 */
class PackageRulesTest {
  private static final Path ROOT = Path.of("src/main/java/io/pgherd");
  private static final Pattern PACKAGE = Pattern.compile("(?m)^\\s*package\\s+([\\w.]+)\\s*;");
  private static final Pattern IMPORT = Pattern.compile("^\\s*import\\s+(static\\s+)?");
  private static final Pattern PGHERD_NAME = Pattern.compile("(?<![\\w.])io\\s*\\.\\s*pgherd\\s*\\.\\s*(\\w+)");

  /** A reference from one file to a name outside its top-level package. */
  record Ref(String from, String to, String file, int line, String kind, String text) {
    String where() {
      return file + ":" + line;
    }

    @Override
    public String toString() {
      return where() + " (" + kind + ") " + text;
    }
  }

  /** One scanned source file: its top-level package and the references it makes. */
  record Source(String file, String pkg, String code, List<String> lines) {}

  private static List<Source> sources;

  // --- the rules -----------------------------------------------------------------------------

  @Test
  void modelDependsOnNoPgherdPackageButApi() {
    assertNoPgherdDependencies("model", Set.of("model", "api"),
        "model is pure (names, topology, configuration text): it may use api's spec types, nothing else of pgherd");
  }

  @Test
  void modelUsesNoDockerJdbcS3QuartzOrHttpClient() {
    assertNoForeignReferences("model",
        List.of("com.github.dockerjava", "java.sql", "software.amazon", "org.quartz", "java.net.http"),
        "model is pure: no Docker, JDBC, S3, scheduler or HTTP client");
  }

  @Test
  void apiDependsOnNoOtherPgherdPackage() {
    assertNoPgherdDependencies("api", Set.of("api"),
        "api is the spec and status types: it depends on no other pgherd package");
  }

  @Test
  void topLevelPackagesHaveNoCycles() {
    List<Ref> refs = pgherdReferences();
    Map<String, Set<String>> graph = new TreeMap<>();
    for (Source s : sources()) {
      graph.computeIfAbsent(s.pkg(), k -> new TreeSet<>());
    }
    for (Ref r : refs) {
      graph.computeIfAbsent(r.from(), k -> new TreeSet<>()).add(r.to());
      graph.computeIfAbsent(r.to(), k -> new TreeSet<>());
    }
    List<Set<String>> cycles = stronglyConnected(graph).stream().filter(c -> c.size() > 1).toList();
    StringBuilder why = new StringBuilder();
    for (Set<String> scc : cycles) {
      why.append("\npackages in a cycle: ").append(String.join(", ", scc)).append('\n');
      for (List<String> cycle : elementaryCycles(graph, scc, 50)) {
        why.append("  cycle: ").append(String.join(" -> ", cycle)).append(" -> ").append(cycle.get(0)).append('\n');
      }
      Map<String, List<Ref>> edges = refs.stream()
          .filter(r -> scc.contains(r.from()) && scc.contains(r.to()))
          .collect(Collectors.groupingBy(r -> r.from() + " -> " + r.to(), TreeMap::new, Collectors.toList()));
      edges.forEach((edge, at) -> {
        why.append("  edge ").append(edge).append(" (").append(at.size()).append(at.size() == 1 ? " reference" : " references")
            .append("):\n");
        at.forEach(r -> why.append("    ").append(r).append('\n'));
      });
    }
    assertThat(cycles).as("the top-level packages under io.pgherd form cycles; cut one edge of each:%s", why).isEmpty();
  }

  /**
   * The member agent (operator/agent/src) is compiled inside the image build with javac
   * alone and runs on a cut-down JDK runtime (java.base, jdk.httpserver, jdk.crypto.ec): it may
   * import nothing but those modules' packages, and nothing of pgherd outside io.pgherd.agent.
   */
  @Test
  void theAgentUsesTheJdkAlone() throws IOException {
    Path agentRoot = Path.of("operator/agent/src");
    Pattern allowed = Pattern.compile("(java\\.(lang|io|nio|net|util|time|math|security)|javax\\.(net|security)"
        + "|com\\.sun\\.net\\.httpserver|io\\.pgherd\\.agent)(\\..*)?");
    Pattern importLine = Pattern.compile("^\\s*import\\s+(?:static\\s+)?([\\w.]+?)(?:\\.\\*)?\\s*;");
    List<String> offending = new ArrayList<>();
    try (Stream<Path> files = Files.walk(agentRoot)) {
      for (Path f : files.filter(x -> x.toString().endsWith(".java")).sorted().toList()) {
        List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
          Matcher m = importLine.matcher(lines.get(i));
          if (m.find() && !allowed.matcher(m.group(1)).matches()) {
            offending.add(agentRoot.relativize(f) + ":" + (i + 1) + " " + m.group(1));
          }
        }
        Matcher pgherd = PGHERD_NAME.matcher(stripCommentsAndStrings(String.join("\n", lines)));
        while (pgherd.find()) {
          if (!pgherd.group(1).equals("agent")) {
            offending.add(agentRoot.relativize(f) + " names io.pgherd." + pgherd.group(1));
          }
        }
      }
    }
    assertThat(offending).as("the agent's imports outside the JDK modules its runtime has").isEmpty();
  }

  @Test
  void reconcileUsesNeitherDockerJavaNorJdbc() {
    assertNoForeignReferences("reconcile", List.of("com.github.dockerjava", "java.sql"),
        "the runtime seam must not leak: reconcile talks to Docker and PostgreSQL through pgherd's own interfaces");
  }

  @Test
  void stepsReachTheEngineOnlyThroughTheRuntimeSeam() {
    for (String pkg : List.of("cluster", "steps", "failover", "restore", "status")) {
      assertNoForeignReferences(pkg, List.of("com.github.dockerjava", "java.sql", "io.pgherd.docker"),
          "a step talks to the engine through runtime.ContainerRuntime and to PostgreSQL through postgres.Instance,"
              + " never to docker-java, JDBC or the Docker gateway: a second runtime (Docker Swarm) must fit without"
              + " touching the steps");
    }
  }

  /** The scanner itself: imports, static imports and inline names count; comments and strings do not. */
  @Test
  void scannerCountsImportsAndInlineNamesButNotCommentsOrStrings() {
    String src = """
        package io.pgherd.model.sub;

        import io.pgherd.api.ClusterConfig;
        import static io.pgherd.tls.ClusterTls.CA_PATH;
        /** Not {@link io.pgherd.docker.DockerGateway}; see io.pgherd.store.Home. */
        class X { // io.pgherd.cli.Main
          /* io.pgherd.reconcile.Operator */
          String s = "io.pgherd.metrics.X" + 'x' + \"""
              io.pgherd.postgres.Y
              \""";
          io.pgherd.backup.BaseBackup.Result t; java.sql.SQLException e;
          io.pgherd.model.Lsn self;
        }
        """;
    Source s = parse("X.java", src);
    assertThat(s.pkg()).isEqualTo("model");
    assertThat(pgherdReferences(s)).extracting(r -> r.to() + "@" + r.line() + ":" + r.kind())
        .containsExactly("api@3:import", "tls@4:static import", "backup@11:inline");
    assertThat(foreignReferences(s, List.of("java.sql"))).extracting(Ref::line).containsExactly(11);
  }

  // --- checks --------------------------------------------------------------------------------

  private static void assertNoPgherdDependencies(String pkg, Set<String> allowed, String rule) {
    List<Ref> bad = pgherdReferences().stream()
        .filter(r -> r.from().equals(pkg) && !allowed.contains(r.to()))
        .toList();
    assertThat(bad).as("%s; these references break it:%n%s", rule, describe(bad)).isEmpty();
  }

  private static void assertNoForeignReferences(String pkg, List<String> forbidden, String rule) {
    List<Ref> bad = sources().stream()
        .filter(s -> s.pkg().equals(pkg))
        .flatMap(s -> foreignReferences(s, forbidden).stream())
        .toList();
    assertThat(bad).as("%s; these references break it:%n%s", rule, describe(bad)).isEmpty();
  }

  private static String describe(List<Ref> refs) {
    Map<String, List<Ref>> byEdge = refs.stream()
        .collect(Collectors.groupingBy(r -> r.from() + " -> " + r.to(), TreeMap::new, Collectors.toList()));
    StringBuilder sb = new StringBuilder();
    byEdge.forEach((edge, at) -> {
      sb.append("  edge ").append(edge).append(":\n");
      at.forEach(r -> sb.append("    ").append(r).append('\n'));
    });
    return sb.toString();
  }

  // --- scanning ------------------------------------------------------------------------------

  private static synchronized List<Source> sources() {
    if (sources == null) {
      assertThat(ROOT).as("run from the project's directory").isDirectory();
      try (Stream<Path> files = Files.walk(ROOT)) {
        sources = files.filter(p -> p.toString().endsWith(".java")).sorted().map(p -> {
          try {
            return parse(p.toString(), Files.readString(p, StandardCharsets.UTF_8));
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }).toList();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      assertThat(sources).as("sources under " + ROOT).isNotEmpty();
    }
    return sources;
  }

  static Source parse(String file, String text) {
    String code = stripCommentsAndStrings(text);
    Matcher m = PACKAGE.matcher(code);
    assertThat(m.find()).as("%s has a package declaration", file).isTrue();
    String name = m.group(1);
    assertThat(name).as("%s is in a package under io.pgherd", file).startsWith("io.pgherd.");
    return new Source(file, topLevel(name.substring("io.pgherd.".length())), code, text.lines().toList());
  }

  /** The top-level package of a name under io.pgherd ("api.x.Y" is api); a class directly in io.pgherd is "io.pgherd". */
  private static String topLevel(String rest) {
    String first = rest.contains(".") ? rest.substring(0, rest.indexOf('.')) : rest;
    return Character.isUpperCase(first.charAt(0)) ? "io.pgherd" : first;
  }

  private static List<Ref> pgherdReferences() {
    return sources().stream().flatMap(s -> pgherdReferences(s).stream()).toList();
  }

  /** The file's references to other top-level io.pgherd packages, one per package and line. */
  static List<Ref> pgherdReferences(Source s) {
    List<Ref> out = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    Matcher m = PGHERD_NAME.matcher(s.code());
    while (m.find()) {
      int line = lineOf(s.code(), m.start());
      String codeLine = s.code().lines().skip(line - 1).findFirst().orElse("");
      if (PACKAGE.matcher(codeLine).find()) {
        continue;
      }
      String to = topLevel(m.group(1));
      if (!to.equals(s.pkg()) && seen.add(to + "@" + line)) {
        out.add(new Ref(s.pkg(), to, s.file(), line, kind(codeLine), s.lines().get(line - 1).trim()));
      }
    }
    return out;
  }

  /** The file's references to the given foreign packages (imports and inline names), one per package and line. */
  static List<Ref> foreignReferences(Source s, List<String> packages) {
    List<Ref> out = new ArrayList<>();
    for (String p : packages) {
      Pattern name = Pattern.compile("(?<![\\w.])" + p.replace(".", "\\s*\\.\\s*") + "(?!\\w)");
      Matcher m = name.matcher(s.code());
      Set<Integer> seen = new LinkedHashSet<>();
      while (m.find()) {
        int line = lineOf(s.code(), m.start());
        if (seen.add(line)) {
          String codeLine = s.code().lines().skip(line - 1).findFirst().orElse("");
          out.add(new Ref(s.pkg(), p, s.file(), line, kind(codeLine), s.lines().get(line - 1).trim()));
        }
      }
    }
    out.sort((a, b) -> a.line() - b.line());
    return out;
  }

  private static String kind(String codeLine) {
    Matcher i = IMPORT.matcher(codeLine);
    return !i.find() ? "inline" : i.group(1) != null ? "static import" : "import";
  }

  private static int lineOf(String code, int offset) {
    int line = 1;
    for (int i = 0; i < offset; i++) {
      if (code.charAt(i) == '\n') {
        line++;
      }
    }
    return line;
  }

  /**
   * The source with every comment and the contents of every string, text block and character
   * literal blanked out; line breaks stay where they were, so line numbers still hold.
   */
  static String stripCommentsAndStrings(String src) {
    StringBuilder out = new StringBuilder(src.length());
    int n = src.length();
    int i = 0;
    while (i < n) {
      char c = src.charAt(i);
      if (c == '/' && i + 1 < n && src.charAt(i + 1) == '/') {
        while (i < n && src.charAt(i) != '\n') {
          out.append(' ');
          i++;
        }
      } else if (c == '/' && i + 1 < n && src.charAt(i + 1) == '*') {
        out.append("  ");
        i += 2;
        while (i < n && !(src.charAt(i) == '*' && i + 1 < n && src.charAt(i + 1) == '/')) {
          out.append(blank(src.charAt(i)));
          i++;
        }
        if (i < n) {
          out.append("  ");
          i += 2;
        }
      } else if (src.startsWith("\"\"\"", i)) {
        out.append("\"\"\"");
        i += 3;
        while (i < n && !src.startsWith("\"\"\"", i)) {
          if (src.charAt(i) == '\\' && i + 1 < n) {
            out.append(' ');
            i++;
          }
          out.append(blank(src.charAt(i)));
          i++;
        }
        if (i < n) {
          out.append("\"\"\"");
          i += 3;
        }
      } else if (c == '"' || c == '\'') {
        out.append(c);
        i++;
        while (i < n && src.charAt(i) != c && src.charAt(i) != '\n') {
          if (src.charAt(i) == '\\' && i + 1 < n) {
            out.append(' ');
            i++;
          }
          out.append(blank(src.charAt(i)));
          i++;
        }
        if (i < n && src.charAt(i) == c) {
          out.append(c);
          i++;
        }
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  private static char blank(char c) {
    return c == '\n' || c == '\r' ? c : ' ';
  }

  // --- graphs --------------------------------------------------------------------------------

  /** Tarjan's strongly connected components, each sorted by name. */
  static List<Set<String>> stronglyConnected(Map<String, Set<String>> graph) {
    Map<String, Integer> index = new HashMap<>();
    Map<String, Integer> low = new HashMap<>();
    Deque<String> stack = new ArrayDeque<>();
    Set<String> onStack = new java.util.HashSet<>();
    List<Set<String>> out = new ArrayList<>();
    int[] next = {0};
    for (String v : graph.keySet()) {
      if (!index.containsKey(v)) {
        connect(v, graph, index, low, stack, onStack, out, next);
      }
    }
    return out;
  }

  private static void connect(String v, Map<String, Set<String>> graph, Map<String, Integer> index,
      Map<String, Integer> low, Deque<String> stack, Set<String> onStack, List<Set<String>> out, int[] next) {
    index.put(v, next[0]);
    low.put(v, next[0]);
    next[0]++;
    stack.push(v);
    onStack.add(v);
    for (String w : graph.getOrDefault(v, Set.of())) {
      if (!index.containsKey(w)) {
        connect(w, graph, index, low, stack, onStack, out, next);
        low.put(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.contains(w)) {
        low.put(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v).equals(index.get(v))) {
      Set<String> scc = new TreeSet<>();
      String w;
      do {
        w = stack.pop();
        onStack.remove(w);
        scc.add(w);
      } while (!w.equals(v));
      out.add(scc);
    }
  }

  /** The simple cycles within one component (at most limit), each starting at its smallest package. */
  static List<List<String>> elementaryCycles(Map<String, Set<String>> graph, Set<String> scc, int limit) {
    List<List<String>> out = new ArrayList<>();
    for (String start : scc) {
      Deque<String> path = new ArrayDeque<>();
      path.addLast(start);
      walk(start, start, graph, scc, path, out, limit);
    }
    return out;
  }

  private static void walk(String start, String v, Map<String, Set<String>> graph, Set<String> scc,
      Deque<String> path, List<List<String>> out, int limit) {
    for (String w : graph.getOrDefault(v, Set.of())) {
      if (out.size() >= limit || !scc.contains(w) || w.compareTo(start) < 0) {
        continue;
      }
      if (w.equals(start)) {
        out.add(List.copyOf(path));
      } else if (!path.contains(w)) {
        path.addLast(w);
        walk(start, w, graph, scc, path, out, limit);
        path.removeLast();
      }
    }
  }
}
