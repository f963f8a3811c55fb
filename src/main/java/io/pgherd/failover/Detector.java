package io.pgherd.failover;

import io.pgherd.api.ClusterConfig;
import io.pgherd.api.MemberStatus;
import io.pgherd.cluster.AgentContact;
import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.Observed;
import io.pgherd.cluster.Progress;
import io.pgherd.model.FailoverPlanner;
import io.pgherd.model.Topology;
import io.pgherd.postgres.InstanceProbe;
import io.pgherd.runtime.ContainerInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Detection: whether the primary counts as down. Docker's die event says so at once; a primary
 * that does not answer SQL (hung, frozen, cut off) only after failureThreshold probes spanning at
 * least (failureThreshold - 1) probe periods. Owns the failure counters, the die events and the
 * primary's last known WAL position, and names the replicas that may be promoted.
 */
public final class Detector extends ClusterPart {
  /** Die events from Docker's event stream, by container id: Docker may list a container as running just after. */
  private int primaryFailures;
  private Instant primaryFailingSince;
  private String lastPrimaryLsn;

  public Detector(ClusterScope scope) {
    super(scope);
  }

  /**
   * Why the primary counts as down, if it does: its container is gone or not running (Docker
   * says so, at once), or it has not answered SQL for failureThreshold probes spanning at least
   * (failureThreshold - 1) probe periods.
   */
  public Optional<String> primaryDown(ClusterConfig cfg, Topology topology, Observed obs, Progress progress) {
    int p = topology.primary();
    ContainerInfo c = obs.members().get(p);
    InstanceProbe probe = obs.probes().get(p);
    if (probe != null && !probe.inRecovery()) {
      primaryFailures = 0;
      primaryFailingSince = null;
      lastPrimaryLsn = probe.lsn();
      return Optional.empty();
    }
    if (lastPrimaryLsn(topology) == null && replicasReplayed(topology, obs) == null) {
      return Optional.empty(); // never seen answering: a primary still being created, not a failure
    }
    if (c == null) {
      // a new cluster's primary has no container yet either: only replicas with data can take over
      boolean replicaData = topology.replicas().stream().anyMatch(obs.volumes()::contains);
      return replicaData ? Optional.of("has no container (removed)") : Optional.empty();
    }
    if (!c.mayBeRunning() && !"paused".equals(c.state())) {
      return Optional.of("container is " + c.state() + " (" + c.status() + ")");
    }
    if (c.running() && died(c)) {
      return Optional.of("container died (Docker event at " + scope.diedAt(c.id()).map(Instant::toString).orElse("?") + ")");
    }
    if (primaryFailingSince == null) {
      primaryFailingSince = instant();
    }
    primaryFailures++;
    progress.soon = true;
    String what = "paused".equals(c.state()) ? "is paused (frozen)"
        : !c.running() ? "container is " + c.state() + " (" + c.status() + ") and does not answer SQL: "
            + obs.probeErrors().getOrDefault(p, "?")
        : probe != null ? "is in recovery" : "does not answer SQL: " + obs.probeErrors().getOrDefault(p, "?");
    Duration failing = Duration.between(primaryFailingSince, instant());
    Duration window = cfg.probePeriod().multipliedBy(cfg.failureThreshold() - 1L);
    Optional<String> fenced = fencedByNow(cfg, c);
    if (fenced.isPresent() && primaryFailures >= 2 && primaryFailures < cfg.failureThreshold()) {
      // its agent has been silent longer than the isolation timeout and the margin: a longer window
      // than the failure threshold's, and the one that matters (a host lost: each probe waits out a
      // connection timeout, so the threshold's count would come seconds after); two failed probes at
      // least, so that one failure of SQL beside an agent long unreachable is not a failover)
      return Optional.of(what + " (" + primaryFailures + " failed probes over " + failing.toMillis() + " ms)"
          + fenced.get());
    }
    if (primaryFailures >= cfg.failureThreshold() && failing.compareTo(window) >= 0) {
      String down = what + " (" + primaryFailures + " failed probes over " + failing.toMillis() + " ms)";
      if (c.mayBeRunning() && agentContact.hasAgent(c.id())) {
        // cut off (its agent does not answer either) or not: an unreachable primary is replaced only
        // once its agent must have fenced it; a frozen one (paused) the engine kills instead
        Instant heard = agentContact.lastHeard(c.id()).orElseThrow();
        Instant fencedBy = agentContact.fencedBy(c.id(), cfg).orElseThrow();
        if (heard.isBefore(primaryFailingSince) && instant().isBefore(fencedBy)) {
          progress.waitFor("primary " + member(p) + " " + down + "; its agent last answered at " + heard
              + ": waiting until it must have fenced itself, at " + fencedBy + " (isolation timeout "
              + cfg.isolationTimeout().toMillis() + " ms + " + AgentContact.MARGIN.toMillis() + " ms)");
          return Optional.empty();
        }
        down += fenced.orElse("");
      }
      return Optional.of(down);
    }
    progress.waitFor("primary " + member(p) + " " + what + " (" + primaryFailures + "/" + cfg.failureThreshold() + ")");
    return Optional.empty();
  }

  /**
   * Why a running primary whose agent has not answered since it began failing has fenced itself
   * by now (the isolation timeout and the margin passed since its last answer), if it has.
   */
  private Optional<String> fencedByNow(ClusterConfig cfg, ContainerInfo c) {
    if (!c.mayBeRunning() || !agentContact.hasAgent(c.id())) {
      return Optional.empty();
    }
    Instant heard = agentContact.lastHeard(c.id()).orElseThrow();
    Instant fencedBy = agentContact.fencedBy(c.id(), cfg).orElseThrow();
    if (!heard.isBefore(primaryFailingSince) || instant().isBefore(fencedBy)) {
      return Optional.empty();
    }
    return Optional.of("; its agent has not answered since " + heard + ": it has fenced itself by now (isolation timeout "
        + cfg.isolationTimeout().toMillis() + " ms + " + AgentContact.MARGIN.toMillis() + " ms)");
  }

  /** Listed as running, but Docker said it died since it last started (see {@link ClusterScope#died}). */
  public boolean died(ContainerInfo c) {
    return scope.died(c);
  }

  /** The primary's last known WAL position: from this process, else from the stored status. */
  public String lastPrimaryLsn(Topology topology) {
    if (lastPrimaryLsn == null) {
      lastPrimaryLsn = home.readStatus(cluster).flatMap(s -> Optional.ofNullable(s.getMembers()).orElse(List.of())
          .stream().filter(m -> m.getName().equals(member(topology.primary()))).findFirst())
          .map(MemberStatus::getLsn).orElse(null);
    }
    return lastPrimaryLsn;
  }

  /**
   * The furthest WAL position the replicas have received, if any has: an operator that never saw
   * the primary answer (a standby that took over, its status not in the home kept in the Swarm) knows
   * from it that the cluster was made, and that a silent primary is a failure.
   */
  private String replicasReplayed(Topology topology, Observed obs) {
    String best = null;
    for (int r : topology.replicas()) {
      InstanceProbe probe = obs.probes().get(r);
      if (probe != null && probe.inRecovery() && probe.lsn() != null
          && (best == null || io.pgherd.model.Lsn.parse(probe.lsn()) > io.pgherd.model.Lsn.parse(best))) {
        best = probe.lsn();
      }
    }
    if (best != null && lastPrimaryLsn == null) {
      lastPrimaryLsn = best; // the least the primary had: the failover's lag is measured from it
    }
    return best;
  }

  /** Replicas that may be promoted: not a former primary still rejoining. */
  public List<FailoverPlanner.Candidate> candidates(Topology topology, Observed obs) {
    List<FailoverPlanner.Candidate> out = new ArrayList<>();
    for (int r : topology.replicas()) {
      if (topology.rejoining().contains(r)) {
        continue;
      }
      InstanceProbe probe = obs.probes().get(r);
      boolean reachable = probe != null && probe.inRecovery();
      out.add(new FailoverPlanner.Candidate(member(r), r, reachable, reachable ? probe.lsn() : null,
          reachable ? probe.replayLsn() : null));
    }
    return out;
  }

  /** Running, or able to run again without anyone starting it (paused, restarting). */
  public static boolean canRun(ContainerInfo c) {
    return c.running() || "paused".equals(c.state()) || "restarting".equals(c.state());
  }

  /** Docker said this container died (its event stream): the primary's death is acted on at once. */
  public void containerDied(String containerId, Instant at) {
    scope.containerDied(containerId, at);
  }

  /** A new primary answered at {@code lsn}: its failures count from nothing. */
  public void promoted(String lsn) {
    lastPrimaryLsn = lsn;
    primaryFailures = 0;
    primaryFailingSince = null;
  }

  /** The primary's failures count from nothing (a restore that failed started the old members again). */
  public void resetFailures() {
    primaryFailures = 0;
    primaryFailingSince = null;
  }

  /** A new primary of unknown position (a restore in place replaced the members). */
  public void forget() {
    lastPrimaryLsn = null;
    resetFailures();
  }
}
