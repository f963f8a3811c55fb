package io.pgherd.steps;

import io.pgherd.backup.WalArchiver;
import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.Observed;
import io.pgherd.cluster.Progress;
import io.pgherd.model.Lsn;
import io.pgherd.model.Names;
import io.pgherd.model.Topology;
import io.pgherd.postgres.Instance;
import io.pgherd.postgres.InstanceException;
import io.pgherd.postgres.InstanceProbe;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Replication slots: the primary holds one per replica (and the WAL archive's), every replica one
 * for each other replica advanced with the primary's (so a promoted replica already keeps what the
 * others need), and slots of no member are dropped.
 */
public final class Slots extends ClusterPart {

  public Slots(ClusterScope scope) {
    super(scope);
  }

  /** The primary holds exactly one slot per replica; slots of no member are dropped. */
  public void slots(Topology topology, Observed obs, boolean archiving, Progress progress) {
    InstanceProbe primary = obs.probes().get(topology.primary());
    if (primary == null || primary.inRecovery()) {
      return;
    }
    Instance sql = sql(obs.members().get(topology.primary())).orElseThrow();
    Set<String> wanted = topology.replicas().stream().map(r -> Names.slot(member(r)))
        .collect(Collectors.toCollection(TreeSet::new));
    Set<String> present = primary.slots().stream().map(InstanceProbe.Slot::name)
        .collect(Collectors.toCollection(TreeSet::new));
    try {
      String archiverSlot = WalArchiver.SLOT;
      if (archiving && !present.contains(archiverSlot) && sql.createSlot(archiverSlot)) {
        log.action("create-slot", archiverSlot + " on " + member(topology.primary())
            + " for the WAL archive (it keeps the WAL until it is archived)");
        progress.changed = true;
      } else if (!archiving && present.contains(archiverSlot)) {
        if (sql.dropSlot(archiverSlot)) {
          log.action("drop-slot", archiverSlot + " on " + member(topology.primary())
              + ": the spec has no backup section any more");
        }
      }
      for (String slot : wanted) {
        if (!present.contains(slot) && sql.createSlot(slot)) {
          log.action("create-slot", slot + " on " + member(topology.primary()));
          progress.changed = true;
        }
      }
      for (InstanceProbe.Slot slot : primary.slots()) {
        if (wanted.contains(slot.name()) || slot.name().startsWith(Names.INTERNAL_SLOT_PREFIX)) {
          continue;
        }
        if (sql.dropSlot(slot.name())) {
          log.action("drop-slot", slot.name() + " on " + member(topology.primary())
              + ": belongs to no member (restart_lsn " + slot.restartLsn() + ", it would hold WAL forever)");
          progress.changed = true;
        } else {
          warnOnce("slot-" + slot.name(), "slot " + slot.name() + " belongs to no member but is in use; "
              + "dropping it once it is inactive");
        }
      }
    } catch (InstanceException e) {
      progress.waitFor("cannot manage slots on " + member(topology.primary()) + ": " + e.getMessage());
    }
    replicaSlots(topology, obs, primary, archiving, progress);
  }

  /**
   * Every replica keeps a slot for each other replica, advanced to where the primary's slot for
   * it stands (never past its own replay position), so whichever replica is promoted already
   * retains the WAL the others need: nobody has to be re-cloned after a failover.
   */
  private void replicaSlots(Topology topology, Observed obs, InstanceProbe primary, boolean archiving,
      Progress progress) {
    Map<String, String> primaryPositions = new HashMap<>();
    primary.slots().forEach(sl -> primaryPositions.put(sl.name(), sl.restartLsn()));
    for (int x : topology.replicas()) {
      InstanceProbe probe = obs.probes().get(x);
      if (probe == null || !probe.inRecovery() || topology.rejoining().contains(x)) {
        continue;
      }
      Instance sql = sql(obs.members().get(x)).orElseThrow();
      Set<String> wanted = topology.replicas().stream().filter(r -> r != x).map(r -> Names.slot(member(r)))
          .collect(Collectors.toCollection(TreeSet::new));
      if (archiving) {
        wanted.add(WalArchiver.SLOT); // the archive resumes from a promoted replica too
      }
      Map<String, InstanceProbe.Slot> present = new HashMap<>();
      probe.slots().forEach(sl -> present.put(sl.name(), sl));
      try {
        for (String slot : wanted) {
          InstanceProbe.Slot mine = present.get(slot);
          if (mine != null && mine.lost()) {
            // invalidated (it held more than max_slot_wal_keep_size at a restartpoint): it can be
            // neither advanced nor used, so it is made again, reserving from this replica's redo point
            if (!sql.dropSlot(slot)) {
              continue;
            }
            log.action("drop-slot", slot + " on replica " + member(x) + ": invalidated (it held more than"
                + " max_slot_wal_keep_size of WAL); made again");
            mine = null;
          }
          if (mine == null) {
            if (sql.createSlot(slot)) {
              log.action("create-slot", slot + " on replica " + member(x) + " (kept for a failover)");
            }
            continue;
          }
          String target = primaryPositions.get(slot);
          if (target == null || probe.replayLsn() == null) {
            continue;
          }
          long to = Math.min(Lsn.parse(target), Lsn.parse(probe.replayLsn()));
          if (to > Lsn.parse(mine.restartLsn())) {
            sql.advanceSlot(slot, Lsn.format(to));
          }
        }
        for (InstanceProbe.Slot sl : probe.slots()) {
          boolean stale = !wanted.contains(sl.name()) && (!sl.name().startsWith(Names.INTERNAL_SLOT_PREFIX)
              || sl.name().equals(WalArchiver.SLOT));
          if (stale && sql.dropSlot(sl.name())) {
            log.action("drop-slot", sl.name() + " on replica " + member(x) + ": belongs to no other replica");
          }
        }
      } catch (InstanceException e) {
        progress.waitFor("cannot manage slots on replica " + member(x) + ": " + e.getMessage());
      }
    }
  }
}
