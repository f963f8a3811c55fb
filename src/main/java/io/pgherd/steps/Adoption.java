package io.pgherd.steps;

import io.pgherd.api.ClusterConfig;
import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.MemberContainers;
import io.pgherd.cluster.Observed;
import io.pgherd.cluster.Progress;
import io.pgherd.model.PostgresConf;
import io.pgherd.model.Topology;
import io.pgherd.postgres.InstanceProbe;
import io.pgherd.runtime.ContainerInfo;
import java.util.List;
import java.util.Optional;

/**
 * Members made before pgherd had agents (their container publishes no port 8009) are made again
 * with one — a rolling replacement that loses nothing: one member at a time, only while every
 * member runs and every replica streams; each replica first (stopped cleanly, its container made
 * again with its data volume: it starts as the standby it was), then a switchover to a replica that
 * has its agent, after which the old primary is a replica like the others. A cluster of one member
 * has its primary made again in place (seconds without a primary, as an image change does).
 */
public final class Adoption extends ClusterPart {
  /** How long a replica is given to stop cleanly before it is made again. */
  static final int STOP_SECONDS = 30;
  private final MemberContainers containers;

  public Adoption(ClusterScope scope, MemberContainers containers) {
    super(scope);
    this.containers = containers;
  }

  /** True when {@code c} was made before pgherd had agents. */
  static boolean withoutAgent(ContainerInfo c) {
    return !c.publishedPorts().containsKey(PostgresConf.AGENT_PORT);
  }

  /**
   * One step of the adoption, when one is due and the cluster is settled: a replica made again, or
   * the switchover that makes the primary a replica recorded (returned: the caller stores nothing
   * more and passes again).
   */
  public Optional<Topology> adopt(ClusterConfig cfg, Topology topology, Observed obs, Progress progress) {
    if (topology.failover() != null || !topology.rejoining().isEmpty() || !settled(topology, obs)) {
      return Optional.empty();
    }
    List<Integer> replicas = topology.replicas();
    for (int r : replicas) {
      ContainerInfo c = obs.members().get(r);
      if (withoutAgent(c)) {
        makeAgain(cfg, topology, r, c, "clone", "", "it starts as the replica it was", progress);
        return Optional.empty();
      }
    }
    int p = topology.primary();
    ContainerInfo primary = obs.members().get(p);
    if (!withoutAgent(primary)) {
      return Optional.empty();
    }
    if (replicas.isEmpty()) {
      makeAgain(cfg, topology, p, primary, "initdb", ", and the only member", "it starts as the primary it was",
          progress);
      return Optional.empty();
    }
    int to = replicas.get(0);
    Topology.Failover f = new Topology.Failover(p, to, member(p) + " was made by an older pgherd, without an agent: "
        + member(to) + " takes over, then " + member(p) + " is made again with one", now(), null, null,
        Topology.Failover.SWITCHOVER, null);
    log.action("adopt-switchover", member(p) + " → " + member(to) + ": " + member(p)
        + " was made by an older pgherd, without an agent; every replica has one now");
    Topology next = topology.withFailover(f);
    home.writeState(cluster, next);
    progress.changed = true;
    return Optional.of(next);
  }

  /** Every member runs and answers, the primary as a primary, every replica streaming. */
  private static boolean settled(Topology topology, Observed obs) {
    for (int m : topology.members()) {
      ContainerInfo c = obs.members().get(m);
      InstanceProbe probe = obs.probes().get(m);
      if (c == null || !c.running() || probe == null) {
        return false;
      }
      if (topology.isPrimary(m) ? probe.inRecovery() : !"streaming".equals(probe.receiverStatus())) {
        return false;
      }
    }
    return true;
  }

  /** Stopped cleanly, its container made again with an agent (volume kept; started by the members step). */
  private void makeAgain(ClusterConfig cfg, Topology topology, int ordinal, ContainerInfo c, String mode,
      String besides, String how, Progress progress) {
    docker.stop(c.id(), STOP_SECONDS);
    java.nio.file.Path kept = containers.replace(cfg, topology, ordinal, c, mode);
    log.action("adopt-member", member(ordinal) + ": made by an older pgherd, without an agent" + besides
        + ": stopped and made again with one (data volume kept; " + how
        + (kept == null ? "" : "; the last lines of its log in " + kept) + ")");
    progress.changed = true;
  }
}
