package io.pgherd.api;

import java.util.List;

/**
 * The outcome of {@link SpecValidator#parse} or {@link SpecValidator#validate}.
 *
 * @param cluster what could be read; {@code null} when the document could not be read at all.
 *     Use it only when {@link #ok()}.
 * @param errors problems that make the spec unusable (unmodifiable)
 * @param warnings problems that do not, such as unknown fields, which are ignored (unmodifiable)
 */
public record ValidationResult(PostgresCluster cluster, List<Problem> errors, List<Problem> warnings) {

  public ValidationResult {
    errors = List.copyOf(errors);
    warnings = List.copyOf(warnings);
  }

  /** True when there is a cluster and no error (warnings are allowed). */
  public boolean ok() {
    return errors.isEmpty() && cluster != null;
  }

  /** Every problem, one per line: {@code error: path: message}, then {@code warning: path: message}. */
  public String report() {
    StringBuilder sb = new StringBuilder();
    errors.forEach(p -> sb.append("error: ").append(p).append('\n'));
    warnings.forEach(p -> sb.append("warning: ").append(p).append('\n'));
    return sb.toString();
  }
}
