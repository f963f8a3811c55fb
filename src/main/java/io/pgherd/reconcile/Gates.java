package io.pgherd.reconcile;

import io.pgherd.api.ClusterConfig;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.PassLog;
import io.pgherd.cluster.Result;
import io.pgherd.failover.Detector;
import io.pgherd.failover.Fencing;
import io.pgherd.failover.PrimaryChange;
import io.pgherd.model.FailoverPlanner;
import io.pgherd.model.InPlaceRestore;
import io.pgherd.model.Topology;
import io.pgherd.restore.RestoreInPlace;
import io.pgherd.status.StatusReport;
import io.pgherd.steps.Observer;
import io.pgherd.store.ControlRequest;
import io.pgherd.store.Home;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What a pass looks at before its steps, in this order: a restore in place under way, a change of
 * primary recorded, two writable members, a user's request, the primary down. Each either lets
 * the pass go on or ends it with a change of primary (the whole pass) or a status.
 */
final class Gates {
  private final ClusterScope scope;
  private final Home home;
  private final String cluster;
  private final PassLog log;
  private final Observer observer;
  private final Detector detector;
  private final Fencing fencing;
  private final PrimaryChange primaryChange;
  private final RestoreInPlace restoreInPlace;
  private final StatusReport statusReport;

  Gates(ClusterScope scope, Observer observer, Detector detector, Fencing fencing, PrimaryChange primaryChange,
      RestoreInPlace restoreInPlace, StatusReport statusReport) {
    this.scope = scope;
    this.home = scope.home;
    this.cluster = scope.cluster;
    this.log = scope.log;
    this.observer = observer;
    this.detector = detector;
    this.fencing = fencing;
    this.primaryChange = primaryChange;
    this.restoreInPlace = restoreInPlace;
    this.statusReport = statusReport;
  }

  /**
   * Before the steps, in this order: a restore in place under way, a change of primary recorded,
   * two writable members, a user's request, the primary down. Each either lets the pass go on
   * (null) or ends it (the Result).
   */
  Result check(Pass pass) {
    // A restore in place past its planning: nothing else happens until it has succeeded or failed.
    Optional<InPlaceRestore> inPlace = home.readInPlaceRestore(cluster);
    if (inPlace.isPresent() && !InPlaceRestore.PLANNING.equals(inPlace.get().phase())) {
      return restoreInPlace.inPlaceRestore(pass.cfg, pass.generation, pass.topology, pass.obs, inPlace.get());
    }

    // A failover whose intent is recorded (by this process or one that crashed) is finished first.
    if (pass.topology.failover() != null) {
      return changePrimary(pass);
    }

    // Safety gate: a member other than the chosen primary accepts writes.
    Set<Integer> others = new TreeSet<>(pass.obs.writable());
    others.remove(pass.topology.primary());
    if (!others.isEmpty()) {
      if (!pass.obs.writable().contains(pass.topology.primary())) {
        String why = "members " + scope.names(pass.obs.writable()) + " accept writes (not in recovery) but the primary is "
            + scope.member(pass.topology.primary()) + "; changing nothing";
        log.warnOnce("gate", why);
        statusReport.writeStatus(statusReport.status(pass.cfg, pass.generation, pass.topology, pass.obs, "Error", why));
        return Result.requeue(ClusterReconciler.STEADY, why);
      }
      pass.topology = fencing.fence(pass.cfg, pass.topology, pass.obs, others);
      pass.obs = observer.observe();
    }

    // A user's switchover or failover request, judged against what is seen now.
    Optional<ControlRequest> request = home.requests().takeControlRequest(cluster);
    if (request.isPresent() && ControlRequest.RESTORE.equals(request.get().kind())) {
      inPlace = restoreInPlace.requestRestore(pass.topology, request.get(), inPlace);
    } else if (request.isPresent()) {
      Optional<Topology.Failover> intent = primaryChange.judge(pass.cfg, pass.topology, pass.obs, request.get());
      if (intent.isPresent()) {
        record(pass, intent.get());
        log.action(intent.get().kind(), scope.member(intent.get().from()) + " → " + scope.member(intent.get().to())
            + ": " + intent.get().reason());
        return changePrimary(pass);
      }
    }

    if (inPlace.isPresent() && restoreInPlace.planRestore(pass.cfg, pass.topology, inPlace.get(), pass.progress)) {
      return restoreInPlace.inPlaceRestore(pass.cfg, pass.generation, pass.topology, pass.obs,
          home.readInPlaceRestore(cluster).orElseThrow());
    }

    // Detection: the primary gone (Docker says so) or not answering for failureThreshold probes.
    Topology topology = pass.topology;
    Optional<String> down = detector.primaryDown(pass.cfg, topology, pass.obs, pass.progress);
    if (down.isPresent() && pass.cfg.failoverEnabled() && !topology.replicas().isEmpty()) {
      FailoverPlanner.Decision d = FailoverPlanner.choose(detector.candidates(topology, pass.obs),
          detector.lastPrimaryLsn(topology), pass.cfg.maximumLagOnFailoverBytes(),
          pass.cfg.replicationMode() == ClusterConfig.ReplicationMode.SYNC,
          topology.replicas().stream().map(scope::member).collect(Collectors.toSet()), false);
      if (d.chosen().isPresent()) {
        int to = d.chosen().get().ordinal();
        Topology.Failover intent = new Topology.Failover(topology.primary(), to,
            "primary " + scope.member(topology.primary()) + " " + down.get() + "; " + d.reason(), scope.now(),
            null, null, Topology.Failover.AUTOMATIC, null);
        record(pass, intent);
        log.action("failover", scope.member(intent.from()) + " → " + scope.member(to) + ": " + intent.reason());
        return changePrimary(pass);
      }
      String why = "primary " + scope.member(topology.primary()) + " " + down.get() + "; not failing over: " + d.reason();
      log.warnOnce("no-failover", why.replaceAll(" \\(\\d+ failed probes over \\d+ ms\\)", ""));
      pass.progress.waitFor(why);
    }
    // nobody took over: the primary again (as well a new cluster's primary, never seen answering, that its agent
    // fenced for want of word from the operator: no other member can have taken a write)
    if ((down.isPresent() || detector.lastPrimaryLsn(topology) == null) && pass.obs.fenced().containsKey(topology.primary())) {
      fencing.unfence(topology, pass.obs, pass.progress);
    }
    return null;
  }

  /** A new change of primary: its intent is stored before anything is touched or fenced. */
  private void record(Pass pass, Topology.Failover intent) {
    pass.topology = pass.topology.withFailover(intent);
    home.writeState(cluster, pass.topology);
  }

  /**
   * The recorded change of primary carried out. Done, writes resume at once (the load balancer
   * points at the new primary while the old one restarts as a replica) and the pass ends there:
   * the next one, at once, converges the rest from a fresh look, so a pass that changes the
   * primary does nothing else. Not done, the pass ends with FailingOver and comes back at once (a
   * switchover under way) or in a second.
   */
  private Result changePrimary(Pass pass) {
    if (!primaryChange.changePrimary(pass.cfg, pass.topology, pass.obs, pass.progress)) {
      statusReport.writeStatus(statusReport.status(pass.cfg, pass.generation, pass.topology, pass.obs, "FailingOver",
          pass.progress.waiting));
      return Result.requeue(pass.progress.now ? Duration.ZERO : ClusterReconciler.FAST, pass.progress.waiting);
    }
    Topology changed = home.readState(cluster).orElseThrow();
    primaryChange.afterPrimaryChange(pass.cfg, changed, pass.obs, pass.progress);
    return Result.requeue(Duration.ZERO, scope.member(changed.primary()) + " is the primary"
        + (pass.progress.waiting == null ? "" : "; " + pass.progress.waiting));
  }
}
