package io.pgherd.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of hostile variants of manifests/*.yaml (wrong types, huge and negative numbers,
 * unicode and shell metacharacters, missing, duplicated and unknown keys, aliases and an alias
 * bomb, 10 000 levels of nesting, several documents, tabs, binary junk, 10 MB files) through
 * {@link SpecValidator#parse} and {@code pgherd apply}: each is accepted and reads back the same
 * once stored, or refused with messages naming a field or the YAML position and the home left
 * byte for byte as it was. No exception escapes. A fixed seed: the same mutants every run; the
 * longer run is {@code bench/spec-fuzz.sh}.
 */
class SpecFuzzTest {
  static final long SEED = 20261126L;
  static final int MUTANTS = 3000;

  private static String savedDockerHost;

  @BeforeAll
  static void noDockerEngine() {
    savedDockerHost = System.getProperty("DOCKER_HOST");
    System.setProperty("DOCKER_HOST", SpecFuzzRun.NO_DOCKER);
  }

  @AfterAll
  static void restoreDockerHost() {
    if (savedDockerHost == null) {
      System.clearProperty("DOCKER_HOST");
    } else {
      System.setProperty("DOCKER_HOST", savedDockerHost);
    }
  }

  @Test
  @Timeout(180) // a guard against a hang: about 15 s on an idle 2-core machine
  void everyMutantIsAcceptedOrRefusedWithAFieldPathAndNothingEscapes(@TempDir Path tmp) throws Exception {
    SpecFuzzer fuzzer = SpecFuzzer.fromManifests(Path.of("manifests"));
    SpecFuzzRun run = new SpecFuzzRun(tmp, 200);
    Random rnd = new Random(SEED);
    run.run(fuzzer, rnd, MUTANTS);
    // every kind at least a few times, the expensive ones included
    for (SpecFuzzer.Kind kind : SpecFuzzer.Kind.values()) {
      for (int i = 0; i < 3; i++) {
        run.check(fuzzer.next(rnd, kind));
      }
    }

    System.out.printf("spec fuzz, seed %d: %d mutants, %d accepted, %d refused, %d violations; slowest %.0f ms: %s%n",
        SEED, run.total(), run.accepted(), run.refused(), run.violations.size(), run.slowestNanos / 1e6, run.slowest);
    assertThat(run.violations).as("violations").isEmpty();
    assertThat(run.total()).isEqualTo(MUTANTS + 3L * SpecFuzzer.Kind.values().length);
    assertThat(run.accepted()).as("accepted").isPositive();
    assertThat(run.refused()).as("refused").isPositive();
    assertThat(run.byKind).containsOnlyKeys(SpecFuzzer.Kind.values());
  }
}
