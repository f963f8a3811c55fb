package io.pgherd.swarm;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where the acting operator should not be (pure): on a node that runs a primary while a standby
 * replica waits on a node that runs none. Losing that node would lose both at once, and a standby
 * takes over only after the lease lapses and then waits out the primary's whole isolation timeout
 * (it never heard the primary's agent), so the write outage would be their sum; with the operator
 * elsewhere it is the isolation timeout alone. The acting replica gives the lease up and a standby
 * takes it at its next look (≈ 1 s); the one that stepped off stands by in its turn.
 */
public final class LeaderPlacement {
  private LeaderPlacement() {}

  /**
   * Why the acting replica on {@code myNode} should step off, if it should.
   *
   * @param primaries clusters' primaries per node id (as the status last said)
   * @param standbys the nodes where a standby replica runs now
   */
  public static Optional<String> stepOff(String myNode, Map<String, Integer> primaries, Set<String> standbys) {
    int mine = primaries.getOrDefault(myNode, 0);
    if (mine == 0) {
      return Optional.empty();
    }
    return standbys.stream().filter(n -> !n.equals(myNode) && primaries.getOrDefault(n, 0) == 0).sorted().findFirst()
        .map(n -> "this node (" + myNode + ") runs " + (mine == 1 ? "a primary" : mine + " primaries")
            + ", and a standby waits on node " + n + ", which runs none: losing this node would lose both the primary"
            + " and the acting operator, so the lease goes to the standby");
  }
}
