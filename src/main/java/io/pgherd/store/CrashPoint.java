package io.pgherd.store;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test hook for crash-point tests (issue 7): {@code PGHERD_CRASH_AFTER=ACTION[:N]} makes the
 * process halt at once — no shutdown hook, no cleanup, as a SIGKILL would — right after the N-th
 * (default first) cluster-log line of that action (create-member, create-slot, promoted, fence,
 * backup, remove-member...). Every Docker or SQL mutation of a reconcile is followed by such a
 * line, so this stops the operator between any two of its steps. Unset (always, outside tests),
 * it does nothing.
 */
public final class CrashPoint {
  /** The exit status of a process halted by the hook. */
  public static final int EXIT_CODE = 97;
  public static final String ENV = "PGHERD_CRASH_AFTER";

  private static final String ACTION;
  private static final int NTH;
  private static final AtomicInteger SEEN = new AtomicInteger();

  static {
    String spec = System.getenv(ENV);
    String action = null;
    int nth = 1;
    if (spec != null && !spec.isBlank()) {
      String[] p = spec.strip().toLowerCase(Locale.ROOT).split(":", 2);
      action = p[0];
      if (p.length == 2) {
        try {
          nth = Integer.parseInt(p[1]);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("bad " + ENV + " '" + spec + "': expected ACTION[:N]", e);
        }
      }
    }
    ACTION = action;
    NTH = nth;
  }

  private CrashPoint() {}

  /** Called after each cluster-log line: halts the process at the chosen one. */
  static void after(String action) {
    if (ACTION != null && ACTION.equals(action) && SEEN.incrementAndGet() == NTH) {
      System.err.println("crash point: halting after " + action + " #" + NTH + " (" + ENV + ")");
      System.err.flush();
      Runtime.getRuntime().halt(EXIT_CODE);
    }
  }
}
