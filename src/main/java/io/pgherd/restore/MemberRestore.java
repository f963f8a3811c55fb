package io.pgherd.restore;

import io.pgherd.api.BackupConfig;
import io.pgherd.api.ClusterConfig;
import io.pgherd.model.RecoveryTarget;
import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.Observed;
import io.pgherd.cluster.Progress;
import io.pgherd.model.Names;
import io.pgherd.model.Topology;
import io.pgherd.objectstore.ObjectStores;
import io.pgherd.postgres.AgentException;
import io.pgherd.postgres.AgentRestore;
import io.pgherd.postgres.InstanceProbe;
import io.pgherd.postgres.MemberAgent;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.cluster.MemberContainers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Restores one member from a cluster's backups (a {@link Restorer} job: plan, create the
 * container, stage, start; the entrypoint recovers and promotes) and follows it pass by pass
 * until it accepts writes, fails or stops.
 */
public final class MemberRestore extends ClusterPart {
  private final RestoreState state;
  private final MemberContainers containers;

  enum RestoreStep { RUNNING, DONE, FAILED, STOPPED }

  public MemberRestore(ClusterScope scope, RestoreState state, MemberContainers containers) {
    super(scope);
    this.state = state;
    this.containers = containers;
  }

  /**
   * Restores member {@code p} of {@code topology} from the backups of {@code from} (a
   * {@link Restorer} job: plan, create the container, stage, start; the entrypoint recovers and
   * promotes). RUNNING while that goes on ({@link RestoreState#phase} "Restoring"); DONE once the
   * member accepts writes; FAILED (why in {@code state.restoreFailure}) when the target was refused,
   * staging failed or PostgreSQL ended recovery with a FATAL; STOPPED when the member's container
   * stopped for another reason.
   */
  RestoreStep restoreMember(ClusterConfig cfg, Topology topology, Observed obs, int p, String from,
      RecoveryTarget target, String key, long minimumEnd, Progress progress) {
    if (state.restorer == null) {
      state.restorer = new Restorer(cluster);
    }
    ContainerInfo c = obs.members().get(p);
    String volume = Names.volume(member(p));
    state.restoreShown = true;
    if (state.restorer.busy()) {
      state.restorePhase = "Restoring";
      progress.waitFor("restore: " + state.restorer.message);
      return RestoreStep.RUNNING;
    }
    if ((state.restorer.state == Restorer.State.REFUSED || state.restorer.state == Restorer.State.FAILED)
        && key.equals(state.restorer.forSpec)) {
      state.restoreFailure = "restore " + (state.restorer.state == Restorer.State.REFUSED ? "refused" : "failed") + ": "
          + state.restorer.message;
      return RestoreStep.FAILED;
    }
    boolean ours = state.restorer.state == Restorer.State.STARTED && key.equals(state.restorer.forSpec);
    if (c == null || (!ours && stagingUnfinished(c))) {
      if (c != null) { // staged by a job that did not finish (an operator stopped mid-way): again, from scratch
        docker.remove(c.id());
      }
      if (docker.volumeExists(volume)) {
        docker.removeVolume(volume);
      }
      Optional<BackupConfig> backup = BackupConfig.from(state.currentSpec);
      BackupConfig.Store store = backup.map(BackupConfig::store)
          .orElse(new BackupConfig.Filesystem(null));
      log.action("restore", member(p) + ": restoring from the backups of " + from + " to "
          + target.describe());
      // before the job creates the member: the next pass (woken by its creation) must not take a
      // cluster with a member and no work directory for one that existed before spec.bootstrap
      Path work = home.root().resolve("restore").resolve(cluster);
      try {
        Files.createDirectories(work);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the restore's work directory " + work, e);
      }
      state.restorer.start(key, () -> ObjectStores.open(store, home.root(), System::getenv), from,
          target, work, docker,
          new Restorer.Member() {
            @Override
            public String create() throws IOException {
              String id = containers.create(cfg, topology, p, "restore");
              if (id == null) {
                throw new IOException("the container of " + member(p) + " exists already; trying again");
              }
              return id;
            }

            @Override
            public MemberAgent agent(String container) throws IOException {
              return restoreAgent(member(p));
            }

            @Override
            public void discard(String container) {
              docker.remove(container);
              if (docker.volumeExists(volume)) {
                docker.removeVolume(volume);
              }
            }
          }, log.clusterLog(), minimumEnd);
      state.restorePhase = "Restoring";
      progress.changed = true;
      progress.waitFor("restore: " + state.restorer.message);
      return RestoreStep.RUNNING;
    }
    if ("created".equals(c.state())) {
      // started by the job after this pass observed it (the job's state is newer than the observation)
      state.restorePhase = "Restoring";
      progress.waitFor("restore: " + member(p) + " is starting");
      return RestoreStep.RUNNING;
    }
    if (!c.running()) {
      recovering.remove(c.id()); // (a container started again is looked at afresh)
      String why = Restorer.failure(docker.logs(c.id(), 120));
      if (why != null) {
        warnOnce("restore-failed", member(p) + ": " + why);
        state.restoreFailure = why;
        return RestoreStep.FAILED;
      }
      return RestoreStep.STOPPED;
    }
    if (stillRecovering(c)) {
      // staged: its postmaster recovers, then takes this cluster's passwords; restore/ goes last
      recovering.add(c.id());
      state.restoreRecovering = true;
      state.restorePhase = "Restoring";
      progress.waitFor("restore: " + member(p) + " is recovering"
          + (state.restorer.plan == null ? "" : " " + state.restorer.plan.describe()));
      return RestoreStep.RUNNING;
    }
    // restore/ is gone: recovered and open; probed from the next pass on (every step after this one
    // works from the pass's own observation, which did not probe it)
    boolean justRecovered = recovering.remove(c.id());
    InstanceProbe probe = obs.probes().get(p);
    if (probe != null && !probe.inRecovery()) {
      return RestoreStep.DONE;
    }
    state.restorePhase = "Restoring";
    state.restoreRecovering = true;
    state.restoreProbeNow |= justRecovered; // the pass that probes it follows at once
    progress.waitFor("restore: " + member(p) + " is recovering"
        + (state.restorer.plan == null ? "" : " " + state.restorer.plan.describe()));
    return RestoreStep.RUNNING;
  }

  /** How long a just-started member's agent has to answer before its restore fails. */
  static final Duration AGENT_WAIT = Duration.ofSeconds(60);

  /**
   * The agent of the member just started for a restore, once it answers in its restore mode (its
   * JVM starts in about a second). An IOException when the container stopped (its log's last
   * FATAL line says why), the agent answers in its usual mode, or nothing answers within AGENT_WAIT.
   */
  private MemberAgent restoreAgent(String member) throws IOException {
    long deadline = System.nanoTime() + AGENT_WAIT.toNanos();
    String last = "its container is not there";
    while (true) {
      Optional<ContainerInfo> c = docker.container(Names.container(member));
      if (c.isPresent() && !c.get().running() && !"created".equals(c.get().state())) {
        String why = Restorer.failure(docker.logs(c.get().id(), 120));
        throw new IOException(member + " stopped before it could receive the backup"
            + (why == null ? " (`docker logs " + c.get().name() + "` says why)" : ": " + why));
      }
      Optional<MemberAgent> agent = c.flatMap(this::agent);
      if (agent.isPresent()) {
        try {
          if (agent.get().restoreState().isPresent()) {
            return agent.get();
          }
          throw new IOException("the agent of " + member + " answers as a running member's, not as one being"
              + " restored (GET /v1/restore: 404)");
        } catch (AgentException e) {
          last = e.getMessage();
        }
      } else if (c.isPresent()) {
        last = "its agent's port cannot be reached from here";
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("the agent of " + member + " did not answer within " + AGENT_WAIT.toSeconds()
            + " s: " + last);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for the agent of " + member);
      }
    }
  }

  /**
   * Whether a staged member's restore is not complete yet: its agent, in its restore mode, says
   * READY is there. Once the restore is complete that agent has given way to the usual one (which
   * answers no restore state); between the two nobody answers, and the log's "recovered" line tells.
   */
  private boolean stillRecovering(ContainerInfo c) {
    Optional<MemberAgent> agent = agent(c);
    if (agent.isPresent()) {
      try {
        return agent.get().restoreState().map(AgentRestore::ready).orElse(false);
      } catch (AgentException e) {
        // between the two agents, or not answering: the log says whether the restore is complete
      }
    }
    return !docker.logs(c.id(), 100).contains(RECOVERED_LINE);
  }

  /** What the entrypoint logs once the restore is complete and restore/ is gone (pgherd-entrypoint's run_restore). */
  static final String RECOVERED_LINE = "pgherd-entrypoint: restore: recovered, promoted";

  /**
   * A restore's container whose staging no job finishes (its operator stopped mid-way): only
   * created, or running with an agent in its restore mode that receives nothing and has neither
   * READY nor a data directory (the entrypoint makes the staged backup {@code $PGDATA} only after
   * READY, and removes restore/ once recovered). (The staged target alone missed an operator stopped
   * after the base backup was unpacked but before the target, copied beside it, had arrived: the
   * member waited for READY and the restore for the member, for ever. CrashPointsIT.) A member whose
   * agent does not answer yet is not taken for one: the next pass looks again.
   */
  private boolean stagingUnfinished(ContainerInfo c) {
    if ("created".equals(c.state())) {
      return true;
    }
    if (!c.running()) {
      return false;
    }
    Optional<MemberAgent> agent = agent(c);
    if (agent.isEmpty()) {
      return false;
    }
    try {
      return agent.get().restoreState().map(AgentRestore::stagingUnfinished).orElse(false);
    } catch (AgentException e) {
      return false;
    }
  }
}
