package io.pgherd.steps;

import io.pgherd.api.BackupConfig;
import io.pgherd.backup.WalArchiver;
import io.pgherd.backup.WalLayout;
import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.Observed;
import io.pgherd.cluster.Progress;
import io.pgherd.model.Lsn;
import io.pgherd.model.Topology;
import io.pgherd.objectstore.ObjectStore;
import io.pgherd.objectstore.ObjectStores;
import io.pgherd.postgres.InstanceException;
import io.pgherd.postgres.InstanceProbe;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.runtime.MemberAccess;
import io.pgherd.store.Home;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * With spec.backup, WAL is archived continuously by a {@link WalArchiver} that follows the
 * primary through its slot; this step owns it: started, moved to a new primary, replaced when the
 * store or the primary's system identifier changes, closed when the backup section goes.
 */
public final class Archive extends ClusterPart {
  private boolean archiveWal;
  private WalArchiver archiver;
  private String archiverStore;

  public Archive(ClusterScope scope) {
    super(scope);
  }

  /**
   * With spec.backup, WAL is archived continuously ({@link WalArchiver}): the
   * receiver follows the primary (its published port), through the archiver's slot. Only in the
   * operator process; a store that cannot be opened is reported and tried again next pass.
   */
  public void archive(Optional<BackupConfig> backup, Topology topology, Observed obs,
      Progress progress) {
    if (!archiveWal) {
      return;
    }
    String wantedStore = backup.map(b -> b.store().toString()).orElse(null);
    if (archiver != null && !Objects.equals(wantedStore, archiverStore)) {
      archiver.close(); // no backup any more, or another store: the slot keeps the WAL meanwhile
      log.action("archive-stop", "WAL archiving to " + archiver + " stopped");
      archiver = null;
    }
    if (backup.isEmpty()) {
      return;
    }
    InstanceProbe primary = obs.probes().get(topology.primary());
    ContainerInfo pc = obs.members().get(topology.primary());
    boolean hasSlot = primary != null && primary.slots().stream()
        .anyMatch(sl -> sl.name().equals(WalArchiver.SLOT));
    if (primary == null || primary.inRecovery() || pc == null || !hasSlot
        || postgresAddress(pc).isEmpty()) {
      return; // next pass, once the primary (and its archiver slot) is there
    }
    try {
      String sysid = systemIdentifier(pc);
      if (archiver != null && !archiver.base().equals(WalLayout.base(cluster, sysid))) {
        // the primary is another PostgreSQL cluster than the one archived so far (re-initialised)
        archiver.close();
        log.action("archive-stop", "WAL archiving to " + archiver + " stopped: the primary's system"
            + " identifier is now " + sysid);
        archiver = null;
      }
      if (archiver == null) {
        ObjectStore store = ObjectStores.open(backup.get().store(),
            home.root(), System::getenv);
        try {
          // one spool per system identifier: WAL of an earlier incarnation never reaches this one's archive
          archiver = new WalArchiver(cluster,
              home.root().resolve("archive").resolve(cluster).resolve(sysid), store,
              WalLayout.base(cluster, sysid), home.secrets().secret(cluster, Home.REPLICATION_PASSWORD), log.clusterLog());
        } catch (IOException | RuntimeException e) {
          store.close();
          throw e;
        }
        archiverStore = wantedStore;
      }
      archiver.exited().ifPresent(why -> warnOnce("receiver", why));
      primary.slots().stream().filter(sl -> sl.name().equals(WalArchiver.SLOT)
          && sl.restartLsn() != null).findFirst().ifPresent(sl -> archiver.noteReceived(
              Lsn.parse(sl.restartLsn())));
      MemberAccess.Address at = postgresAddress(pc).orElseThrow();
      WalArchiver.Source src = new WalArchiver.Source(at.host(), at.port(),
          tls.rootCertificateIfEnforced().orElse(null));
      Map.Entry<Long, String> history = archiver.following(src) ? Map.entry(0L, "")
          : sql(pc).orElseThrow().timelineHistory();
      if (archiver.follow(src, history.getKey(), history.getValue())) {
        log.action("archive", "pg_receivewal streams WAL from " + member(topology.primary())
            + " through slot " + WalArchiver.SLOT + " to " + archiver);
      }
      String error = archiver.state().error();
      if (error != null) {
        progress.waitFor("WAL archive: " + error);
      }
    } catch (InstanceException | IOException e) {
      warnOnce("archive", "WAL archiving cannot start: " + e.getMessage());
      progress.waitFor("WAL archive: " + e.getMessage());
    }
  }

  /** Only the operator archives WAL: a receiver started by a short-lived CLI would die with it. */
  public void archiveWal(boolean on) {
    this.archiveWal = on;
  }

  /** The WAL archiver now running, if any (for the status). */
  public WalArchiver archiver() {
    return archiver;
  }

  /** The end of the WAL uploaded so far; -1 when nothing archives. */
  public long uploadedLsn() {
    return archiver == null ? -1 : archiver.uploadedLsn();
  }

  /** A restore in place closes the archive after a last upload: the old primary's WAL up to its shutdown is in it. */
  public void stopForRestore() {
    if (archiver != null) {
      archiver.close(); // after a last upload: the old primary's WAL up to its shutdown is in the archive
      log.action("archive-stop", "WAL archiving to " + archiver + " stopped for the restore");
      archiver = null;
    }
  }

  /** Stops the receiver (after a last upload). */
  public void close() {
    if (archiver != null) {
      archiver.close();
      archiver = null;
    }
  }
}
