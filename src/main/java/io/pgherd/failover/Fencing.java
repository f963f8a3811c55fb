package io.pgherd.failover;

import io.pgherd.api.ClusterConfig;
import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.MemberFiles;
import io.pgherd.cluster.Observed;
import io.pgherd.model.Topology;
import io.pgherd.runtime.ContainerInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The safety gate's action: members accepting writes that are not the primary are killed and
 * told to come back as replicas (they rejoin).
 */
public final class Fencing extends ClusterPart {
  private final MemberFiles memberFiles;

  public Fencing(ClusterScope scope, MemberFiles memberFiles) {
    super(scope);
    this.memberFiles = memberFiles;
  }

  /** Members accepting writes that are not the primary: killed; they come back as replicas. */
  public Topology fence(ClusterConfig cfg, Topology topology, Observed obs, Set<Integer> writers) {
    List<Integer> rejoin = new ArrayList<>(topology.rejoining());
    for (int w : writers) {
      ContainerInfo c = obs.members().get(w);
      docker.kill(c.id());
      docker.copyFiles(c.id(), memberFiles.memberFiles(cfg, topology, w));
      log.action("fence", member(w) + " accepts writes but " + member(topology.primary())
          + " is the primary: killed; it will rejoin as a replica");
      if (!rejoin.contains(w)) {
        rejoin.add(w);
      }
    }
    Topology next = new Topology(topology.members(), topology.nextOrdinal(), topology.primary(), topology.failover(),
        topology.lastFailover(), rejoin);
    home.writeState(cluster, next);
    return next;
  }
}
