package io.pgherd.swarm;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where a primary should not be (pure): on the node of the Swarm's raft leader. Losing that node
 * loses the primary and, for the Swarm's election (10–30 s on a loaded host), every manager's
 * answer: the operator cannot renew its lease and pauses, and the failover waits for the election
 * on top of the primary's isolation timeout. With the primary elsewhere, losing the leader's node
 * costs no write, and losing the primary's costs the isolation timeout alone. So once every node
 * is ready and every cluster has been Healthy for {@link #SETTLED} (a recovery is over, not under
 * way), a primary on the leader's node is switched over to a replica streaming on another node —
 * one cluster at a time, and a cluster at most once per {@link #AGAIN_AFTER}. The raft leader moves
 * only on an election (its node lost, cut off or too slow to answer), which may land on the node a
 * primary was moved to: it is moved again then (a primary left on the leader's node until a longer
 * guard lapsed cost a chaos cycle 30 s of writes), but never more often than that, whatever elects.
 */
public final class PrimaryPlacement {
  /** A cluster's primary is moved at most once in this long (a move also waits out a status that predates it). */
  public static final Duration AGAIN_AFTER = Duration.ofMinutes(2);
  /** How long every cluster must have been Healthy before a primary is moved. */
  public static final Duration SETTLED = Duration.ofSeconds(60);

  private PrimaryPlacement() {}

  /** A member as the cluster's last status says: its role, state and node id. */
  public record Member(String name, String role, String state, String node) {}

  /** A cluster as its last status says; {@code since}: when it entered that phase (null: unknown). */
  public record Cluster(String name, String phase, Instant since, List<Member> members) {}

  /** A switchover to ask for: the cluster, the replica to promote, and why. */
  public record Move(String cluster, String to, String why) {}

  /**
   * The switchover to ask for now, if any.
   *
   * @param leaderNode the node id of the Swarm's raft leader
   * @param operatorNode the node id the acting operator runs on (a target there is taken last: the
   *     operator would step off it)
   * @param everyNodeReady whether the Swarm calls every node ready
   * @param lastMoved when this placement last moved each cluster's primary
   */
  public static Optional<Move> move(String leaderNode, String operatorNode, boolean everyNodeReady,
      List<Cluster> clusters, Map<String, Instant> lastMoved, Instant now) {
    if (leaderNode == null || !everyNodeReady || clusters.stream().anyMatch(c -> !"Healthy".equals(c.phase())
        || c.since() == null || now.isBefore(c.since().plus(SETTLED)))) {
      return Optional.empty(); // only once all is quiet: a failover, a member or a node away, a rejoin, come first
    }
    for (Cluster c : clusters.stream().sorted(Comparator.comparing(Cluster::name)).toList()) {
      Optional<Member> primary = c.members().stream().filter(m -> "primary".equals(m.role())).findFirst();
      if (primary.isEmpty() || !leaderNode.equals(primary.get().node())) {
        continue;
      }
      Instant last = lastMoved.get(c.name());
      if (last != null && now.isBefore(last.plus(AGAIN_AFTER))) {
        continue;
      }
      Comparator<Member> best = Comparator.comparing((Member m) -> m.node().equals(operatorNode))
          .thenComparing(m -> primariesOn(clusters, m.node()))
          .thenComparing(Member::name);
      Optional<Member> to = c.members().stream()
          .filter(m -> "replica".equals(m.role()) && "streaming".equals(m.state()) && m.node() != null
              && !m.node().equals(leaderNode))
          .min(best);
      if (to.isPresent()) {
        return Optional.of(new Move(c.name(), to.get().name(), "the primary " + primary.get().name() + " runs on node "
            + leaderNode + ", the Swarm's raft leader: losing that node would stop the Swarm's answers (an election)"
            + " as well as the primary's, so it moves to " + to.get().name() + " on node " + to.get().node()));
      }
    }
    return Optional.empty();
  }

  private static long primariesOn(List<Cluster> clusters, String node) {
    return clusters.stream().flatMap(c -> c.members().stream())
        .filter(m -> "primary".equals(m.role()) && node.equals(m.node())).count();
  }
}
