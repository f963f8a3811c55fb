package io.pgherd.restore;

import io.pgherd.api.BackupConfig;
import io.pgherd.api.ClusterConfig;
import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.Observed;
import io.pgherd.cluster.Progress;
import io.pgherd.cluster.Result;
import io.pgherd.failover.Detector;
import io.pgherd.failover.Rejoin;
import io.pgherd.model.InPlaceRestore;
import io.pgherd.model.Lsn;
import io.pgherd.model.Names;
import io.pgherd.model.Topology;
import io.pgherd.objectstore.ObjectStores;
import io.pgherd.postgres.AgentException;
import io.pgherd.postgres.ControlFile;
import io.pgherd.postgres.MemberAgent;
import io.pgherd.postgres.InstanceException;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.status.StatusReport;
import io.pgherd.steps.Archive;
import io.pgherd.steps.BaseBackups;
import io.pgherd.steps.Members;
import io.pgherd.steps.Observer;
import io.pgherd.store.ControlRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code pgherd restore NAME --to-...}: refused at once when the cluster cannot be restored now;
 * otherwise the intent is stored and planned while the members serve, then writes stop (every
 * member, primary first), the WAL archive closes after a last upload, and a replacement primary
 * is restored like a new cluster's first member. On success the replaced members go; on failure
 * the replacement goes and the old members start again as they were.
 */
public final class RestoreInPlace extends ClusterPart {
  private final RestoreState state;
  private final MemberRestore memberRestore;
  private final Members members;
  private final Observer observer;
  private final Archive archive;
  private final BaseBackups baseBackups;
  private final Detector detector;
  private final Rejoin rejoin;
  private final StatusReport statusReport;

  public RestoreInPlace(ClusterScope scope, RestoreState state, MemberRestore memberRestore, Members members, Observer observer, Archive archive, BaseBackups baseBackups, Detector detector, Rejoin rejoin, StatusReport statusReport) {
    super(scope);
    this.state = state;
    this.memberRestore = memberRestore;
    this.members = members;
    this.observer = observer;
    this.archive = archive;
    this.baseBackups = baseBackups;
    this.detector = detector;
    this.rejoin = rejoin;
    this.statusReport = statusReport;
  }

  /**
   * {@code pgherd restore NAME --to-...}: refused at once when the cluster cannot be restored now;
   * otherwise the intent is stored (phase planning) and the plan made while the cluster serves.
   */
  public Optional<InPlaceRestore> requestRestore(Topology topology, ControlRequest request,
      Optional<InPlaceRestore> current) {
    String refused = null;
    boolean bootstrapping = state.currentSpec.getSpec().getBootstrap() != null
        && state.currentSpec.getSpec().getBootstrap().getRecovery() != null
        && !Files.exists(home.restoredMarker(cluster));
    if (current.isPresent()) {
      refused = "a restore of " + cluster + " is already under way (" + current.get().target().describe() + ", "
          + current.get().phase() + ")";
    } else if (request.target() == null) {
      refused = "the request names no recovery target";
    } else if (BackupConfig.from(state.currentSpec).isEmpty()) {
      refused = cluster + " has no spec.backup section: there are no backups to restore it from";
    } else if (bootstrapping) {
      refused = cluster + " is still being created from backups (spec.bootstrap.recovery)";
    } else if (baseBackups.runner() != null && baseBackups.runner().running().isPresent()) {
      refused = "base backup " + baseBackups.runner().running().get().id() + " is running; restore once it has ended";
    }
    if (refused != null) {
      home.requests().answer(cluster, new ControlRequest.Result(request.id(), false, refused, now()));
      log.warn("restore-refused", "restore to " + (request.target() == null ? "?"
          : request.target().describe()) + ": " + refused);
      return current;
    }
    InPlaceRestore intent = new InPlaceRestore(request.id(), request.target(), InPlaceRestore.PLANNING, null, now(), null);
    home.writeInPlaceRestore(cluster, intent); // the intent is stored before anything is touched
    log.action("restore-request", "restore " + cluster + " in place to " + request.target().describe()
        + " (request " + request.id() + "): planning while the members serve");
    return Optional.of(intent);
  }

  /**
   * The planning phase of a restore in place, while the cluster serves: a refused target ends
   * the restore with nothing changed; an accepted plan fixes the replacement members (new
   * ordinals) and moves on to stopping writes — true then, and the caller hands over to
   * {@link #inPlaceRestore}.
   */
  public boolean planRestore(ClusterConfig cfg, Topology topology, InPlaceRestore r, Progress progress) {
    String key = "check|" + r.requestId();
    if (state.restorer == null) {
      state.restorer = new Restorer(cluster);
    }
    state.restoreShown = true;
    if (!key.equals(state.restorer.forSpec)) {
      Optional<BackupConfig> backup = BackupConfig.from(state.currentSpec);
      if (backup.isEmpty()) {
        endRestore(r, false, "restore refused: " + cluster + " has no spec.backup section any more");
        return false;
      }
      BackupConfig.Store store = backup.get().store();
      state.restorer.check(key, () -> ObjectStores.open(store, home.root(), System::getenv), cluster,
          r.target(), home.root().resolve("restore").resolve(cluster), log.clusterLog());
    }
    switch (state.restorer.state) {
      case PLANNED -> {
        if (baseBackups.runner() != null && baseBackups.runner().running().isPresent()) {
          progress.waitFor("restore: planned; waiting for base backup " + baseBackups.runner().running().get().id() + " to end");
          return false;
        }
        int n = topology.nextOrdinal();
        Topology replacement = new Topology(List.of(n), n + 1, n, null, topology.lastFailover(), List.of())
            .scaledTo(cfg.instances());
        home.writeInPlaceRestore(cluster, r.in(InPlaceRestore.STOPPING, replacement));
        // the replacement's ordinals are spent even if the restore fails: names are never reused
        home.writeState(cluster, new Topology(topology.members(), replacement.nextOrdinal(), topology.primary(),
            topology.failover(), topology.lastFailover(), topology.rejoining()));
        log.action("restore-stop-writes", "restoring " + cluster + " in place: "
            + state.restorer.plan.describe() + "; the members " + names(topology.members()) + " stop (kept until the"
            + " restore has succeeded) and " + names(replacement.members()) + " replace them");
        return true;
      }
      case REFUSED, FAILED -> {
        endRestore(r, false, "restore " + (state.restorer.state == Restorer.State.REFUSED ? "refused" : "failed") + ": "
            + state.restorer.message + "; nothing was changed");
        return false;
      }
      default -> {
        progress.waitFor("restore: " + state.restorer.message);
        return false;
      }
    }
  }

  private void endRestore(InPlaceRestore r, boolean ok, String message) {
    home.writeInPlaceRestore(cluster, null);
    home.requests().answer(cluster, new ControlRequest.Result(r.requestId(), ok, message, now()));
    if (ok) {
      log.action("restored", message);
    } else {
      log.warn("restore-failed", message);
    }
  }

  /**
   * A restore in place once planned: every member stopped (primary first: its receivers get its
   * WAL up to the shutdown checkpoint) and the WAL archive closed after a last upload; then the
   * replacement primary restored like a new cluster's first member. On success the replaced
   * members and volumes are removed and the replacement becomes the cluster's topology (its
   * replicas are cloned by the next passes); on failure the replacement is removed and the old
   * members started again as they were.
   */
  public Result inPlaceRestore(ClusterConfig cfg, long generation, Topology topology, Observed obs,
      InPlaceRestore r) {
    Progress progress = new Progress();
    String busy = "a restore of " + cluster + " in place (" + r.target().describe() + ") is under way; nothing else"
        + " is done until it has ended";
    home.requests().takeControlRequest(cluster).ifPresent(q -> home.requests().answer(cluster, new ControlRequest.Result(q.id(), false,
        busy, now())));
    Topology next = r.replacement();
    int p = next.primary();
    if (InPlaceRestore.REVERTING.equals(r.phase())) {
      revertRestore(topology, observer.observe(), r, p);
      return Result.requeue(Result.FAST, "restore failed");
    }
    members.network(progress);
    // primary first: its receivers (the WAL archive) get its WAL up to the shutdown checkpoint. Also
    // while restoring: an old member started meanwhile (by hand) is stopped again, as its writes would be lost.
    List<Integer> order = new ArrayList<>(List.of(topology.primary()));
    order.addAll(topology.replicas());
    boolean stopped = false;
    Optional<Long> primaryEnd = Optional.empty();
    if (InPlaceRestore.STOPPING.equals(r.phase()) && obs.members().get(topology.primary()) != null
        && obs.members().get(topology.primary()).running()) {
      primaryEnd = stopThroughAgent(obs.members().get(topology.primary()));
    }
    for (int m : order) {
      ContainerInfo c = obs.members().get(m);
      if (c != null && (c.running() || "paused".equals(c.state()))) {
        docker.stop(c.id(), (int) SHUTDOWN_PATIENCE.toSeconds());
        log.action("restore-stop-member", member(m) + " stopped (its data is kept until the restore"
            + " has succeeded)");
        stopped = true;
      }
    }
    if (InPlaceRestore.STOPPING.equals(r.phase())) {
      archive.stopForRestore();
      ContainerInfo old = obs.members().get(topology.primary());
      if (primaryEnd.isPresent()) {
        r = r.withPrimaryEnd(Lsn.format(primaryEnd.get()));
      } else if (old != null) { // no agent told it (one made by an older pgherd, or stopped already)
        try {
          Optional<byte[]> control = docker.readFile(old.id(), PGDATA + "/global/pg_control");
          if (control.isPresent()) {
            r = r.withPrimaryEnd(Lsn.format(ControlFile.parse(control.get()).checkpointLsn()));
          }
        } catch (IllegalArgumentException e) {
          log.warn("restore", "cannot read " + member(topology.primary()) + "'s pg_control: "
              + e.getMessage());
        }
      }
      r = r.in(InPlaceRestore.RESTORING, next);
      home.writeInPlaceRestore(cluster, r);
      stopped = true;
    }
    if (stopped) {
      obs = observer.observe();
    }
    long minimumEnd = "latest".equals(r.target().kind()) && r.primaryEnd() != null ? Lsn.parse(r.primaryEnd()) : -1;
    MemberRestore.RestoreStep step = memberRestore.restoreMember(cfg, next, obs, p, cluster, r.target(), "in-place|" + r.requestId(), minimumEnd,
        progress);
    if (step == MemberRestore.RestoreStep.STOPPED) {
      state.restoreFailure = "restore failed: the replacement member " + member(p) + " stopped during the restore"
          + " (`docker logs " + Names.container(member(p)) + "` says why)";
      step = MemberRestore.RestoreStep.FAILED;
    }
    if (step == MemberRestore.RestoreStep.FAILED) {
      r = new InPlaceRestore(r.requestId(), r.target(), InPlaceRestore.REVERTING, next, r.startedAt(),
          r.primaryEnd());
      home.writeInPlaceRestore(cluster, r); // recorded first: a restarted operator finishes the revert
      log.warn("restore-revert", state.restoreFailure);
      revertRestore(topology, obs, r, p);
      return Result.requeue(Result.FAST, "restore failed");
    } else if (step == MemberRestore.RestoreStep.DONE) {
      try {
        replaceMembers(topology, next, obs, r, p);
      } catch (InstanceException e) {
        progress.waitFor("restore: cannot ask " + member(p) + " for its system identifier: " + e.getMessage());
      }
      return Result.requeue(Result.FAST, "restored");
    }
    statusReport.writeStatus(statusReport.status(cfg, generation, topology, obs, "Restoring", progress.waiting));
    return Result.requeue(state.next(),
        progress.waiting == null ? "restoring" : progress.waiting);
  }

  /**
   * The primary's last checkpoint (its shutdown checkpoint), from its agent: PostgreSQL stopped
   * (fast) through it, then its pg_control read from the agent's status until it says shut down.
   * Empty when it has no agent that answers, or it is not shut down within SHUTDOWN_PATIENCE (the
   * container's stop then stops it, and its pg_control is read through the engine).
   */
  private Optional<Long> stopThroughAgent(ContainerInfo primary) {
    Optional<MemberAgent> agent = agent(primary);
    if (agent.isEmpty()) {
      return Optional.empty();
    }
    try {
      agent.get().stop("fast");
      long deadline = System.nanoTime() + SHUTDOWN_PATIENCE.toNanos();
      while (System.nanoTime() < deadline) {
        Optional<ControlFile> control = agent.get().status().pgControl().map(ControlFile::parse);
        if (control.isPresent() && control.get().cleanlyShutDown()) {
          log.action("restore-stop-member", primary.name() + ": PostgreSQL stopped through its agent, last"
              + " checkpoint " + Lsn.format(control.get().checkpointLsn()));
          return Optional.of(control.get().checkpointLsn());
        }
        Thread.sleep(100);
      }
      log.warn("restore", primary.name() + ": not shut down through its agent within "
          + SHUTDOWN_PATIENCE.toSeconds() + " s; its container is stopped");
    } catch (AgentException | IllegalArgumentException e) {
      log.warn("restore", primary.name() + ": stopping it through its agent failed (" + e.getMessage()
          + "); its container is stopped");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return Optional.empty();
  }

  /** The restore failed: the replacement primary goes, the members it was to replace start again. */
  private void revertRestore(Topology topology, Observed obs, InPlaceRestore r, int p) {
    ContainerInfo c = obs.members().get(p);
    if (c != null) {
      docker.remove(c.id());
    }
    if (docker.volumeExists(Names.volume(member(p)))) {
      docker.removeVolume(Names.volume(member(p)));
    }
    List<Integer> order = new ArrayList<>(List.of(topology.primary()));
    order.addAll(topology.replicas());
    for (int m : order) {
      ContainerInfo old = obs.members().get(m);
      if (old != null && !old.running() && !"paused".equals(old.state())) {
        try {
          docker.start(old.id());
        } catch (RuntimeException e) { // the normal steps start it again
          log.warn("restore-revert", "starting " + member(m) + " again failed: " + e.getMessage());
        }
      }
    }
    detector.resetFailures();
    String failure = state.restoreFailure == null ? "restore failed (the operator restarted while reverting it)"
        : state.restoreFailure;
    String why = failure.startsWith("restore refused") || failure.startsWith("restore failed")
        ? failure : "restore failed: " + failure;
    endRestore(r, false, why + "; " + cluster + " is as it was: " + member(p) + " removed, "
        + names(topology.members()) + " started again");
  }

  /**
   * The replacement primary accepts writes: the replaced members and their volumes go, the WAL
   * spool of the abandoned history is cleared (the receiver starts afresh from the new primary's
   * slot), and the replacement becomes the cluster's topology.
   */
  private void replaceMembers(Topology topology, Topology next, Observed obs, InPlaceRestore r, int p)
      throws InstanceException {
    ContainerInfo pc = obs.members().get(p);
    String sysid = systemIdentifier(pc);
    Set<Integer> old = new TreeSet<>(obs.members().keySet());
    old.addAll(obs.volumes());
    old.addAll(topology.members());
    old.removeAll(next.members());
    for (int m : old) {
      ContainerInfo c = obs.members().get(m);
      if (c != null) {
        docker.remove(c.id());
        scope.forgetContainer(c.id());
      }
      if (docker.volumeExists(Names.volume(member(m)))) {
        docker.removeVolume(Names.volume(member(m)));
      }
    }
    Path spool = home.root().resolve("archive").resolve(cluster).resolve(sysid).resolve("spool");
    if (Files.isDirectory(spool)) { // kept aside (what it holds may not all be stored): never deleted
      try {
        Files.move(spool, spool.resolveSibling("spool-before-restore-" + r.requestId()));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot set the WAL spool " + spool + " aside", e);
      }
    }
    home.writeState(cluster, next);
    detector.forget();
    rejoin.forget();
    String what = state.restorer.plan == null ? "to " + r.target().describe() : "from " + state.restorer.plan.describe();
    endRestore(r, true, cluster + " restored in place " + what + ": " + member(p) + " is the primary on timeline "
        + obs.probes().get(p).timeline() + "; " + names(old) + " and their volumes removed; replicas "
        + names(next.replicas()) + " are cloned from " + member(p));
  }
}
