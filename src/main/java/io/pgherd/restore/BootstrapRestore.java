package io.pgherd.restore;

import io.pgherd.api.ClusterConfig;
import io.pgherd.api.RecoverySpec;
import io.pgherd.api.RecoveryTargetSpec;
import io.pgherd.model.RecoveryTarget;
import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.Observed;
import io.pgherd.cluster.Progress;
import io.pgherd.model.Topology;
import io.pgherd.steps.LoadBalancer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * spec.bootstrap.recovery: a new cluster's first member restored from the source's backups
 * instead of initdb; the replicas are cloned from it afterwards. A cluster that had members before
 * spec.bootstrap was set is left alone (bootstrap only ever creates a cluster).
 */
public final class BootstrapRestore extends ClusterPart {
  private final RestoreState state;
  private final MemberRestore memberRestore;
  private final LoadBalancer loadBalancer;

  public BootstrapRestore(ClusterScope scope, RestoreState state, MemberRestore memberRestore, LoadBalancer loadBalancer) {
    super(scope);
    this.state = state;
    this.memberRestore = memberRestore;
    this.loadBalancer = loadBalancer;
  }

  /**
   * spec.bootstrap.recovery not yet done: the first member is restored. True while that is under
   * way, refused or failed (the pass goes no further than this and the load balancer).
   */
  public boolean restoring(ClusterConfig cfg, Topology topology, Observed obs, Progress progress) {
    int p = topology.primary();
    RecoverySpec recovery = state.currentSpec.getSpec().getBootstrap() == null ? null
        : state.currentSpec.getSpec().getBootstrap().getRecovery();
    return recovery != null && !Files.exists(home.restoredMarker(cluster))
        && restoreFirstMember(cfg, topology, obs, p, recovery, progress);
  }

  /**
   * spec.bootstrap.recovery: the first member is restored from the source's backups (a
   * {@link Restorer} job) instead of initdb. True while that is under way, refused or failed:
   * the pass goes no further (replicas are cloned from the restored member afterwards).
   */
  private boolean restoreFirstMember(ClusterConfig cfg, Topology topology, Observed obs, int p,
      RecoverySpec recovery, Progress progress) {
    RecoveryTarget target = target(recovery.getTarget());
    String from = recovery.getFrom().getCluster();
    Path work = home.root().resolve("restore").resolve(cluster);
    if (!Files.exists(work) && (!obs.volumes().isEmpty() || !obs.members().isEmpty())) {
      // the cluster had data before it was given spec.bootstrap: bootstrap only ever creates a cluster
      warnOnce("bootstrap-ignored", "spec.bootstrap.recovery is ignored: " + cluster + " already has members or"
          + " volumes (bootstrap applies when a cluster is created; use `pgherd restore` on an existing one)");
      markRestored("nothing: the cluster existed before spec.bootstrap was set");
      return false;
    }
    switch (memberRestore.restoreMember(cfg, topology, obs, p, from, target, from + "|" + target, -1, progress)) {
      case RUNNING:
        return true;
      case FAILED:
        state.restorePhase = "Error";
        boolean byPostgres = state.restorer.state != Restorer.State.REFUSED && state.restorer.state != Restorer.State.FAILED;
        progress.waitFor(state.restoreFailure + (!byPostgres ? ""
            : " (the source and its archive are untouched; fix the target and apply again, after `pgherd delete "
            + cluster + " --purge`)"));
        return true;
      case STOPPED:
        return false; // stopped for another reason: started again by the normal steps
      default:
        String what = state.restorer.plan == null ? "from the backups of " + from : state.restorer.plan.describe();
        markRestored(what);
        log.action("restored", member(p) + " recovered " + what + " and was promoted on timeline "
            + obs.probes().get(p).timeline() + "; the replicas are cloned from it");
        loadBalancer.loadBalancerServerUp(obs.lb(), p);
        return false;
    }
  }

  public void markRestored(String what) {
    try {
      Files.createDirectories(home.restoredMarker(cluster).getParent());
      Files.writeString(home.restoredMarker(cluster), what + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static RecoveryTarget target(RecoveryTargetSpec t) {
    if (t == null) {
      return RecoveryTarget.latest();
    }
    boolean inclusive = !Boolean.FALSE.equals(t.getInclusive());
    if (t.getTime() != null) {
      return new RecoveryTarget("time", t.getTime(), inclusive);
    }
    if (t.getXid() != null) {
      return new RecoveryTarget("xid", t.getXid(), inclusive);
    }
    if (t.getLsn() != null) {
      return new RecoveryTarget("lsn", t.getLsn(), inclusive);
    }
    if (t.getName() != null) {
      return new RecoveryTarget("name", t.getName(), true);
    }
    if (Boolean.TRUE.equals(t.getImmediate())) {
      return new RecoveryTarget("immediate", null, true);
    }
    return RecoveryTarget.latest();
  }
}
