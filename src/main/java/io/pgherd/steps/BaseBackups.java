package io.pgherd.steps;

import io.pgherd.api.BackupConfig;
import io.pgherd.api.ClusterConfig;
import io.pgherd.backup.BackupRunner;
import io.pgherd.backup.BackupScheduler;
import io.pgherd.backup.BaseBackup;
import io.pgherd.backup.WalLayout;
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
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.store.ControlRequest;
import io.pgherd.store.Home;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Objects;
import java.util.Optional;

/**
 * Base backups: the schedule (Quartz, in the operator) and {@code pgherd backup} requests turned
 * into backups taken by the cluster's {@link BackupRunner}, from the healthiest streaming replica,
 * else the primary. Owns the runner, the schedule's trigger and the slot due.
 */
public final class BaseBackups extends ClusterPart {
  private final Archive archive;
  private BackupScheduler scheduler;
  private Runnable wakeMe = () -> { };
  private BackupRunner backups;
  private String backupsStore;
  private volatile Instant backupDue;
  private static final DateTimeFormatter BACKUP_ID =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  public BaseBackups(ClusterScope scope, Archive archive) {
    super(scope);
    this.archive = archive;
  }

  /**
   * Base backups: the schedule (Quartz, in the operator) and {@code pgherd backup} requests are
   * turned into backups taken by the cluster's {@link BackupRunner}, from the
   * healthiest streaming replica (offloading the primary), else the primary. One at a time: a
   * request while one runs is refused, a scheduled slot skipped.
   */
  public void baseBackups(Optional<BackupConfig> backup, ClusterConfig cfg, Topology topology,
      Observed obs, Progress progress) {
    if (scheduler != null) {
      try {
        scheduler.ensure(cluster, backup.map(BackupConfig::schedule).orElse(null));
      } catch (IllegalStateException e) {
        warnOnce("schedule", e.getMessage());
      }
    }
    String wantedStore = backup.map(b -> b.store().toString()).orElse(null);
    if (backups != null && backups.running().isEmpty() && !Objects.equals(wantedStore, backupsStore)) {
      backups.close(); // no backup section any more, or another store
      backups = null;
    }
    if (backup.isEmpty()) {
      home.requests().takeBackupRequest(cluster).ifPresent(r -> home.requests().answer(cluster, new ControlRequest.Result(r.id(), false,
          cluster + " has no spec.backup section: without a WAL archive a base backup cannot be restored; add one",
          now())));
      backupDue = null;
      return;
    }
    InstanceProbe primary = obs.probes().get(topology.primary());
    ContainerInfo pc = obs.members().get(topology.primary());
    if (primary == null || primary.inRecovery() || pc == null) {
      return; // requests wait for a primary
    }
    try {
      String base = WalLayout.base(cluster, systemIdentifier(pc));
      if (backups == null) {
        backups = new BackupRunner(cluster, home.root().resolve("backup").resolve(cluster), home.root(),
            home.secrets().secret(cluster, Home.REPLICATION_PASSWORD), log.clusterLog(), System::getenv,
            archive::uploadedLsn, wakeMe);
        backupsStore = wantedStore;
        backups.refresh(backup.get(), base);
      }
      Optional<ControlRequest> request = home.requests().takeBackupRequest(cluster);
      Instant due = backupDue;
      backupDue = null;
      if (request.isEmpty() && due == null) {
        return;
      }
      Optional<BaseBackup.Source> source = backupSource(cfg, topology, obs);
      Runnable prepare = source.isEmpty() || source.get().member().equals(member(topology.primary())) ? () -> { }
          : replicaBackupPrepare(pc, obs.members().get(Names.ordinal(cluster, source.get().member())));
      if (request.isPresent()) {
        String id = BACKUP_ID.format(Instant.now());
        Optional<String> refused = source.isEmpty() ? Optional.of("no member can be backed up now")
            : backups.start(new BackupRunner.Request(id, "manual", source.get(), base, backup.get(),
                prepare));
        home.requests().answer(cluster, new ControlRequest.Result(request.get().id(), refused.isEmpty(),
            refused.orElse("backup " + id + " started from " + source.map(s -> s.member()).orElse("?")), now()));
        progress.changed |= refused.isEmpty();
      }
      if (due != null) {
        String id = BACKUP_ID.format(due);
        Optional<String> refused = source.isEmpty() ? Optional.of("no member can be backed up now")
            : backups.start(new BackupRunner.Request(id, "schedule", source.get(), base, backup.get(),
                prepare));
        if (refused.isPresent()) {
          log.warn("backup-skip", "scheduled backup " + id + " skipped: " + refused.get());
        }
        progress.changed |= refused.isEmpty();
      }
    } catch (InstanceException | IOException e) {
      warnOnce("backup", "base backups cannot run: " + e.getMessage());
    }
  }

  /**
   * Before a backup from a replica: a checkpoint on the primary, replayed by the replica (up to
   * 10 s), so the replica's restartpoint, where the backup starts, is recent — less WAL to keep
   * and to replay on restore. Without it the backup is still good, from an older restartpoint.
   */
  private Runnable replicaBackupPrepare(ContainerInfo primary, ContainerInfo replica) {
    Optional<Instance> p = sql(primary);
    Optional<Instance> r = replica == null ? Optional.empty() : sql(replica);
    return () -> {
      try {
        long checkpoint = Lsn.parse(p.orElseThrow().checkpointLsn());
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (Lsn.parse(r.orElseThrow().replayedLsn()) <= checkpoint
            && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
      } catch (InstanceException | RuntimeException e) {
        log.clusterLog().warn("backup", "backup-checkpoint", "no fresh checkpoint before the backup (it starts from the replica's"
            + " last restartpoint): " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
  }

  /** The streaming replica least behind (on the primary's timeline, within maxReplicaLag), else the primary. */
  private Optional<BaseBackup.Source> backupSource(ClusterConfig cfg, Topology topology,
      Observed obs) {
    InstanceProbe primary = obs.probes().get(topology.primary());
    Integer best = null;
    long bestLag = Long.MAX_VALUE;
    for (int r : topology.replicas()) {
      InstanceProbe p = obs.probes().get(r);
      ContainerInfo c = obs.members().get(r);
      Long lag = lagBytes(topology, obs, r);
      if (p == null || c == null || postgresAddress(c).isEmpty() || lag == null
          || !"streaming".equals(p.receiverStatus()) || p.timeline() != primary.timeline()
          || topology.rejoining().contains(r) || lag > cfg.maxReplicaLagBytes()) {
        continue;
      }
      if (lag < bestLag) {
        best = r;
        bestLag = lag;
      }
    }
    int chosen = best != null ? best : topology.primary();
    ContainerInfo c = obs.members().get(chosen);
    return postgresAddress(c).map(a -> new BaseBackup.Source(member(chosen), a.host(), a.port(),
        tls.rootCertificateIfEnforced().orElse(null)));
  }

  /**
   * The operator's backup scheduler: the pass keeps this cluster's trigger in line with
   * spec.backup.schedule; wake is called when a backup ends (the status is written again).
   */
  public void scheduleBackups(BackupScheduler scheduler, Runnable wake) {
    this.scheduler = scheduler;
    this.wakeMe = wake;
  }

  /** The scheduler says a backup is due for this scheduled time: the next pass takes it. */
  public void backupDue(Instant scheduled) {
    backupDue = scheduled;
  }

  /** The cluster's backup runner, once there is one (null before). */
  public BackupRunner runner() {
    return backups;
  }

  /** The operator's scheduler; null in a CLI's own pass. */
  public BackupScheduler scheduler() {
    return scheduler;
  }

  /** The scheduler forgets the cluster (it is deleted). */
  public void unschedule() {
    if (scheduler != null) {
      scheduler.ensure(cluster, null);
    }
  }

  /** A backup running is stopped and marked failed. */
  public void close() {
    if (backups != null) {
      backups.close();
      backups = null;
    }
  }
}
