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

  /** A user's request, judged: the member to promote, or why not (then {@code to} is empty). */
  public record RequestPlan(Optional<Candidate> to, String reason) {
    static RequestPlan refuse(String why) {
      return new RequestPlan(Optional.empty(), why);
    }
  }

  /**
   * Judges {@code pgherd switchover} (primary healthy; target, or the most advanced, streaming
   * replica; nothing is lost because the target must have the primary's final WAL before it is
   * promoted) and {@code pgherd failover --to} (meant for a primary that is down: the target must
   * be as advanced as any replica and within the lag limit, unless forced; a healthy primary is
   * only failed over with force, and switchover is what the user is pointed to).
   *
   * @param candidates replicas that may be promoted (former primaries still rejoining excluded)
   * @param streaming members whose WAL receiver streams from the primary now
   * @param otherMembers the remaining members (primary, rejoining ones), for clear refusals
   */
  public static RequestPlan forRequest(boolean switchover, String toMember, boolean force, String primary,
      boolean primaryHealthy, List<Candidate> candidates, Set<String> streaming, Set<String> otherMembers,
      String lastPrimaryLsn, long maxLagBytes, boolean sync, Set<String> syncStandbys) {
    Optional<Candidate> named = candidates.stream().filter(c -> c.member().equals(toMember)).findFirst();
    if (toMember != null && named.isEmpty()) {
      if (toMember.equals(primary)) {
        return RequestPlan.refuse(toMember + " is already the primary");
      }
      if (otherMembers.contains(toMember)) {
        return RequestPlan.refuse(toMember + " is a former primary still rejoining; it cannot be promoted yet");
      }
      List<String> names = new ArrayList<>(candidates.stream().map(Candidate::member).toList());
      return RequestPlan.refuse(toMember + " is not a replica of this cluster (replicas: "
          + (names.isEmpty() ? "none" : String.join(", ", names)) + ")");
    }
    if (switchover) {
      if (!primaryHealthy) {
        return RequestPlan.refuse("the primary " + primary + " is not healthy, and a switchover needs it running"
            + " to hand over its last WAL; use `pgherd failover NAME --to MEMBER`");
      }
      List<Candidate> ready = candidates.stream()
          .filter(c -> c.reachable() && c.receiveLsn() != null && streaming.contains(c.member()))
          .sorted(ORDER).toList();
      if (named.isPresent()) {
        return ready.contains(named.get())
            ? new RequestPlan(named, "switchover to " + toMember + " requested")
            : RequestPlan.refuse(toMember + " is not streaming from " + primary + " now; it cannot take over");
      }
      return ready.isEmpty()
          ? RequestPlan.refuse("no replica is streaming from " + primary + "; nothing to switch over to")
          : new RequestPlan(Optional.of(ready.get(0)), "switchover requested; " + ready.get(0).member()
              + " chosen (most advanced streaming replica, received " + ready.get(0).receiveLsn() + ")");
    }
    if (named.isEmpty()) {
      return RequestPlan.refuse("a failover needs --to MEMBER");
    }
    Candidate target = named.get();
    if (!target.reachable() || target.receiveLsn() == null) {
      return RequestPlan.refuse(toMember + " does not answer; it cannot be promoted");
    }
    if (primaryHealthy && !force) {
      return RequestPlan.refuse("the primary " + primary + " is healthy: `pgherd switchover NAME --to " + toMember
          + "` changes it without losing data; --force fails over anyway (the primary is killed, and writes "
          + toMember + " has not received are lost)");
    }
    Decision best = choose(candidates, lastPrimaryLsn, maxLagBytes, sync, syncStandbys, force);
    if (best.chosen().isEmpty() && !force) {
      return RequestPlan.refuse(best.reason());
    }
    if (!force && best.chosen().isPresent()
        && Lsn.parse(best.chosen().get().receiveLsn()) > Lsn.parse(target.receiveLsn())) {
      Candidate b = best.chosen().get();
      return RequestPlan.refuse(toMember + " received up to " + target.receiveLsn() + " but " + b.member()
          + " received more (" + b.receiveLsn() + "): promoting " + toMember + " would lose that; choose "
          + b.member() + ", or --force");
    }
    if (!force && lastPrimaryLsn != null) {
      long lag = Math.max(0, Lsn.parse(lastPrimaryLsn) - Lsn.parse(target.receiveLsn()));
      if (lag > maxLagBytes) {
        return RequestPlan.refuse(toMember + " is " + lag + " bytes behind the primary's last known " + lastPrimaryLsn
            + ", more than replication.maximumLagOnFailover (" + maxLagBytes + " bytes); --force overrides");
      }
    }
    return new RequestPlan(named, (force ? "forced " : "") + "failover to " + toMember + " requested (received "
        + target.receiveLsn() + (lastPrimaryLsn == null ? "" : "; the primary was last seen at " + lastPrimaryLsn)
        + (primaryHealthy ? "; the primary was healthy" : "") + ")");
  }
}
