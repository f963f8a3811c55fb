package io.pgherd.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgherd.cli.ApplyForTests;
import io.pgherd.cli.Main;
import io.pgherd.store.Home;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs mutants of {@link SpecFuzzer} through {@link SpecValidator#parse} and through what
 * {@code pgherd apply -f FILE} does, into one home, and checks what each did: accepted (and stored
 * so that it reads back the same), or refused with messages that name a field or the YAML position
 * (and the home's files unchanged, byte for byte). Anything else is a violation.
 *
 * <p>The image check of apply asks the Docker engine about images pgherd does not build: run this
 * with the system property DOCKER_HOST naming an engine that is not there ({@link #NO_DOCKER}), so
 * that check warns instead of contacting one.
 */
public final class SpecFuzzRun {

  /** An engine address nothing listens on (docker-java reads the DOCKER_HOST system property). */
  public static final String NO_DOCKER = "unix:///nonexistent/pgherd-spec-fuzz/docker.sock";

  /** Per kind: how many, accepted, refused, violations. */
  public static final class Counts {
    public long total;
    public long accepted;
    public long refused;
    public long violations;
    public long slowestNanos;
    public String slowest = "";
  }

  public final Map<SpecFuzzer.Kind, Counts> byKind = new EnumMap<>(SpecFuzzer.Kind.class);
  public final List<String> violations = new ArrayList<>();
  /** Distinct refusal messages with the path replaced by its first segment: what users read. */
  public final Map<String, Long> refusalShapes = new TreeMap<>();
  public long slowestNanos;
  public String slowest = "";

  private final Home home;
  private final Path work;
  private final int maxViolations;

  public SpecFuzzRun(Path tmp, int maxViolations) throws IOException {
    this.home = new Home(tmp.resolve("home"));
    this.work = Files.createDirectories(tmp.resolve("files"));
    this.maxViolations = maxViolations;
    Files.createDirectories(home.root());
  }

  public long accepted() {
    return byKind.values().stream().mapToLong(c -> c.accepted).sum();
  }

  public long refused() {
    return byKind.values().stream().mapToLong(c -> c.refused).sum();
  }

  public long total() {
    return byKind.values().stream().mapToLong(c -> c.total).sum();
  }

  /** Draws and checks {@code n} mutants. */
  public void run(SpecFuzzer fuzzer, Random rnd, int n) {
    for (int i = 0; i < n; i++) {
      check(fuzzer.next(rnd));
    }
  }

  /** Checks one mutant; returns true when it was accepted. */
  public boolean check(SpecFuzzer.Mutant m) {
    Counts counts = byKind.computeIfAbsent(m.kind(), k -> new Counts());
    counts.total++;
    long start = System.nanoTime();
    List<String> wrong = new ArrayList<>();
    boolean accepted = false;
    try {
      accepted = checkOne(m, wrong);
    } catch (Throwable t) { // the checker itself must not stop the run
      wrong.add("the check threw " + t);
    }
    long nanos = System.nanoTime() - start;
    if (nanos > counts.slowestNanos) {
      counts.slowestNanos = nanos;
      counts.slowest = m.toString();
    }
    if (nanos > slowestNanos) {
      slowestNanos = nanos;
      slowest = m.toString();
    }
    if (!wrong.isEmpty()) {
      counts.violations++;
      if (violations.size() < maxViolations) {
        violations.add(m + ": " + String.join("; ", wrong));
      }
    } else if (accepted) {
      counts.accepted++;
    } else {
      counts.refused++;
    }
    return accepted;
  }

  private static final Pattern POSITION = Pattern.compile("line \\d+, column \\d+");
  /** Whole-document refusals that need no position. */
  private static final List<String> DOCUMENT_REASONS = List.of(
      "empty document", "the spec is ", "expected a mapping", "more than one YAML document", "nested deeper than",
      "YAML aliases", "malformed YAML");
  /** Signs of an internal exception turned into a message instead of a reason. */
  private static final List<String> LEAKS = List.of(
      "cannot read the spec:", "cannot validate the spec:", "Exception", "java.", "com.fasterxml", "org.yaml",
      "Error:", "io.pgherd");

  private boolean checkOne(SpecFuzzer.Mutant m, List<String> wrong) throws IOException {
    boolean utf8 = isUtf8(m.bytes());
    ValidationResult parsed = null;
    try {
      parsed = SpecValidator.parse(m.text());
    } catch (Throwable t) {
      wrong.add("SpecValidator.parse threw " + t);
    }
    if (parsed != null) {
      checkResult(parsed, wrong);
    }

    Path file = work.resolve("spec.yaml");
    Files.write(file, m.bytes());
    Map<String, byte[]> before = snapshot(home.root());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] applied = null;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      applied = ApplyForTests.apply(home, file, o, e);
    } catch (Main.UserError e) {
      if (e.getMessage() == null || e.getMessage().isBlank()) {
        wrong.add("apply refused with an empty message");
      } else if (LEAKS.stream().anyMatch(e.getMessage()::contains)) {
        wrong.add("apply refused with an internal error: " + firstLines(e.getMessage()));
      }
      if (!sameFiles(before, snapshot(home.root()))) {
        wrong.add("apply refused it but changed the home");
      }
      if (parsed != null && parsed.ok() && utf8) {
        wrong.add("parse accepted it, apply refused it: " + firstLines(e.getMessage()));
      }
    } catch (Throwable t) {
      wrong.add("apply threw " + t);
    }
    if (applied == null) {
      return false;
    }
    if (parsed == null || !parsed.ok()) {
      wrong.add("apply accepted what parse refused: " + (parsed == null ? "" : parsed.errors()));
      return true;
    }
    // round trip: what was stored reads back as the same cluster
    Optional<String> stored = home.readSpec(applied[0]);
    if (stored.isEmpty()) {
      wrong.add("accepted but nothing stored for " + applied[0]);
      return true;
    }
    ValidationResult again = SpecValidator.parse(stored.get());
    if (!again.ok()) {
      wrong.add("the stored spec does not read back: " + again.errors());
    } else if (!comparable(again.cluster()).equals(comparable(parsed.cluster()))) {
      wrong.add("the stored spec reads back differently: " + comparable(parsed.cluster()) + " became "
          + comparable(again.cluster()));
    }
    return true;
  }

  private void checkResult(ValidationResult r, List<String> wrong) {
    if (r.ok()) {
      if (r.cluster() == null) {
        wrong.add("ok without a cluster");
      }
      return;
    }
    if (r.errors().isEmpty()) {
      wrong.add("refused without an error");
    }
    for (Problem p : r.errors()) {
      if (p.path() == null || p.path().isBlank() || p.message() == null || p.message().isBlank()) {
        wrong.add("an error without a path or message: " + p);
        continue;
      }
      if (LEAKS.stream().anyMatch(p.message()::contains)) {
        wrong.add("an internal error as a message: " + p);
      }
      if (p.path().equals(SpecValidator.DOCUMENT)) {
        if (!POSITION.matcher(p.message()).find()
            && DOCUMENT_REASONS.stream().noneMatch(p.message()::startsWith)) {
          wrong.add("a document error naming no position: " + p);
        }
      } else if (p.path().chars().anyMatch(ch -> ch < 0x20)) {
        wrong.add("a path with control characters: " + p);
      }
      String head = p.path().split("[.\\[]", 2)[0];
      String msg = p.message().replaceAll("'[^']*'", "'…'").replaceAll("\\d+", "N");
      refusalShapes.merge(head + ": " + (msg.length() > 90 ? msg.substring(0, 90) : msg), 1L, Long::sum);
    }
  }

  private static JsonNode comparable(PostgresCluster c) {
    JsonNode tree = Home.JSON.valueToTree(c);
    if (tree.get("metadata") instanceof ObjectNode meta) {
      meta.remove("generation");
    }
    return tree;
  }

  static boolean isUtf8(byte[] bytes) {
    try {
      StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  private static String firstLines(String s) {
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }

  static Map<String, byte[]> snapshot(Path root) {
    Map<String, byte[]> files = new TreeMap<>();
    if (!Files.exists(root)) {
      return files;
    }
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.toList()) {
        String key = root.relativize(p).toString();
        files.put(key, Files.isDirectory(p) ? new byte[0] : Files.readAllBytes(p));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return files;
  }

  static boolean sameFiles(Map<String, byte[]> a, Map<String, byte[]> b) {
    if (!a.keySet().equals(b.keySet())) {
      return false;
    }
    return a.entrySet().stream().allMatch(e -> Arrays.equals(e.getValue(), b.get(e.getKey())));
  }
}
