package io.pgherd.steps;

import io.pgherd.api.ClusterConfig;
import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.MemberContainers;
import io.pgherd.cluster.Observed;
import io.pgherd.cluster.Progress;
import io.pgherd.model.Names;
import io.pgherd.model.Topology;
import io.pgherd.postgres.InstanceException;
import io.pgherd.postgres.InstanceProbe;
import io.pgherd.runtime.ContainerInfo;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The members' containers and volumes: the cluster network, the primary first (initdb, or its
 * volume kept), then each replica after its slot on the primary (cloned with pg_basebackup);
 * recreated when their definition changes, started when stopped, reattached when cut off, and
 * removed with their volume when the topology no longer holds them.
 */
public final class Members extends ClusterPart {
  /**
   * A replica this young (from its container's creation: the clone included) that does not stream
   * yet is about to: the operator watches its agent between passes ({@link Progress#awaited}). An
   * older one that does not stream is a fault the status shows, looked at every second.
   */
  static final long NEW_MEMBER_SECONDS = 120;

  private final MemberContainers containers;
  /** Member ordinal → the state its last start was said for (forgotten once it runs). */
  private final java.util.Map<Integer, String> startSaid = new java.util.HashMap<>();

  public Members(ClusterScope scope, MemberContainers containers) {
    super(scope);
    this.containers = containers;
  }

  public void network(Progress progress) {
    String name = Names.network(cluster);
    if (!docker.networkExists(name)) {
      docker.ensureNetwork(name, Map.of(Names.LABEL_CLUSTER, cluster));
      log.action("create-network", name);
      progress.changed = true;
    }
    joinNetwork();
  }

  /** Members that the topology no longer holds: their container and volume go. */
  public void removeMembers(Topology topology, Observed obs, Progress progress) {
    Set<Integer> gone = new TreeSet<>(obs.members().keySet());
    gone.addAll(obs.volumes());
    gone.removeAll(topology.members());
    for (int ordinal : gone) {
      if (obs.writable().contains(ordinal)) {
        warnOnce("remove-" + ordinal, member(ordinal) + " is not in the topology but accepts writes; not removing it");
        continue;
      }
      ContainerInfo c = obs.members().get(ordinal);
      if (c != null) {
        docker.remove(c.id());
        scope.forgetContainer(c.id());
      }
      docker.removeVolume(Names.volume(member(ordinal)));
      log.action("remove-member", member(ordinal) + ": not in the spec any more (scale-in);"
          + " container and volume removed");
      progress.changed = true;
    }
  }

  public void primary(ClusterConfig cfg, Topology topology, Observed obs, Progress progress) {
    int p = topology.primary();
    ContainerInfo c = obs.members().get(p);
    if (c == null) {
      boolean hasData = obs.volumes().contains(p);
      Set<Integer> replicaData = new TreeSet<>(obs.volumes());
      replicaData.retainAll(topology.replicas());
      if (!hasData && !replicaData.isEmpty()) {
        String why = "primary " + member(p) + " has neither container nor volume while replicas "
            + names(replicaData) + " hold data; not initialising a new, diverging primary";
        warnOnce("primary-lost", why);
        progress.waitFor(why);
        return;
      }
      createMember(cfg, topology, p, false);
      log.action("create-member", member(p) + ": primary, "
          + (hasData ? "existing data volume kept" : "initdb (scram-sha-256, replication role)"));
      progress.changed = true;
      progress.waitFor("starting primary " + member(p));
      return;
    }
    if (!specHash(cfg, p).equals(c.label(Names.LABEL_SPEC_HASH))) {
      recreate(cfg, topology, c, p, progress);
      return;
    }
    if (c.mayBeRunning() && !c.running()) {
      // its task was last seen running on a node the Swarm cannot reach: it may run on there, cut off;
      // started anew it could not be (its data is there), and a spec update would hide the old task
      progress.waitFor("primary " + member(p) + " is " + c.state() + " (" + c.status() + ")");
      return;
    }
    if (!c.running()) {
      attach(c, p, progress); // a running primary cut off from the network is a failure, not drift
      start(c, p, progress);
      return;
    }
    startSaid.remove(p);
    InstanceProbe probe = obs.probes().get(p);
    if (probe == null) {
      progress.waitFor("primary " + member(p) + " not answering yet: " + obs.probeErrors().getOrDefault(p, "starting"));
    } else if (probe.inRecovery()) {
      progress.waitFor("primary " + member(p) + " is in recovery");
    }
  }

  public void replicas(ClusterConfig cfg, Topology topology, Observed obs, Progress progress) {
    InstanceProbe primary = obs.probes().get(topology.primary());
    boolean primaryReady = primary != null && !primary.inRecovery();
    for (int r : topology.replicas()) {
      ContainerInfo c = obs.members().get(r);
      if (c == null) {
        if (!primaryReady) {
          progress.waitFor("replica " + member(r) + " waits for the primary");
          continue;
        }
        String slot = Names.slot(member(r));
        try {
          if (sql(obs.members().get(topology.primary())).orElseThrow().createSlot(slot)) {
            log.action("create-slot", slot + " on " + member(topology.primary()) + " for " + member(r));
          }
        } catch (InstanceException e) {
          progress.waitFor("cannot create slot " + slot + ": " + e.getMessage());
          continue;
        }
        boolean hasData = obs.volumes().contains(r);
        createMember(cfg, topology, r, true);
        log.action("create-member", member(r) + ": replica, "
            + (hasData ? "existing data volume kept, streaming from " : "cloning with pg_basebackup from ")
            + member(topology.primary()));
        progress.changed = true;
        progress.waitFor("replica " + member(r) + " starting");
        continue;
      }
      if (!specHash(cfg, r).equals(c.label(Names.LABEL_SPEC_HASH))) {
        recreate(cfg, topology, c, r, progress);
        continue;
      }
      attach(c, r, progress);
      if (!c.running()) {
        start(c, r, progress);
        continue;
      }
      startSaid.remove(r);
      InstanceProbe probe = obs.probes().get(r);
      if (probe == null) {
        progress.waitFor("replica " + member(r) + " not answering yet (cloning or starting): "
            + obs.probeErrors().getOrDefault(r, "no probe"));
        await(c, progress);
      } else if (!"streaming".equals(probe.receiverStatus())) {
        progress.waitFor("replica " + member(r) + " not streaming yet");
        await(c, progress);
      }
    }
  }

  /** A young replica not streaming yet is about to: the operator watches its agent until the next pass. */
  private void await(ContainerInfo c, Progress progress) {
    if (progress.awaited == null && instant().getEpochSecond() - c.created() < NEW_MEMBER_SECONDS) {
      progress.awaited = c;
    }
  }

  /** A member cut off from the cluster network (by hand, or fenced that way) is attached again. */
  private void attach(ContainerInfo c, int ordinal, Progress progress) {
    String network = Names.network(cluster);
    if (!c.networks().contains(network)) {
      docker.connectNetwork(c.id(), network);
      log.action("reconnect", member(ordinal) + ": container was not attached to " + network);
      progress.changed = true;
    }
  }

  private void start(ContainerInfo c, int ordinal, Progress progress) {
    String state = c.state() + (c.status() == null ? "" : " (" + c.status() + ")");
    if ("paused".equals(c.state())) {
      progress.waitFor(member(ordinal) + " is paused");
      return;
    }
    docker.start(c.id());
    // said once per state: a member that cannot run yet (a Swarm member waiting for a node) is started every pass
    if (!state.equals(startSaid.put(ordinal, state))) {
      log.action("start-member", member(ordinal) + ": container was " + state);
    }
    progress.changed = true;
    progress.waitFor(member(ordinal) + " starting");
  }

  private void recreate(ClusterConfig cfg, Topology topology, ContainerInfo c, int ordinal, Progress progress) {
    docker.remove(c.id());
    scope.forgetContainer(c.id());
    createMember(cfg, topology, ordinal, !topology.isPrimary(ordinal));
    log.action("recreate-member", member(ordinal) + ": container definition changed (image "
        + c.image() + " → " + cfg.image() + "); data volume kept");
    progress.changed = true;
    progress.waitFor(member(ordinal) + " restarting");
  }

  private void createMember(ClusterConfig cfg, Topology topology, int ordinal, boolean clone) {
    String id = containers.create(cfg, topology, ordinal, clone ? "clone" : "initdb");
    if (id != null) {
      docker.start(id);
    }
  }
}
