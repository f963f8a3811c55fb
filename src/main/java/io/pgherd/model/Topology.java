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
 */
public record Topology(List<Integer> members, int nextOrdinal, int primary) {

  public Topology {
    List<Integer> sorted = new ArrayList<>(members);
    Collections.sort(sorted);
    members = List.copyOf(sorted);
    if (!members.isEmpty() && !members.contains(primary)) {
      throw new IllegalArgumentException("primary " + primary + " is not a member of " + members);
    }
    for (int m : members) {
      if (m >= nextOrdinal) {
        throw new IllegalArgumentException("member " + m + " is not below nextOrdinal " + nextOrdinal);
      }
    }
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
        if (next.get(i) != primary) {
          next.remove(i);
          break;
        }
      }
    }
    return new Topology(next, ordinal, primary);
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
