package io.pgherd.model;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Chooses the replica to promote when the primary is gone. Pure: the inputs are what the last
 * observation saw. The most advanced received WAL wins (then replayed WAL, then the lower
 * member number); a replica further behind the primary's last known position than the limit is
 * never chosen; in sync mode only a synchronous standby is, and only when every synchronous
 * standby could be asked (one that cannot might hold the only copy of an acknowledged commit).
 */
public final class FailoverPlanner {
  private FailoverPlanner() {}

  /**
   * A replica as seen now.
   *
   * @param reachable answered SQL in this observation
   * @param receiveLsn last WAL received and flushed; null when unknown
   */
  public record Candidate(String member, int ordinal, boolean reachable, String receiveLsn, String replayLsn) {}

  /** The choice, or why there is none; {@code lagBytes} is the chosen one's distance. */
  public record Decision(Optional<Candidate> chosen, String reason, Long lagBytes) {}

  /** Unreachable last, then received LSN (descending), then replayed LSN, then member number. */
  public static final Comparator<Candidate> ORDER = Comparator
      .comparing((Candidate c) -> !c.reachable())
      .thenComparing(Comparator.comparingLong((Candidate c) -> Lsn.parse(c.receiveLsn())).reversed())
      .thenComparing(Comparator.comparingLong((Candidate c) -> Lsn.parse(c.replayLsn())).reversed())
      .thenComparingInt(Candidate::ordinal);

  /**
   * @param lastPrimaryLsn the primary's last known WAL position (null: unknown, no lag check)
   * @param maxLagBytes replication.maximumLagOnFailover
   * @param syncStandbys members named in synchronous_standby_names (empty in async mode)
   * @param force promote the best reachable candidate even past the lag limit
   */
  public static Decision choose(List<Candidate> replicas, String lastPrimaryLsn, long maxLagBytes, boolean sync,
      Set<String> syncStandbys, boolean force) {
    List<Candidate> eligible = new ArrayList<>();
    for (Candidate c : replicas) {
      if (c.reachable() && c.receiveLsn() != null && (!sync || syncStandbys.contains(c.member()))) {
        eligible.add(c);
      }
    }
    if (sync) {
      List<String> unreachable = replicas.stream()
          .filter(c -> syncStandbys.contains(c.member()) && (!c.reachable() || c.receiveLsn() == null))
          .map(Candidate::member).toList();
      if (!unreachable.isEmpty() && !force) {
        return new Decision(Optional.empty(), "sync mode: synchronous standby " + String.join(", ", unreachable)
            + " cannot be asked how far it got, and may hold acknowledged commits the others lack", null);
      }
    }
    if (eligible.isEmpty()) {
      return new Decision(Optional.empty(), sync ? "no reachable synchronous standby" : "no reachable replica", null);
    }
    eligible.sort(ORDER);
    Candidate best = eligible.get(0);
    Long lag = null;
    if (lastPrimaryLsn != null) {
      lag = Math.max(0, Lsn.parse(lastPrimaryLsn) - Lsn.parse(best.receiveLsn()));
      if (lag > maxLagBytes && !force) {
        return new Decision(Optional.empty(), "the most advanced replica " + best.member() + " received up to "
            + best.receiveLsn() + ", " + lag + " bytes behind the primary's last known " + lastPrimaryLsn
            + ", more than replication.maximumLagOnFailover (" + maxLagBytes + " bytes): not promoting automatically;"
            + " `pgherd failover NAME --to " + best.member() + " --force` overrides", lag);
      }
    }
    return new Decision(Optional.of(best), best.member() + " has the most advanced WAL (received " + best.receiveLsn()
        + ", replayed " + best.replayLsn() + (lag == null ? "" : ", " + lag + " bytes behind the primary's last known "
        + lastPrimaryLsn) + ")", lag);
  }
}
