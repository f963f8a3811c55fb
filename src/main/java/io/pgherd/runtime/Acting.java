package io.pgherd.runtime;

import java.util.function.Supplier;

/**
 * Whether this process may act on its clusters now. Always, but for an operator replica on a
 * Swarm whose lease could not be renewed in time: it pauses (no reconcile pass, no word to any
 * agent) until the lease is renewed, since another replica may lead by then. Process-wide, as a
 * process runs one operator; set once by the operator's Swarm side.
 */
public final class Acting {
  private static volatile Supplier<String> whyNot = () -> null;

  private Acting() {}

  /** From now on this process acts only while {@code why} says null (else why not). */
  public static void onlyWhile(Supplier<String> why) {
    whyNot = why == null ? () -> null : why;
  }

  /** Null when this process may act now; otherwise why not. */
  public static String whyNot() {
    return whyNot.get();
  }

  /** Throws {@link NotActing} when this process may not act now. */
  public static void check() {
    String why = whyNot.get();
    if (why != null) {
      throw new NotActing(why);
    }
  }

  /** What an action refused while this process may not act throws: the pass it was part of ends. */
  public static final class NotActing extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    NotActing(String why) {
      super("not acting: " + why);
    }
  }
}
