package io.pgherd.steps;

import io.pgherd.api.ClusterConfig;
import io.pgherd.api.RecloneStatus;
import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.Observed;
import io.pgherd.cluster.Progress;
import io.pgherd.model.Names;
import io.pgherd.model.PostgresConf;
import io.pgherd.model.Topology;
import io.pgherd.postgres.InstanceException;
import io.pgherd.postgres.InstanceProbe;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.store.Reclones;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Replicas whose slot on the primary was invalidated: PostgreSQL gives up a slot that holds more
 * than max_slot_wal_keep_size of WAL at a checkpoint (wal_status 'lost') and removes that WAL, so
 * a replica cut off for that long can never stream again, and it has no restore_command to read
 * the WAL from the archive. Such a replica, running and not streaming, is removed with its data
 * volume once its log says the WAL it asks for is gone, or after {@link #PATIENCE}; its slot is
 * dropped after (an operator stopped before that finds the replica again by its lost slot). The replicas step clones it again in the next pass, after a new slot, as a new
 * member. A replica whose container does not run is left as it is until it runs (its node may be
 * gone; started again, it cannot stream, and is re-cloned then).
 */
public final class LostSlots extends ClusterPart {
  /** What a standby's WAL receiver logs when the primary no longer has the WAL it asks for. */
  public static final String WAL_GONE = "has already been removed";
  /** How long a replica may stay not streaming through an invalidated slot when its log does not say why. */
  static final Duration PATIENCE = Duration.ofSeconds(30);
  /** Replica ordinal → when its slot was first seen lost while it ran without streaming. */
  private final Map<Integer, Instant> lostSince = new HashMap<>();
  /** Each member's last re-clone by this step, kept with the state (read by the status). */
  private final Reclones reclones;

  public LostSlots(ClusterScope scope) {
    super(scope);
    this.reclones = new Reclones(scope.home, scope.cluster, why -> log.warn("reclone", why));
  }

  /**
   * Removes the replicas to be cloned again; returns the pass's snapshot without them, for the steps
   * that follow in the same pass.
   */
  public Observed reclone(ClusterConfig cfg, Topology topology, Observed obs, Progress progress) {
    reclones.retain(topology.members().stream().map(this::member).toList());
    lostSince.keySet().retainAll(topology.replicas());
    InstanceProbe primary = obs.probes().get(topology.primary());
    ContainerInfo primaryContainer = obs.members().get(topology.primary());
    if (topology.failover() != null || primary == null || primary.inRecovery() || primaryContainer == null) {
      return obs;
    }
    Observed after = obs;
    for (int r : topology.replicas()) {
      String slot = Names.slot(member(r));
      Optional<InstanceProbe.Slot> held = primary.slots().stream().filter(s -> s.name().equals(slot)).findFirst();
      ContainerInfo c = obs.members().get(r);
      InstanceProbe probe = obs.probes().get(r);
      boolean streaming = probe != null && "streaming".equals(probe.receiverStatus());
      // a clone under way holds no WAL through the slot (pg_basebackup streams through its own): a long
      // one can see the slot invalidated, and is not a replica to clone again
      boolean cloning = primary.baseBackups() != null && primary.baseBackups().stream()
          .anyMatch(b -> member(r).equals(b.applicationName()));
      if (topology.rejoining().contains(r) || held.isEmpty() || !held.get().lost() || c == null || !c.running()
          || streaming || cloning) {
        lostSince.remove(r); // a standby streaming through an invalidated slot sets its restart_lsn again
        continue;
      }
      Instant since = lostSince.computeIfAbsent(r, k -> instant());
      boolean walGone = docker.logs(c.id(), 50).contains(WAL_GONE);
      if (!walGone && Duration.between(since, instant()).compareTo(PATIENCE) <= 0) {
        progress.waitFor("replica " + member(r) + " does not stream and its slot " + slot + " on "
            + member(topology.primary()) + " is invalidated; re-cloned unless it streams within "
            + PATIENCE.toSeconds() + "s");
        continue;
      }
      lostSince.remove(r);
      String reason = "replication slot " + slot + " invalidated on the primary " + member(topology.primary())
          + " (the WAL it held went past max_slot_wal_keep_size = " + maxSlotWalKeepSize(cfg) + "): " + member(r)
          + (walGone ? " cannot catch up (\"requested WAL segment ... " + WAL_GONE + "\")"
              : " has not streamed for " + PATIENCE.toSeconds() + "s")
          + " and replicas read no WAL from the archive";
      // in this order, so that an operator stopped anywhere in between finds the replica again: recorded, its
      // container and volume removed (made again on the kept volume, it still cannot stream through the lost
      // slot and is found again), and only then the lost slot dropped (made again before the clone)
      reclones.record(member(r), new RecloneStatus(instant().truncatedTo(ChronoUnit.SECONDS).toString(), reason));
      docker.remove(c.id());
      scope.forgetContainer(c.id());
      docker.removeVolume(Names.volume(member(r)));
      try {
        sql(primaryContainer).orElseThrow(() -> new InstanceException(member(topology.primary())
            + " cannot be reached over SQL from here")).dropSlot(slot);
      } catch (InstanceException e) { // the next pass drops it (a lost slot of a replica being cloned again)
        log.warn("reclone", "cannot drop the invalidated slot " + slot + " on " + member(topology.primary()) + " yet: "
            + e.getMessage());
      }
      log.warn("reclone", reason + ": re-cloning " + member(r) + " (container and data volume removed; the slot"
          + " dropped, made again before the clone)");
      progress.changed = true;
      progress.waitFor("re-cloning replica " + member(r) + ": its slot " + slot + " was invalidated on "
          + member(topology.primary()));
      after = after.without(r);
    }
    return after;
  }

  /** The member's last re-clone by this step (by this operator or one before it), for its status. */
  public Optional<RecloneStatus> lastReclone(int ordinal) {
    return reclones.last(member(ordinal));
  }

  private static String maxSlotWalKeepSize(ClusterConfig cfg) {
    return cfg.parameters().getOrDefault("max_slot_wal_keep_size", PostgresConf.DEFAULT_MAX_SLOT_WAL_KEEP_SIZE);
  }
}
