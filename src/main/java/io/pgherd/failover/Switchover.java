package io.pgherd.failover;

import io.pgherd.api.ClusterConfig;
import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.MemberContainers;
import io.pgherd.cluster.MemberFiles;
import io.pgherd.cluster.Observed;
import io.pgherd.cluster.Progress;
import io.pgherd.model.Lsn;
import io.pgherd.model.Topology;
import io.pgherd.postgres.ControlFile;
import io.pgherd.postgres.InstanceException;
import io.pgherd.postgres.InstanceProbe;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.steps.LoadBalancer;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A planned change of primary that loses nothing: the old primary shut down cleanly and the
 * target promoted only once it has received the shutdown checkpoint; abandoned (the old primary
 * starting again as primary) when anything is off.
 */
public final class Switchover extends ClusterPart {
  private final Promotion promotion;
  private final LoadBalancer loadBalancer;
  private final MemberFiles memberFiles;
  private final Demotion demotion;
  static final Duration CATCH_UP_PATIENCE = Duration.ofSeconds(10);
  /** How long one pass waits for the old primary's shutdown, or the target's catch-up, before the next pass goes on. */
  static final Duration PASS_BUDGET = Duration.ofMillis(500);
  /** How long an abandoned switchover waits for the old primary's container to exit before starting it again. */
  static final Duration RESTART_PATIENCE = Duration.ofSeconds(5);

  public Switchover(ClusterScope scope, Promotion promotion, LoadBalancer loadBalancer, MemberFiles memberFiles,
      MemberContainers containers) {
    super(scope);
    this.promotion = promotion;
    this.loadBalancer = loadBalancer;
    this.memberFiles = memberFiles;
    this.demotion = new Demotion(scope, memberFiles, containers);
  }

  /**
   * A planned change of primary that loses nothing: the read-write listener emptied, the primary
   * shut down cleanly (fast shutdown: sessions cut, a shutdown checkpoint, and its WAL sender
   * hands every record to the connected replicas before it exits), then the target promoted only
   * once it has received that shutdown checkpoint (read from the stopped primary's pg_control).
   * If anything is off, the switchover is abandoned and the old primary starts again as primary.
   *
   * <p>A state machine across passes: each phase ({@link Topology.Step}) is recorded before its
   * act, and a pass waits at most {@link #PASS_BUDGET} for the shutdown or the catch-up before it
   * hands over to the next one (requeued at once), so no pass blocks for long and an operator
   * crash anywhere resumes where it stopped.
   */
  public boolean switchover(ClusterConfig cfg, Topology topology, Observed obs, Progress progress) {
    Topology.Failover f = topology.failover();
    ContainerInfo old = obs.members().get(f.from());
    ContainerInfo target = obs.members().get(f.to());
    InstanceProbe probe = obs.probes().get(f.to());
    if (probe != null && !probe.inRecovery()) {
      return promotion.promote(topology, target, probe, progress); // promoted before a crash: just record it
    }
    if (old == null || target == null || probe == null) {
      abandonSwitchover(cfg, topology, old, old == null ? member(f.from()) + " has no container"
          : member(f.to()) + " cannot be reached (" + obs.probeErrors().getOrDefault(f.to(), "no container") + ")");
      return false;
    }
    if ("paused".equals(old.state())) {
      abandonSwitchover(cfg, topology, old, member(f.from()) + " is paused");
      return false;
    }
    Topology.Step step = f.step();
    if (step != null && Topology.Step.SHUT_DOWN.equals(step.phase())) {
      return catchUp(cfg, topology, old, target, probe, progress);
    }
    CompletableFuture<Void> fence = CompletableFuture.completedFuture(null);
    if (step == null && old.running()) {
      topology = demote(topology, old, obs);
      Topology demoting = topology;
      fence = CompletableFuture.runAsync(() -> loadBalancer.fenceLoadBalancer(cfg, demoting, obs));
      step = topology.failover().step();
    } else if (step != null && old.running()) {
      demotion.resumeShutdown(old); // (after an operator restart)
    }
    Optional<ControlFile> shutDown = Optional.empty();
    if (step != null) {
      // Done when pg_control says "shut down": the shutdown checkpoint is written and no session
      // can start any more; the container's own exit comes later and is not waited for.
      shutDown = awaitShutdownCheckpoint(old, PASS_BUDGET);
      Promotion.join(fence);
      if (shutDown.isEmpty() && docker.container(old.name()).map(Detector::canRun).orElse(false)) {
        if (elapsed(step.since()).compareTo(SHUTDOWN_PATIENCE) < 0) {
          progress.now = true;
          progress.waitFor("switchover: " + member(f.from()) + " is shutting down");
          return false;
        }
        docker.kill(old.id());
        abandonSwitchover(cfg, topology, old, member(f.from()) + " did not shut down within "
            + SHUTDOWN_PATIENCE.toSeconds() + " s; killed (it recovers as the primary)");
        return false;
      }
    }
    loadBalancer.fenceLoadBalancer(cfg, topology, obs); // (no-op when done above)
    ControlFile control;
    if (shutDown.isPresent()) {
      control = shutDown.get();
    } else {
      try {
        control = demotion.controlFile(old)
            .orElseThrow(() -> new IllegalStateException("no " + PGDATA + "/global/pg_control"));
      } catch (RuntimeException e) {
        abandonSwitchover(cfg, topology, old, "cannot read " + member(f.from()) + "'s pg_control: " + e.getMessage());
        return false;
      }
    }
    if (!control.cleanlyShutDown()) {
      abandonSwitchover(cfg, topology, old, member(f.from()) + " did not shut down cleanly (" + control + ")");
      return false;
    }
    Long shutdownMillis = step == null ? null : elapsed(step.since()).toMillis();
    topology = topology.withFailover(f.at(new Topology.Step(Topology.Step.SHUT_DOWN, now(),
        Lsn.format(control.checkpointLsn()), control.toString(), shutdownMillis)));
    home.writeState(cluster, topology);
    return catchUp(cfg, topology, old, target, probe, progress);
  }

  /**
   * The first act: a checkpoint while writes still flow (it leaves the shutdown checkpoint little to
   * do, so the pause is short: what Patroni does before a demotion too), the old primary out of the
   * read-write listener for new sessions, then, recorded first, its fast shutdown.
   */
  private Topology demote(Topology topology, ContainerInfo old, Observed obs) {
    Topology.Failover f = topology.failover();
    long checkpoint = System.nanoTime();
    try {
      sql(old).orElseThrow().checkpoint();
    } catch (InstanceException | RuntimeException e) {
      log.warn("checkpoint", member(f.from()) + ": " + e.getMessage() + "; shutting down without it");
    }
    log.action("checkpoint", member(f.from()) + ": " + (System.nanoTime() - checkpoint) / 1_000_000
        + " ms, before the shutdown");
    // No new session for the old primary from now on (the ones it has go on writing until the
    // shutdown cuts them): a client reconnecting is turned away at once instead of waiting on
    // a server that is about to disappear.
    ContainerInfo lb = obs.lb();
    if (lb != null && lb.running()) {
      try {
        loadBalancer.haproxyAdmin(lb, "set server rw/" + member(f.from()) + " state maint");
      } catch (RuntimeException e) {
        log.warn("drain-lb", "cannot put rw/" + member(f.from())
            + " in maintenance through the admin socket: " + e.getMessage());
      }
    }
    Topology demoting = topology.withFailover(f.at(new Topology.Step(Topology.Step.DEMOTING, now(), null, null, null)));
    home.writeState(cluster, demoting); // recorded before the signal: a restarted operator waits for the shutdown
    // Shutting down, the primary takes no new session and cuts the ones it has; the listener
    // is switched to the target meanwhile, so nothing reaches the old one when it comes back.
    String how = demotion.fastShutdown(old);
    log.action("demote", member(f.from()) + ": fast shutdown " + how + " (sessions cut, shutdown checkpoint,"
        + " remaining WAL sent to the replicas)");
    return demoting;
  }

  /**
   * The last phase: the target must have received the old primary's shutdown checkpoint (then it
   * has every record the old primary wrote) before it is promoted; given up after
   * {@link #CATCH_UP_PATIENCE}.
   */
  private boolean catchUp(ClusterConfig cfg, Topology topology, ContainerInfo old, ContainerInfo target,
      InstanceProbe probe, Progress progress) {
    Topology.Failover f = topology.failover();
    Topology.Step step = f.step();
    long checkpointLsn = Lsn.parse(step.checkpointLsn());
    String received = null;
    boolean caughtUp = false;
    long deadline = System.nanoTime() + PASS_BUDGET.toNanos();
    while (!caughtUp && System.nanoTime() < deadline) {
      try {
        Optional<String> lsn = sql(target).orElseThrow().receivedLsn();
        received = lsn.orElse("none (promoted)");
        caughtUp = lsn.isEmpty() || Lsn.parse(lsn.get()) > checkpointLsn;
      } catch (InstanceException e) {
        received = "unknown (" + e.getMessage() + ")";
      }
      if (!caughtUp) {
        sleep(Duration.ofMillis(20));
      }
    }
    if (!caughtUp) {
      if (elapsed(step.since()).compareTo(CATCH_UP_PATIENCE) < 0) {
        progress.now = true;
        progress.waitFor("switchover: " + member(f.to()) + " received WAL up to " + received + ", not yet "
            + member(f.from()) + "'s shutdown checkpoint at " + step.checkpointLsn());
        return false;
      }
      abandonSwitchover(cfg, topology, old, member(f.to()) + " received WAL up to " + received + " within "
          + CATCH_UP_PATIENCE.toSeconds() + " s, not the primary's shutdown checkpoint at " + step.checkpointLsn());
      return false;
    }
    log.action("caught-up", member(f.to()) + " received " + received + ", past " + member(f.from())
        + "'s shutdown checkpoint (" + step.control() + "); shutdown "
        + (step.shutdownMillis() == null ? "seen before this operator looked" : step.shutdownMillis() + " ms")
        + ", catch-up check " + elapsed(step.since()).toMillis() + " ms");
    Topology after = new Topology(topology.members(), topology.nextOrdinal(), f.to());
    // it starts again as a replica of the target: told so while the target is promoted, and
    // before the promotion is recorded (the old container is started only after that)
    CompletableFuture<Void> told = CompletableFuture.runAsync(
        () -> demotion.followNewPrimary(cfg, after, f.from(), old));
    return promotion.promote(topology, target, probe, progress, () -> Promotion.join(told));
  }

  private Duration elapsed(String since) {
    return Duration.between(Instant.parse(since), instant());
  }

  /**
   * Gives a switchover up: the old primary is told again it is the primary and, when this
   * switchover stopped it (demoted, or killed for not shutting down), started again here: the
   * next pass would otherwise take its exited container for a failed primary and fail over. Its
   * exit is waited for first (a clean shutdown has only the exit left; a kill is immediate).
   * Started before the intent is cleared: an operator stopped in between resumes the switchover.
   */
  private void abandonSwitchover(ClusterConfig cfg, Topology topology, ContainerInfo old, String why) {
    if (old != null && demotion.startAgainAsPrimary(cfg, topology, old)) {
      log.action("start-member", member(topology.primary()) + ": started again as the primary through its agent");
    } else if (old != null) {
      if (agent(old).isEmpty()) { // a member without an agent may have had a replica's files copied in
        docker.copyFiles(old.id(), memberFiles.memberFiles(cfg, topology, topology.primary()));
      }
      if (topology.failover().step() != null && !"paused".equals(old.state())) {
        docker.stop(old.id(), (int) RESTART_PATIENCE.toSeconds());
        docker.start(old.id());
        log.action("start-member", member(topology.primary()) + ": started again as the primary (the switchover"
            + " had stopped it)");
      }
    }
    promotion.abandon(topology, why);
  }

  /**
   * Reads the member's pg_control (its agent's status, or the engine's archive read) until it says "shut down";
   * empty when the patience runs out or the container stops first (the caller reads it once more
   * to say why). A read that catches the file mid-write fails its CRC and is simply repeated.
   */
  private Optional<ControlFile> awaitShutdownCheckpoint(ContainerInfo c, Duration patience) {
    long deadline = System.nanoTime() + patience.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        Optional<ControlFile> control = demotion.controlFile(c);
        if (control.isPresent() && control.get().cleanlyShutDown()) {
          return control;
        }
      } catch (IllegalArgumentException e) {
        // torn read, or not (yet) a valid file: look again
      }
      Optional<ContainerInfo> now = docker.container(c.name());
      if (now.isEmpty() || !now.get().running()) {
        return Optional.empty();
      }
      sleep(Duration.ofMillis(20));
    }
    return Optional.empty();
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
