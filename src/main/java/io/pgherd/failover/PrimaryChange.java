package io.pgherd.failover;

import io.pgherd.api.ClusterConfig;
import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.Observed;
import io.pgherd.cluster.Progress;
import io.pgherd.model.FailoverPlanner;
import io.pgherd.model.Topology;
import io.pgherd.postgres.InstanceProbe;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.steps.LoadBalancer;
import io.pgherd.store.ControlRequest;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * A change of primary from its intent to the pass that follows it: a user's request judged into
 * an intent (or refused), the recorded intent carried out (a {@link Switchover} or a
 * {@link Failover}) and its requester answered, then writes resumed at once (the load balancer
 * pointed at the new primary while the old one restarts as a replica).
 */
public final class PrimaryChange extends ClusterPart {
  private final Detector detector;
  private final Failover failover;
  private final Switchover switchover;
  private final Rejoin rejoin;
  private final LoadBalancer loadBalancer;

  public PrimaryChange(ClusterScope scope, Detector detector, Failover failover, Switchover switchover, Rejoin rejoin, LoadBalancer loadBalancer) {
    super(scope);
    this.detector = detector;
    this.failover = failover;
    this.switchover = switchover;
    this.rejoin = rejoin;
    this.loadBalancer = loadBalancer;
  }

  /** Carries out the recorded change of primary and answers the request behind it, if any. */
  public boolean changePrimary(ClusterConfig cfg, Topology topology, Observed obs, Progress progress) {
    Topology.Failover f = topology.failover();
    boolean done = f.isSwitchover() ? switchover.switchover(cfg, topology, obs, progress) : failover.failover(cfg, topology, obs, progress);
    if (done && f.requestId() != null) {
      Topology.Failover last = home.readState(cluster).orElseThrow().lastFailover();
      home.requests().answer(cluster, new ControlRequest.Result(f.requestId(), true, member(f.to()) + " is the primary on timeline "
          + last.timeline() + "; " + member(f.from()) + " rejoins as a replica", now()));
    }
    return done;
  }

  /** Writes resume at once: the read-write listener points at the new primary before anything else. */
  public void afterPrimaryChange(ClusterConfig cfg, Topology topology, Observed before, Progress progress) {
    CompletableFuture<Runnable> restarted = CompletableFuture.supplyAsync(
        () -> rejoin.restartOldPrimary(cfg, topology, before));
    loadBalancer.loadBalancer(cfg, topology, before, progress); // what it needs (the LB container, lags) was seen before
    Runnable report = restarted.handle((r, e) -> e == null ? r : (Runnable) () -> progress.waitFor(
        "restarting " + member(topology.lastFailover().from()) + ": " + e.getMessage())).join();
    report.run();
  }

  /** A request accepted becomes an intent; one refused is answered at once and changes nothing. */
  public Optional<Topology.Failover> judge(ClusterConfig cfg, Topology topology, Observed obs, ControlRequest r) {
    boolean switchover = ControlRequest.SWITCHOVER.equals(r.kind());
    InstanceProbe primary = obs.probes().get(topology.primary());
    ContainerInfo primaryContainer = obs.members().get(topology.primary());
    boolean primaryHealthy = primary != null && !primary.inRecovery() && primaryContainer != null
        && primaryContainer.running();
    Set<String> streaming = new TreeSet<>();
    topology.replicas().forEach(m -> {
      InstanceProbe p = obs.probes().get(m);
      if (p != null && "streaming".equals(p.receiverStatus())) {
        streaming.add(member(m));
      }
    });
    Set<String> others = new TreeSet<>();
    others.add(member(topology.primary()));
    topology.rejoining().forEach(m -> others.add(member(m)));
    FailoverPlanner.RequestPlan plan = FailoverPlanner.forRequest(switchover, r.to(), r.force(),
        member(topology.primary()), primaryHealthy, detector.candidates(topology, obs), streaming, others,
        primaryHealthy ? primary.lsn() : detector.lastPrimaryLsn(topology), cfg.maximumLagOnFailoverBytes(),
        cfg.replicationMode() == ClusterConfig.ReplicationMode.SYNC,
        topology.replicas().stream().map(this::member).collect(Collectors.toSet()));
    if (plan.to().isEmpty()) {
      log.warn(r.kind() + "-refused", plan.reason());
      home.requests().answer(cluster, new ControlRequest.Result(r.id(), false, plan.reason(), now()));
      return Optional.empty();
    }
    String kind = switchover ? Topology.Failover.SWITCHOVER : Topology.Failover.MANUAL;
    return Optional.of(new Topology.Failover(topology.primary(), plan.to().get().ordinal(), plan.reason(), now(), null,
        null, kind, r.id()));
  }
}
