package io.pgherd.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Which members a cluster has and which of them is the primary: the operator's record of intent,
 * persisted before it acts. Ordinals are never reused ({@code nextOrdinal} only grows), so a
 * member removed by a scale-in never comes back under the same name with other data.
 *
 * @param members ordinals of the members, ascending
 * @param nextOrdinal the ordinal the next new member gets
 * @param primary ordinal of the member that is (or is to become) the primary
 * @param failover a failover in progress (written before the old primary is fenced), or null
 * @param lastFailover the last completed failover, or null
 * @param rejoining former primaries fenced and not yet streaming from the current primary
 */
public record Topology(List<Integer> members, int nextOrdinal, int primary, Failover failover, Failover lastFailover,
    List<Integer> rejoining) {

  /**
   * A change of primary.
   *
   * @param reason why (what was seen, with the values that decided it)
   * @param startedAt ISO-8601 instant the intent was recorded
   * @param completedAt when the new primary was promoted; null while in progress
   * @param timeline the new primary's timeline once promoted
   * @param kind {@link #AUTOMATIC} (null in state written before kinds existed), {@link #MANUAL} or
   *     {@link #SWITCHOVER}
   * @param requestId the user's request (`pgherd switchover|failover`) this carries out, or null
   * @param step how far a switchover has gone (recorded before each of its acts), or null before it
   *     has acted
   */
  public record Failover(int from, int to, String reason, String startedAt, String completedAt, Long timeline,
      String kind, String requestId, Step step) {
    public static final String AUTOMATIC = "failover";
    public static final String MANUAL = "manual failover";
    public static final String SWITCHOVER = "switchover";

    public Failover {
      kind = kind == null ? AUTOMATIC : kind;
    }

    public Failover(int from, int to, String reason, String startedAt, String completedAt, Long timeline,
        String kind, String requestId) {
      this(from, to, reason, startedAt, completedAt, timeline, kind, requestId, null);
    }

    /** The same change of primary, gone as far as {@code next}. */
    public Failover at(Step next) {
      return new Failover(from, to, reason, startedAt, completedAt, timeline, kind, requestId, next);
    }

    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isSwitchover() {
      return SWITCHOVER.equals(kind);
    }
  }

  /**
   * A switchover's progress across passes, each recorded before the act it names.
   *
   * @param phase {@link #DEMOTING}: the old primary is told to shut down (or about to be);
   *     {@link #SHUT_DOWN}: its shutdown checkpoint is written, the target must receive it
   * @param since ISO-8601 instant the phase began (its patience counts from there)
   * @param checkpointLsn the shutdown checkpoint's LSN ({@link #SHUT_DOWN})
   * @param control the old primary's pg_control as read, for the log ({@link #SHUT_DOWN})
   * @param shutdownMillis how long the shutdown took, for the log ({@link #SHUT_DOWN})
   */
  public record Step(String phase, String since, String checkpointLsn, String control, Long shutdownMillis) {
    public static final String DEMOTING = "demoting";
    public static final String SHUT_DOWN = "shut down";
  }

  public Topology {
    List<Integer> sorted = new ArrayList<>(members);
    Collections.sort(sorted);
    members = List.copyOf(sorted);
    rejoining = rejoining == null ? List.of() : List.copyOf(rejoining);
    if (!members.isEmpty() && !members.contains(primary)) {
      throw new IllegalArgumentException("primary " + primary + " is not a member of " + members);
    }
    for (int m : members) {
      if (m >= nextOrdinal) {
        throw new IllegalArgumentException("member " + m + " is not below nextOrdinal " + nextOrdinal);
      }
    }
  }

  public Topology(List<Integer> members, int nextOrdinal, int primary) {
    this(members, nextOrdinal, primary, null, null, List.of());
  }

  /** A new cluster: members 1..n, member 1 the primary. */
  public static Topology initial(int instances) {
    List<Integer> members = new ArrayList<>();
    for (int i = 1; i <= instances; i++) {
      members.add(i);
    }
    return new Topology(members, instances + 1, 1);
  }

  /**
   * The topology with {@code instances} members. Scale-out appends new ordinals; scale-in removes
   * the highest-numbered replicas and never the primary.
   */
  public Topology scaledTo(int instances) {
    if (instances < 1) {
      throw new IllegalArgumentException("instances must be at least 1, got " + instances);
    }
    List<Integer> next = new ArrayList<>(members);
    int ordinal = nextOrdinal;
    while (next.size() < instances) {
      next.add(ordinal++);
    }
    while (next.size() > instances) {
      for (int i = next.size() - 1; i >= 0; i--) {
        if (next.get(i) != primary && (failover == null || next.get(i) != failover.to())) {
          next.remove(i);
          break;
        }
      }
    }
    List<Integer> stillRejoining = rejoining.stream().filter(next::contains).toList();
    return new Topology(next, ordinal, primary, failover, lastFailover, stillRejoining);
  }

  /** Records the intent to fail over; nothing else changes yet. */
  public Topology withFailover(Failover intent) {
    return new Topology(members, nextOrdinal, primary, intent, lastFailover, rejoining);
  }

  /** The failover done: its target is the primary, the old primary must rejoin. */
  public Topology promoted(String completedAt, Long timeline) {
    Failover f = failover;
    List<Integer> rejoin = new ArrayList<>(rejoining);
    if (members.contains(f.from()) && !rejoin.contains(f.from())) {
      rejoin.add(f.from());
    }
    rejoin.remove(Integer.valueOf(f.to()));
    return new Topology(members, nextOrdinal, f.to(), null,
        new Failover(f.from(), f.to(), f.reason(), f.startedAt(), completedAt, timeline, f.kind(), f.requestId()), rejoin);
  }

  public Topology rejoined(int ordinal) {
    List<Integer> rejoin = new ArrayList<>(rejoining);
    rejoin.remove(Integer.valueOf(ordinal));
    return new Topology(members, nextOrdinal, primary, failover, lastFailover, rejoin);
  }

  public List<Integer> replicas() {
    return members.stream().filter(m -> m != primary).toList();
  }

  public boolean isPrimary(int ordinal) {
    return ordinal == primary;
  }

  public boolean contains(int ordinal) {
    return members.contains(ordinal);
  }
}
