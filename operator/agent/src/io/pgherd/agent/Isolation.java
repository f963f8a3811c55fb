package io.pgherd.agent;

/**
 * When a primary must fence itself — pure logic, no I/O. A primary is isolated when it has had no
 * word from the operator for the isolation timeout <em>and</em> cannot reach a majority of the
 * cluster's members (itself included) — the side of a partition where a new primary may be
 * promoted. Either alone is not enough: an operator that died while the members still see each
 * other fences nobody, and a member cut off from its replicas but still managed by the operator is
 * the operator's to judge.
 */
final class Isolation {
  private Isolation() {}

  /** Whether to fence, and why (for the log and the status). */
  record Decision(boolean fence, String reason) {}

  /**
   * @param primary the server is a primary (a replica accepts no writes: nothing to fence)
   * @param silentMillis time since the operator's last authenticated call
   * @param timeoutMillis spec.failover.isolationTimeout
   * @param peers the other members of the cluster
   * @param peersReachable how many of them answered just now
   */
  static Decision decide(boolean primary, long silentMillis, long timeoutMillis, int peers, int peersReachable) {
    if (!primary) {
      return new Decision(false, "not a primary");
    }
    if (silentMillis < timeoutMillis) {
      return new Decision(false, "the operator was heard " + silentMillis + " ms ago");
    }
    int members = peers + 1;
    int seen = peersReachable + 1;
    if (majority(peers, peersReachable)) {
      return new Decision(false, "no word from the operator for " + silentMillis + " ms, but " + seen + " of "
          + members + " members reachable (a majority)");
    }
    return new Decision(true, "no word from the operator for " + silentMillis + " ms (isolation timeout "
        + timeoutMillis + " ms) and only " + seen + " of " + members + " members reachable (no majority)");
  }

  /** Whether the operator has been silent for the timeout. */
  static boolean operatorSilent(long silentMillis, long timeoutMillis) {
    return silentMillis >= timeoutMillis;
  }

  /**
   * Whether the peers need asking now: from {@code leadMillis} (the longest a peer probe takes)
   * before the timeout, so that the verdict is ready when the timeout is reached rather than a
   * probe later.
   */
  static boolean probeDue(long silentMillis, long timeoutMillis, long leadMillis) {
    return silentMillis >= timeoutMillis - leadMillis;
  }

  /** How long a verdict reached early (no majority, the operator not yet silent long enough) waits: 0 when due. */
  static long untilTimeout(long silentMillis, long timeoutMillis) {
    return Math.max(0, timeoutMillis - silentMillis);
  }

  /** Whether these many reachable peers, with this member, make a majority of the cluster. */
  static boolean majority(int peers, int peersReachable) {
    return (peersReachable + 1) * 2 > peers + 1;
  }
}
