package io.pgherd.cluster;

/** What the steps of one pass did and what they are waiting for. */
public final class Progress {
  /** A step changed something: the pass looks again soon and observes afresh for the status. */
  public boolean changed;
  /** The first thing a step is waiting for (shown in the status message). */
  public String waiting;
  /** Look again soon: the primary is failing, and Docker may not have said it has exited yet. */
  public boolean soon;
  /**
   * A new replica the pass waits for (cloning, starting, or answering but not streaming yet,
   * within minutes of its container's creation): between passes the operator asks its agent
   * whether it streams, and runs the next pass as soon as it does, not a second later. Null: none.
   */
  public io.pgherd.runtime.ContainerInfo awaited;
  /** The next pass follows at once: a change of primary is under way and this pass has waited its share. */
  public boolean now;

  public void waitFor(String reason) {
    if (waiting == null) {
      waiting = reason;
    }
  }
}
