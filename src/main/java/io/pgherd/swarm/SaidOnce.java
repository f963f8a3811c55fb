package io.pgherd.swarm;

import java.util.function.Consumer;

/**
 * A background look that fails now and then (a Swarm between leaders, say) and is tried again
 * later: a lasting failure is said, once for each different message, and forgotten once a look
 * succeeds — neither swallowed nor repeated every few seconds in the operator's log.
 */
public final class SaidOnce {
  private final String what;
  private final Consumer<String> say;
  private String last;

  /** {@code what} opens each line said: what could not be done and when it is tried again. */
  public SaidOnce(String what, Consumer<String> say) {
    this.what = what;
    this.say = say;
  }

  /** The look failed with {@code why}: said unless it is what the last failure said. */
  public synchronized void failed(String why) {
    if (!why.equals(last)) {
      last = why;
      say.accept(what + ": " + why);
    }
  }

  /** The look succeeded: the next failure is said whatever it is. */
  public synchronized void succeeded() {
    last = null;
  }
}
