package io.pgherd.backup;

import io.pgherd.api.BackupConfig;
import io.pgherd.model.Lsn;
import io.pgherd.objectstore.ObjectStore;
import io.pgherd.objectstore.ObjectStoreException;
import io.pgherd.objectstore.ObjectStores;
import io.pgherd.store.ClusterLog;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Takes the base backups of one cluster, one at a time, on its own thread: the reconcile pass
 * chooses the source and asks ({@link #start}); a backup already running refuses the second
 * request. After each backup: the WAL it needs is checked to be archived (so "complete" means
 * restorable), then retention ({@link Retention}) runs. Progress and outcomes are kept for
 * {@code status} and written to the cluster's log.
 */
public final class BackupRunner implements AutoCloseable {
  /** How long a finished backup waits for the archive to reach its stop LSN before it is failed. */
  static final Duration ARCHIVE_PATIENCE = Duration.ofSeconds(60);
  private static final Duration LOG_EVERY = Duration.ofSeconds(10);

  /**
   * A backup to take.
   *
   * @param trigger "schedule" or "manual"
   * @param base CLUSTER/SYSID/
   * @param prepare runs first, on the backup's thread (from a replica: a checkpoint on the primary,
   *     replayed by the replica, so the backup starts from a recent restartpoint)
   */
  public record Request(String id, String trigger, BaseBackup.Source source, String base, BackupConfig config,
      Runnable prepare) {}

  /** How the last backup ended. */
  public record Outcome(String id, boolean ok, String message, Instant at, String trigger) {}

  /** What the store holds (refreshed after each backup): for status. */
  public record Summary(int complete, BackupInfo newest, BackupInfo oldest, Instant listedAt) {}

  private final String cluster;
  private final Path dir;
  private final Path home;
  private final ClusterLog log;
  private final Runnable onChange;
  private final Function<String, String> env;
  private final LongSupplier archivedLsn;
  private final ExecutorService thread;
  private volatile Request running;
  private volatile BaseBackup.Progress progress;
  private volatile BaseBackup.Abort abort;
  private volatile Outcome last;
  private volatile Summary summary;
  private volatile String summaryError;

  /**
   * @param dir the runner's directory (the password file), created 0700
   * @param archivedLsn the WAL position the archive has stored up to (-1: no archiver here)
   * @param onChange called when a backup ends (the reconciler writes the status again)
   */
  public BackupRunner(String cluster, Path dir, Path home, String replicationPassword, ClusterLog log,
      Function<String, String> env, LongSupplier archivedLsn, Runnable onChange) throws IOException {
    this.cluster = cluster;
    this.dir = dir;
    this.home = home;
    this.log = log;
    this.env = env;
    this.archivedLsn = archivedLsn;
    this.onChange = onChange;
    PgPass.write(dir, pgpass(), replicationPassword);
    this.thread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "pgherd-backup-" + cluster);
      t.setDaemon(true);
      return t;
    });
  }

  private Path pgpass() {
    return dir.resolve("pgpass");
  }

  /** Starts the backup; empty when it started, else why not (one is already running). */
  public synchronized Optional<String> start(Request r) {
    Request busy = running;
    if (busy != null) {
      BaseBackup.Progress p = progress;
      return Optional.of("backup " + busy.id() + " (" + busy.trigger() + ") is still running"
          + (p == null ? "" : ": " + p.describe()));
    }
    running = r;
    progress = null;
    abort = new BaseBackup.Abort();
    BaseBackup.Abort myAbort = abort;
    thread.execute(() -> {
      try {
        take(r, myAbort);
      } finally {
        running = null;
        progress = null;
        onChange.run();
      }
    });
    return Optional.empty();
  }

  /** Lists the store in the background (at start, so status shows the backups there already). */
  public void refresh(BackupConfig config, String base) {
    thread.execute(() -> {
      try (ObjectStore store = ObjectStores.open(config.store(), home, env)) {
        summarize(store, base);
      } catch (IOException | RuntimeException e) {
        summaryError = e.getMessage();
      }
      onChange.run();
    });
  }

  private void take(Request r, BaseBackup.Abort myAbort) {
    String what = "backup " + r.id() + " (" + r.trigger() + ") from " + r.source().member();
    try (ObjectStore store = ObjectStores.open(r.config().store(), home, env)) {
      Optional<BackupInfo> existing = BackupCatalog.find(store, r.base(), r.id());
      if (existing.isPresent() && existing.get().complete()) {
        last = new Outcome(r.id(), true, "backup " + r.id() + " is already complete; not taken again", Instant.now(),
            r.trigger());
        log.action("backup", "backup-skip", last.message());
        return;
      }
      for (BackupInfo b : BackupCatalog.list(store, cluster)) {
        if (BackupInfo.RUNNING.equals(b.state()) && !b.id().equals(r.id())) {
          BaseBackup.markInterrupted(store, cluster + "/" + b.systemIdentifier() + "/", b.id(),
              "interrupted (the operator stopped, or the store failed, while it ran); not restorable");
          log.warn("backup", "backup-interrupted", "backup " + b.id() + " had been left running: marked failed");
        }
      }
      log.action("backup", "backup-start", what + " to " + store.describe() + ", under " + r.base() + ", "
          + r.config().compression().label());
      r.prepare().run();
      Instant[] nextLog = {Instant.now().plus(LOG_EVERY)};
      BaseBackup.Result result = BaseBackup.run(store, r.base(), r.id(), r.source(), pgpass(), r.config().compression(),
          p -> {
            progress = p;
            if (Instant.now().isAfter(nextLog[0])) {
              nextLog[0] = Instant.now().plus(LOG_EVERY);
              log.action("backup", "backup-progress", "backup " + r.id() + ": " + p.describe());
            }
          }, myAbort, stored -> awaitArchive(store, r, stored));
      double seconds = Math.max(0.001, Duration.between(result.started(), result.finished()).toMillis() / 1000.0);
      last = new Outcome(r.id(), true, String.format(java.util.Locale.ROOT,
          "%s complete: %d MB in %.1f s (%.1f MB/s), stored %d MB %s, WAL %s..%s on timeline %d", what,
          result.tarBytes() >> 20, seconds, result.tarBytes() / 1048576.0 / seconds, result.storedBytes() >> 20,
          r.config().compression().label(), result.startLsn(), result.stopLsn(), result.timeline()), Instant.now(),
          r.trigger());
      log.action("backup", "backup-complete", last.message());
      retention(store, r);
      summarize(store, r.base());
    } catch (IOException | RuntimeException e) {
      fail(r, what + " failed: " + e.getMessage());
    }
  }

  private void fail(Request r, String message) {
    last = new Outcome(r.id(), false, message, Instant.now(), r.trigger());
    log.warn("backup", "backup-failed", message);
  }

  /**
   * A backup is restorable once the archive holds its WAL: the segment of its start LSN (the
   * archive may have begun later) and everything up to its stop LSN.
   */
  private Optional<String> awaitArchive(ObjectStore store, Request r, BaseBackup.Result result)
      throws IOException {
    long stop = Lsn.parse(result.stopLsn());
    Instant deadline = Instant.now().plus(ARCHIVE_PATIENCE);
    boolean start = false;
    long archived = -1;
    while (true) {
      if (!start) {
        List<String> keys = store.list(r.base() + "wal/").stream().map(ObjectStore.StoredObject::key).toList();
        start = Retention.startArchived(r.base(), keys, result.startLsn(), result.timeline(),
            WalArchiver.SEGMENT_SIZE);
      }
      archived = archivedLsn.getAsLong();
      if (start && archived >= stop) {
        return Optional.empty();
      }
      if (Instant.now().isAfter(deadline)) {
        break;
      }
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for the WAL archive", e);
      }
    }
    if (!start) {
      return Optional.of("the WAL archive does not reach back to its start " + result.startLsn()
          + " (archiving began later); take another backup");
    }
    return Optional.of("the WAL archive did not reach its stop LSN " + result.stopLsn() + " within "
        + ARCHIVE_PATIENCE.toSeconds() + " s (archived up to " + (archived < 0 ? "nothing" : Lsn.format(archived))
        + "); see the WAL archive's state in status");
  }

  private void retention(ObjectStore store, Request r) throws IOException {
    List<BackupInfo> backups = BackupCatalog.list(store, cluster).stream()
        .filter(b -> r.base().equals(cluster + "/" + b.systemIdentifier() + "/")).toList();
    List<String> keys = store.list(r.base()).stream().map(ObjectStore.StoredObject::key).toList();
    List<String> walKeys = keys.stream().filter(k -> k.startsWith(r.base() + "wal/")).toList();
    Retention.Plan plan = Retention.plan(r.base(), backups, keys, r.config().fullBackups(), null,
        WalArchiver.SEGMENT_SIZE, RestorePlanner.newestPath(store, r.base(), walKeys));
    if (plan.isEmpty()) {
      return;
    }
    // a backup's record goes first: from then on it is not listed, whatever else is left
    for (String id : plan.backups()) {
      store.delete(BaseBackup.prefix(r.base(), id) + "pgherd.json");
    }
    for (String key : plan.keys()) {
      store.delete(key);
    }
    log.action("backup", "retention", "kept the newest " + r.config().fullBackups() + " complete backups on the newest"
        + " timeline's history (oldest kept: "
        + plan.oldestKept() + "); deleted " + (plan.backups().isEmpty() ? "no backup" : "backups " + plan.backups())
        + " and " + plan.walObjects() + " WAL segments older than what the oldest kept one needs");
  }

  private void summarize(ObjectStore store, String base) throws ObjectStoreException {
    List<BackupInfo> complete = BackupCatalog.list(store, cluster).stream().filter(BackupInfo::complete)
        .filter(b -> base.equals(cluster + "/" + b.systemIdentifier() + "/")).toList();
    summary = new Summary(complete.size(), complete.isEmpty() ? null : complete.get(complete.size() - 1),
        complete.isEmpty() ? null : complete.get(0), Instant.now());
    summaryError = null;
  }

  public Optional<Request> running() {
    return Optional.ofNullable(running);
  }

  public Optional<BaseBackup.Progress> progress() {
    return Optional.ofNullable(progress);
  }

  public Optional<Outcome> last() {
    return Optional.ofNullable(last);
  }

  public Optional<Summary> summary() {
    return Optional.ofNullable(summary);
  }

  public Optional<String> summaryError() {
    return Optional.ofNullable(summaryError);
  }

  /** Stops a running backup (it is marked failed) and the thread. */
  @Override
  public void close() {
    BaseBackup.Abort a = abort;
    if (running != null && a != null) {
      a.abort("the operator stopped while the backup ran");
    }
    thread.shutdown();
    try {
      if (!thread.awaitTermination(30, TimeUnit.SECONDS)) {
        thread.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
