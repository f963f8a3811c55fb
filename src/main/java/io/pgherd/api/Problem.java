package io.pgherd.api;

/**
 * One problem found in a spec by {@link SpecValidator}: the field path ({@code spec.instances},
 * {@code spec.postgres.parameters.max_connections}, {@code metadata.name}, or
 * {@code (document)} for the document as a whole) and what is wrong with it.
 *
 * @param path where the problem is
 * @param message what is wrong, e.g. {@code must be between 1 and 9, got 0}
 */
public record Problem(String path, String message) {
  /** {@code path: message}, e.g. {@code spec.instances: must be between 1 and 9, got 0}. */
  @Override
  public String toString() {
    return path + ": " + message;
  }
}
