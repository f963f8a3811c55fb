package io.pgherd.failover;

import io.pgherd.api.ClusterConfig;
import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.Observed;
import io.pgherd.model.Names;
import io.pgherd.model.Topology;
import io.pgherd.postgres.AgentException;
import io.pgherd.postgres.InstanceException;
import io.pgherd.postgres.InstanceProbe;
import io.pgherd.postgres.MemberAgent;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.steps.LostSlots;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Former primaries coming back: the old primary restarted at once as a replica of the new one
 * (pg_rewind or a re-clone in its entrypoint), the way each came back recorded, and one that
 * cannot follow the new timeline re-cloned.
 */
public final class Rejoin extends ClusterPart {
  /** Rejoining members first seen unable to follow the primary. */
  private final Map<Integer, Instant> stuckSince = new HashMap<>();
  /** Rejoining members first seen running without answering. */
  private final Map<Integer, Instant> silentSince = new HashMap<>();
  static final Duration REJOIN_PATIENCE = Duration.ofSeconds(20);
  /** What a standby's WAL receiver logs when the primary no longer has the WAL it asks for. */
  static final String WAL_GONE = LostSlots.WAL_GONE;

  public Rejoin(ClusterScope scope) {
    super(scope);
  }

  /**
   * Former primaries streaming again on the primary's timeline: say how they came back (pg_rewind
   * or a new clone). One that stays on an older timeline without streaming for longer than
   * {@link #REJOIN_PATIENCE} cannot follow (it has WAL the new primary never had): it is re-cloned.
   */
  public Topology rejoins(Topology topology, Observed obs) {
    Topology next = topology;
    InstanceProbe primary = obs.probes().get(topology.primary());
    for (int r : topology.rejoining()) {
      InstanceProbe probe = obs.probes().get(r);
      ContainerInfo c = obs.members().get(r);
      if (primary == null || primary.inRecovery() || c == null) {
        continue;
      }
      if (probe == null) {
        if (!startHeld(topology, obs, r, c)) {
          walGone(r, c);
        }
        continue;
      }
      silentSince.remove(r);
      if (!probe.inRecovery()) {
        continue;
      }
      if ("streaming".equals(probe.receiverStatus()) && probe.timeline() == primary.timeline()) {
        stuckSince.remove(r);
        String logs = currentRun(c);
        String how = howRejoined(logs);
        next = next.rejoined(r);
        log.action("rejoined", member(r) + " streams from " + member(topology.primary())
            + " on timeline " + probe.timeline() + " after " + how);
        continue;
      }
      Instant since = stuckSince.computeIfAbsent(r, k -> instant());
      if (Duration.between(since, instant()).compareTo(REJOIN_PATIENCE) > 0) {
        stuckSince.remove(r);
        docker.remove(c.id());
        docker.removeVolume(Names.volume(member(r)));
        log.warn("rejoin-reclone", member(r) + " is on timeline " + probe.timeline() + " (primary "
            + primary.timeline() + ") and not streaming (" + probe.receiverStatus() + ") after "
            + REJOIN_PATIENCE.toSeconds() + "s: its data cannot follow; removed to be cloned again");
      }
    }
    if (next != topology) {
      home.writeState(cluster, next);
    }
    return next;
  }

  /**
   * A former primary whose agent still holds PostgreSQL stopped once no change of primary is under
   * way: the operator stopped between a switchover's promotion and the old primary's start (which
   * {@link #restartOldPrimary} does in the same pass). It has a replica's files already (delivered
   * before the promotion): its agent starts it as a standby, after its slot on the primary. True
   * when it was started (or asked to be).
   */
  private boolean startHeld(Topology topology, Observed obs, int r, ContainerInfo c) {
    if (topology.failover() != null || !c.running()) {
      return false;
    }
    Optional<MemberAgent> agent = agent(c).filter(Rejoin::held);
    ContainerInfo primary = obs.members().get(topology.primary());
    if (agent.isEmpty() || primary == null) {
      return false;
    }
    try {
      asStandby(topology, primary, r, c, agent,
          "its agent held PostgreSQL stopped (the operator stopped during a switchover); ").run();
    } catch (InstanceException | AgentException e) {
      log.warn("start-member", member(r) + ": held stopped by its agent; starting it as a standby failed ("
          + e.getMessage() + "); trying again");
    }
    return true;
  }

  /**
   * A former primary that pg_rewind left needing WAL from before the fork (its last common
   * checkpoint's redo) that the new primary has recycled since: it never reaches a consistent state
   * (it answers nothing: "the database system is starting up") and its log says "requested WAL
   * segment … has already been removed". After {@link #REJOIN_PATIENCE} in that state it is
   * removed with its volume, to be cloned again.
   */
  private void walGone(int r, ContainerInfo c) {
    if (!c.running()) {
      return;
    }
    Instant since = silentSince.computeIfAbsent(r, k -> instant());
    if (Duration.between(since, instant()).compareTo(REJOIN_PATIENCE) <= 0
        || !docker.logs(c.id(), 20).contains(WAL_GONE)) {
      return;
    }
    silentSince.remove(r);
    docker.remove(c.id());
    docker.removeVolume(Names.volume(member(r)));
    log.warn("rejoin-reclone", member(r) + " has not answered for " + REJOIN_PATIENCE.toSeconds() + "s: the WAL it"
        + " needs to become consistent after pg_rewind is gone from the primary (\"" + WAL_GONE
        + "\"); removed to be cloned again");
  }

  /**
   * The old primary started again at once as a replica of the new one, after its slot on the new
   * primary: a container that has exited (made again as a replica by the failover: the rejoin,
   * pg_rewind preceded by the checkpoint it needs, runs in its entrypoint) is started; a running one
   * whose agent holds PostgreSQL stopped (a switchover's, shut down cleanly and caught up with) is
   * started as a standby by its agent. Runs while the rest of the pass goes on. Anything else is left to the replicas step. Returns what to log and record, on the
   * caller's thread.
   */
  public Runnable restartOldPrimary(ClusterConfig cfg, Topology topology, Observed before) {
    Topology.Failover last = topology.lastFailover();
    ContainerInfo primary = before.members().get(topology.primary());
    if (last == null || primary == null) {
      return () -> {};
    }
    Optional<ContainerInfo> old = docker.container(Names.container(member(last.from())));
    if (old.isEmpty() || !specHash(cfg, last.from()).equals(old.get().label(Names.LABEL_SPEC_HASH))
        || !old.get().networks().contains(Names.network(cluster))) {
      return () -> {};
    }
    Optional<MemberAgent> agent = Optional.empty();
    if (old.get().running()) {
      agent = agent(old.get()).filter(a -> held(a)); // a switchover's old primary: its agent holds PostgreSQL stopped
      if (agent.isEmpty()) {
        return () -> {};
      }
    } else if (Detector.canRun(old.get())) {
      return () -> {};
    }
    try {
      return asStandby(topology, primary, last.from(), old.get(), agent, "");
    } catch (InstanceException e) {
      return () -> {}; // the slots and replicas steps try again
    } catch (AgentException e) {
      return () -> log.warn("start-member", member(last.from()) + ": its agent did not start it as a standby: "
          + e.getMessage() + "; trying again");
    }
  }

  /**
   * A former primary rejoins: its slot on the primary first, then its agent starts its held
   * PostgreSQL as a standby ({@code agent} present), or its exited container is started (the
   * rejoin then runs in its entrypoint). Returns what to log, on the caller's thread; {@code why}
   * opens the start-member line.
   */
  private Runnable asStandby(Topology topology, ContainerInfo primary, int r, ContainerInfo c,
      Optional<MemberAgent> agent, String why) throws InstanceException, AgentException {
    String slot = Names.slot(member(r));
    boolean created = sql(primary).orElseThrow(() -> new InstanceException(member(topology.primary())
        + " cannot be reached over SQL from here")).createSlot(slot);
    String how;
    if (agent.isPresent()) {
      agent.get().start(true);
      how = "its agent starts PostgreSQL as a standby";
    } else {
      docker.start(c.id());
      how = "container was " + c.state() + (c.status() == null ? "" : " (" + c.status() + ")");
    }
    return () -> {
      if (created) {
        log.action("create-slot", slot + " on " + member(topology.primary()) + " for " + member(r));
      }
      log.action("start-member", member(r) + ": " + why + how + "; it rejoins as a replica of "
          + member(topology.primary()));
    };
  }

  private static boolean held(MemberAgent agent) {
    try {
      return agent.status().held().isPresent();
    } catch (AgentException e) {
      return false;
    }
  }

  /** The members' history starts again (a restore in place replaced them). */
  public void forget() {
    stuckSince.clear();
    silentSince.clear();
  }

  /**
   * What the last of the lines that tell how a member came to stream says: its entrypoint's after
   * a re-clone, a pg_rewind or a first clone, its agent's when the operator had it start PostgreSQL
   * again as a standby in the same container (a cleanly demoted primary: its data as it was).
   */
  static String howRejoined(String logs) {
    Map<String, String> markers = Map.of("rejoin: re-cloned", "re-cloned (pg_rewind failed)",
        "rejoin: pg_rewind succeeded", "pg_rewind", "clone complete", "a new clone",
        "start asked by the operator", "its data as it was");
    String how = "its data as it was";
    int last = -1;
    for (var m : markers.entrySet()) {
      int at = logs.lastIndexOf(m.getKey());
      if (at > last) {
        last = at;
        how = m.getValue();
      }
    }
    return how;
  }

  /**
   * The container's log lines since its current run started: a container started again (on a
   * Swarm, every task of its service) keeps the lines of its earlier runs, such as its first clone.
   */
  private String currentRun(ContainerInfo c) {
    String logs = docker.logs(c.id(), 400, true);
    java.util.Optional<java.time.Instant> since = docker.runningSince(c.id());
    if (since.isEmpty()) {
      return logs;
    }
    StringBuilder out = new StringBuilder();
    for (String line : logs.split("\n")) {
      int space = line.indexOf(' ');
      try {
        if (space > 0 && java.time.Instant.parse(line.substring(0, space)).isBefore(since.get())) {
          continue;
        }
      } catch (java.time.format.DateTimeParseException e) {
        // no timestamp (an engine that gives none): kept
      }
      out.append(line).append('\n');
    }
    return out.toString();
  }
}
