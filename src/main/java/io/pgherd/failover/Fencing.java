package io.pgherd.failover;

import io.pgherd.api.ClusterConfig;
import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.MemberContainers;
import io.pgherd.cluster.Observed;
import io.pgherd.cluster.Progress;
import io.pgherd.model.Topology;
import io.pgherd.postgres.AgentException;
import io.pgherd.postgres.MemberAgent;
import io.pgherd.runtime.ContainerInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The safety gate's action: members accepting writes that are not the primary are killed and
 * made again to come back as replicas (they rejoin). And the way back from a member's own fence: a
 * primary its agent fenced that nobody replaced is the primary again.
 */
public final class Fencing extends ClusterPart {
  private final MemberContainers containers;

  public Fencing(ClusterScope scope, MemberContainers containers) {
    super(scope);
    this.containers = containers;
  }

  /** Members accepting writes that are not the primary: killed, made again; they come back as replicas. */
  public Topology fence(ClusterConfig cfg, Topology topology, Observed obs, Set<Integer> writers) {
    List<Integer> rejoin = new ArrayList<>(topology.rejoining());
    for (int w : writers) {
      ContainerInfo c = obs.members().get(w);
      docker.kill(c.id());
      java.nio.file.Path kept = containers.replaceAsReplica(cfg, topology, w, c);
      log.action("fence", member(w) + " accepts writes but " + member(topology.primary())
          + " is the primary: killed, its container made again to rejoin as a replica (data volume kept"
          + (kept == null ? "" : "; the last lines of its log in " + kept) + ")");
      if (!rejoin.contains(w)) {
        rejoin.add(w);
      }
    }
    Topology next = new Topology(topology.members(), topology.nextOrdinal(), topology.primary(), topology.failover(),
        topology.lastFailover(), rejoin);
    home.writeState(cluster, next);
    return next;
  }

  /**
   * A primary its own agent fenced (cut off from the operator and the majority for a while) that no
   * replica can replace now is the primary again: nobody else took writes, so its fence is lifted.
   */
  public void unfence(Topology topology, Observed obs, Progress progress) {
    int p = topology.primary();
    ContainerInfo c = obs.members().get(p);
    Optional<MemberAgent> agent = c == null ? Optional.empty() : agent(c);
    if (agent.isEmpty()) {
      return;
    }
    try {
      agent.get().unfence();
      log.action("unfence", member(p) + ": its agent had fenced it (" + obs.fenced().get(p)
          + "); nobody takes over (no eligible replica, or automatic failover is off), so it is the primary again");
      progress.changed = true;
    } catch (AgentException e) {
      progress.waitFor("cannot lift " + member(p) + "'s fence: " + e.getMessage());
    }
  }
}
