package io.pgherd.api;

import static io.pgherd.api.SpecErrors.UNPRINTABLE;

import java.util.ArrayList;
import java.util.List;

/**
 * The errors and warnings found in one spec, in the order found, each once, with nothing in a path
 * or a message that would act on a terminal. Filled while a spec is read and checked; read out as
 * a {@link ValidationResult}.
 */
final class Collector {
  private final List<Problem> errors = new ArrayList<>();
  private final List<Problem> warnings = new ArrayList<>();

  void error(String path, String message) {
    Problem p = printable(path, message);
    if (!errors.contains(p)) {
      errors.add(p);
    }
  }

  /** Paths hold the spec's own keys: neither they nor messages may act on a terminal. */
  private static Problem printable(String path, String message) {
    return new Problem(UNPRINTABLE.matcher(path).replaceAll("?"), UNPRINTABLE.matcher(message).replaceAll("?"));
  }

  /** Adds an error unless an error already reported covers the same field or a parent of it. */
  void errorUnlessCovered(String path, String message) {
    path = UNPRINTABLE.matcher(path).replaceAll("?");
    for (Problem e : errors) {
      if (path.equals(e.path()) || path.startsWith(e.path() + ".")) {
        return;
      }
    }
    error(path, message);
  }

  void warning(String path, String message) {
    Problem p = printable(path, message);
    if (!warnings.contains(p)) {
      warnings.add(p);
    }
  }

  ValidationResult result(PostgresCluster cluster) {
    return new ValidationResult(cluster, errors, warnings);
  }
}
