package io.pgherd.bench;

import io.pgherd.api.SpecFuzzRun;
import io.pgherd.api.SpecFuzzer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The longer run of the spec fuzzer ({@code bench/spec-fuzz.sh}; not part of CI):
 *
 * <pre>
 *   SpecFuzz [--iterations N] [--seed S] [--manifests DIR] [--shapes]
 * </pre>
 *
 * Prints, per mutation kind, how many mutants were accepted, refused and how many broke a rule
 * (an exception, a message naming no field or position, a changed home, a stored spec that reads
 * back differently), with the slowest case; with --shapes, the distinct refusal messages. Exits 1
 * when any mutant broke a rule. The Docker engine is never contacted (DOCKER_HOST names a socket
 * that does not exist: the image check of apply then warns).
 */
public final class SpecFuzz {
  private SpecFuzz() {}

  public static void main(String[] args) throws Exception {
    long iterations = 100_000;
    long seed = 1;
    Path manifests = Path.of("manifests");
    boolean shapes = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--iterations" -> iterations = Long.parseLong(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--manifests" -> manifests = Path.of(args[++i]);
        case "--shapes" -> shapes = true;
        default -> {
          System.err.println("usage: SpecFuzz [--iterations N] [--seed S] [--manifests DIR] [--shapes]");
          System.exit(2);
        }
      }
    }
    System.setProperty("DOCKER_HOST", SpecFuzzRun.NO_DOCKER);
    SpecFuzzer fuzzer = SpecFuzzer.fromManifests(manifests);
    Path tmp = Files.createTempDirectory("pgherd-spec-fuzz");
    int exit;
    try {
      // warm up (class loading, JIT) on other mutants, so that "slowest" is about the input
      new SpecFuzzRun(Files.createDirectories(tmp.resolve("warm-up")), 0).run(fuzzer, new Random(~seed), 500);
      SpecFuzzRun run = new SpecFuzzRun(Files.createDirectories(tmp.resolve("run")), 50);
      Random rnd = new Random(seed);
      long start = System.nanoTime();
      for (long i = 0; i < iterations; i++) {
        run.check(fuzzer.next(rnd));
        if ((i + 1) % 10_000 == 0) {
          System.err.printf("%d mutants, %.0f s%n", i + 1, (System.nanoTime() - start) / 1e9);
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf("spec fuzz: %d mutants of %d example specs, seed %d, %.1f s (%.0f per second)%n",
          run.total(), fuzzer.seedCount(), seed, seconds, run.total() / seconds);
      String fmt = "%-22s %8s %9s %8s %10s %9s  %s%n";
      System.out.printf(fmt, "KIND", "MUTANTS", "ACCEPTED", "REFUSED", "VIOLATIONS", "SLOWEST", "SLOWEST CASE");
      for (Map.Entry<SpecFuzzer.Kind, SpecFuzzRun.Counts> e : run.byKind.entrySet()) {
        SpecFuzzRun.Counts c = e.getValue();
        System.out.printf(fmt, e.getKey(), c.total, c.accepted, c.refused, c.violations,
            String.format("%.1f ms", c.slowestNanos / 1e6), c.slowest);
      }
      System.out.printf(fmt, "all", run.total(), run.accepted(), run.refused(),
          run.byKind.values().stream().mapToLong(c -> c.violations).sum(),
          String.format("%.1f ms", run.slowestNanos / 1e6), run.slowest);
      if (shapes) {
        System.out.println();
        System.out.println("refusal messages (path head: message with quoted values and numbers masked), count:");
        run.refusalShapes.entrySet().stream()
            .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
            .forEach(e -> System.out.printf("%8d  %s%n", e.getValue(), e.getKey()));
      }
      if (!run.violations.isEmpty()) {
        System.out.println();
        System.out.println("violations (first " + run.violations.size() + "):");
        run.violations.forEach(v -> System.out.println("  " + v));
      }
      exit = run.violations.isEmpty() ? 0 : 1;
    } finally {
      try (Stream<Path> all = Files.walk(tmp)) {
        all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    System.exit(exit);
  }
}
