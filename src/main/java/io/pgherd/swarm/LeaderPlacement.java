package io.pgherd.swarm;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where the acting operator should not be (pure), so that one host holds at most one of a primary,
 * the acting operator and the Swarm's raft leader while there are nodes enough:
 * <ul>
 *   <li>on a node that runs a primary, while a standby replica waits on a node that runs none.
 *       Losing that node would lose both at once, and a standby takes over only after the lease
 *       lapses and then waits out the primary's whole isolation timeout (it never heard the
 *       primary's agent), so the write outage would be their sum; with the operator elsewhere it is
 *       the isolation timeout alone. A standby on a node that leads the raft is taken last.
 *   <li>on the raft leader's node, while a standby waits on a node that runs no primary and does
 *       not lead. Losing that node would stop every manager's answers for an election (10–30 s on a
 *       loaded host) before a standby could even take the lapsed lease: control back after their
 *       sum, where it is the lease's lapse alone with the operator elsewhere.
 * </ul>
 * The acting replica gives the lease up and a standby takes it at its next look (≈ 1 s); the one
 * that stepped off stands by in its turn. The raft leader moves only on an election, and primaries
 * are kept off its node ({@link PrimaryPlacement}), so nothing chases anything.
 */
public final class LeaderPlacement {
  private LeaderPlacement() {}

  /**
   * Whether a cluster is quiet enough for the acting replica to step off: Healthy, or Degraded
   * with its one primary running (a replica away with its node, say — that can last hours, and
   * the operator that took over after losing that node may stand on the primary's). Not while it
   * fails over, switches over, restores or its primary is not running: the standby that takes over
   * would start again the count of the primary's silence that a failover waits out.
   *
   * @param primaryStates the states of the members whose role is primary, as the status says
   */
  public static boolean settled(String phase, List<String> primaryStates) {
    return "Healthy".equals(phase) || "Degraded".equals(phase) && primaryStates.equals(List.of("running"));
  }

  /**
   * Why the acting replica on {@code myNode} should step off, if it should.
   *
   * @param primaries clusters' primaries per node id (as the status last said)
   * @param standbys the nodes where a standby replica runs now
   * @param raftLeader the node id of the Swarm's raft leader (null: unknown)
   */
  public static Optional<String> stepOff(String myNode, Map<String, Integer> primaries, Set<String> standbys,
      String raftLeader) {
    int mine = primaries.getOrDefault(myNode, 0);
    Optional<String> free = standbys.stream().filter(n -> !n.equals(myNode) && primaries.getOrDefault(n, 0) == 0)
        .min(Comparator.comparing((String n) -> n.equals(raftLeader)).thenComparing(n -> n)); // its node last
    if (mine > 0) {
      return free.map(n -> "this node (" + myNode + ") runs " + (mine == 1 ? "a primary" : mine + " primaries")
          + ", and a standby waits on node " + n + ", which runs none: losing this node would lose both the"
          + " primary and the acting operator, so the lease goes to the standby");
    }
    if (myNode.equals(raftLeader)) {
      return free.map(n -> "this node (" + myNode + ") leads the Swarm's raft, and"
          + " a standby waits on node " + n + ", which neither leads nor runs a primary: losing this node would stop the"
          + " Swarm's answers for an election before a standby could take over, so the lease goes to the standby");
    }
    return Optional.empty();
  }
}
