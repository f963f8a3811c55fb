package io.pgherd.failover;

import io.pgherd.api.ClusterConfig;
import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.MemberContainers;
import io.pgherd.cluster.Observed;
import io.pgherd.cluster.Progress;
import io.pgherd.model.Names;
import io.pgherd.model.Topology;
import io.pgherd.postgres.InstanceProbe;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.steps.LoadBalancer;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Execution of a failover whose intent is recorded: the load balancer fenced, the old primary
 * killed (disconnected if it cannot be) and told it may only come back as a replica, the target
 * promoted. Each step is idempotent, so a crash anywhere resumes.
 */
public final class Failover extends ClusterPart {
  private final Detector detector;
  private final Promotion promotion;
  private final LoadBalancer loadBalancer;
  private final MemberContainers containers;

  public Failover(ClusterScope scope, Detector detector, Promotion promotion, LoadBalancer loadBalancer,
      MemberContainers containers) {
    super(scope);
    this.detector = detector;
    this.promotion = promotion;
    this.loadBalancer = loadBalancer;
    this.containers = containers;
  }

  /**
   * Carries out the recorded failover: no server in the read-write listener; the old primary
   * killed (disconnected if it cannot be) and told to come back only as a replica; the target
   * promoted; the new topology stored. Each step is idempotent, so a crash anywhere resumes.
   *
   * @return true when the target is the primary and the topology says so
   */
  public boolean failover(ClusterConfig cfg, Topology topology, Observed obs, Progress progress) {
    Topology.Failover f = topology.failover();
    Topology after = new Topology(topology.members(), topology.nextOrdinal(), f.to());
    ContainerInfo old = obs.members().get(f.from());
    // A primary whose container has exited (asked again now) takes no session and accepts no
    // write: the listener is switched to the target while it is promoted, so clients waiting to
    // connect get through the moment it is. Any other primary is out of the listener first.
    boolean exited = old == null || !Detector.canRun(old);
    if (old != null && exited) {
      Optional<ContainerInfo> now = docker.container(old.name());
      exited = now.isEmpty() || !Detector.canRun(now.get()) || detector.died(now.get()); // (a listing can lag its death)
    } else if (old != null && old.running()) {
      exited = detector.died(old);
    }
    CompletableFuture<Void> lbFenced = CompletableFuture.completedFuture(null);
    if (exited) {
      lbFenced = CompletableFuture.runAsync(() -> loadBalancer.fenceLoadBalancer(cfg, topology, obs));
    } else {
      loadBalancer.fenceLoadBalancer(cfg, topology, obs);
    }
    CompletableFuture<Void> told = CompletableFuture.completedFuture(null);
    if (old != null) {
      String how = "container already " + (exited ? "exited" : old.state());
      boolean stopped = true;
      if (!exited) {
        try {
          docker.kill(old.id());
          how = "container killed (it was " + old.state() + ")";
        } catch (RuntimeException e) {
          docker.disconnectNetwork(old.id(), Names.network(cluster));
          how = "kill failed (" + e.getMessage() + "), disconnected from " + Names.network(cluster);
          stopped = false;
        }
      }
      // whoever starts it again (the operator, or a person) gets a replica of the new primary: its
      // container is made again so (data volume kept); while the target is promoted, and before the
      // promotion is recorded
      String fenced = how;
      if (stopped && !MemberContainers.madeNotStarted(old)) {
        told = CompletableFuture.runAsync(() -> {
          java.nio.file.Path kept = containers.replaceAsReplica(cfg, after, f.from(), old);
          log.action("fence", member(f.from()) + ": " + fenced + "; its container made again to start only as a"
              + " replica of " + member(f.to()) + " (data volume kept" + (kept == null ? "" : "; the last lines of"
              + " its log in " + kept) + ")");
        });
      } else {
        log.action("fence", member(f.from()) + ": " + fenced);
      }
    }
    // both finished (a failure fails the pass: the recorded intent is resumed) before the new
    // topology is recorded and acted on
    CompletableFuture<Void> fencing = CompletableFuture.allOf(lbFenced, told);
    ContainerInfo target = obs.members().get(f.to());
    InstanceProbe probe = obs.probes().get(f.to());
    if (target == null || probe == null) {
      String why = member(f.to()) + " cannot be reached any more ("
          + obs.probeErrors().getOrDefault(f.to(), target == null ? "no container" : target.state()) + ")";
      Promotion.join(fencing);
      promotion.abandon(topology, why + (f.requestId() == null ? "; choosing again" : ""));
      progress.waitFor("failover target " + member(f.to()) + " unreachable; choosing again");
      return false;
    }
    return promotion.promote(topology, target, probe, progress, () -> Promotion.join(fencing));
  }
}
