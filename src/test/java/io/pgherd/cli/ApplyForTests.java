package io.pgherd.cli;

import io.pgherd.store.Home;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/** {@link ApplyCommand#apply} for tests outside io.pgherd.cli (the spec fuzzer). */
public final class ApplyForTests {
  private ApplyForTests() {}

  /** What {@code pgherd apply -f file} does; returns the outcome ("created", ...) and the name. */
  public static String[] apply(Home home, Path file, PrintStream out, PrintStream err) throws IOException {
    ApplyCommand.Applied a = ApplyCommand.apply(home, file, out, err);
    return new String[] {a.name(), a.outcome(), Long.toString(a.generation())};
  }
}
