package io.pgherd.restore;

import io.pgherd.api.Compression;
import io.pgherd.backup.BackupInfo;
import io.pgherd.backup.BaseBackup;
import io.pgherd.backup.RestorePlanner;
import io.pgherd.model.Lsn;
import io.pgherd.model.RecoveryTarget;
import io.pgherd.objectstore.ObjectStore;
import io.pgherd.postgres.MemberAgent;
import io.pgherd.runtime.ContainerRuntime;
import io.pgherd.store.ClusterLog;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A member restored from backups — the first member of a cluster bootstrapped from them
 * ({@code spec.bootstrap.recovery}), or the replacement primary of a restore in place — on a
 * thread of its own ({@link #check} only plans): plan ({@link RestorePlanner}), while the member's
 * container is created and started (its entrypoint waits for {@code READY}; a refused target
 * removes it and its volume again: nothing is left); then stage into it — the stored base backup
 * streamed from the store and unpacked as it arrives, the WAL into {@code DATA/restore/wal} and the
 * target into {@code DATA/restore/recovery.conf} beside it, then {@code STAGED}; once
 * that is there and the base backup unpacked, {@code pgherd-receive-backup} makes {@code READY} — its postmaster
 * recovers and promotes, and its entrypoint sets this cluster's passwords. A failure removes the
 * container.
 */
final class Restorer implements AutoCloseable {
  enum State { PLANNING, PLANNED, STAGING, STARTED, REFUSED, FAILED }

  private static final java.util.concurrent.ExecutorService COPY = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "pgherd-restore-copy");
    t.setDaemon(true);
    return t;
  });

  /**
   * What the reconciler lends the job: creating the member's container (not started), reaching its
   * agent once started, and removing it.
   */
  interface Member {
    String create() throws IOException;

    /** The started member's agent in its restore mode, once it answers (an IOException when it does not). */
    MemberAgent agent(String container) throws IOException;

    /** The container and its volume go (a refused plan leaves nothing behind). */
    void discard(String container);
  }

  private final ExecutorService thread;
  volatile State state;
  volatile String message;
  volatile RestorePlanner.Plan plan;
  /** The spec (hash) the job ran for: a refused target is tried again only once the spec changes. */
  volatile String forSpec;
  volatile String from;
  private volatile boolean closed;
  volatile RecoveryTarget target;

  Restorer(String cluster) {
    thread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "pgherd-restore-" + cluster);
      t.setDaemon(true);
      return t;
    });
  }

  boolean busy() {
    return state == State.PLANNING || state == State.STAGING;
  }

  /**
   * Only the plan (a restore in place is planned while the cluster still serves): PLANNED, or
   * REFUSED with the recoverable range. The downloaded WAL is removed again.
   */
  void check(String key, java.util.concurrent.Callable<ObjectStore> store, String from, RecoveryTarget target,
      Path work, ClusterLog log) {
    begin(key, from, target);
    thread.execute(() -> {
      try (ObjectStore st = store.call()) {
        RestorePlanner.Plan p = RestorePlanner.plan(st, from, target, work, m -> message = m);
        plan = p;
        deleteTree(p.walDir());
        log.action("restore", "restore-plan", p.describe() + "; " + p.range());
        message = "planned: " + p.describe();
        state = State.PLANNED;
      } catch (RestorePlanner.Refused e) {
        message = e.getMessage();
        state = State.REFUSED;
        log.warn("restore", "restore-refused", e.getMessage() + "; nothing was changed");
      } catch (Exception e) {
        message = e.getMessage() == null ? e.toString() : e.getMessage();
        state = State.FAILED;
        failed(log);
      }
    });
  }

  private void begin(String key, String from, RecoveryTarget target) {
    forSpec = key;
    this.from = from;
    this.target = target;
    plan = null;
    state = State.PLANNING;
    message = "planning the restore from " + from + " to " + target.describe();
  }

  void start(String spec, java.util.concurrent.Callable<ObjectStore> store, String from, RecoveryTarget target,
      Path work, ContainerRuntime docker, Member member, ClusterLog log) {
    start(spec, store, from, target, work, docker, member, log, -1);
  }

  /**
   * As above; with {@code minimumEnd} ≥ 0 (a restore in place to the end of the archive) the plan
   * is refused unless the archive's WAL reaches that LSN (the stopped primary's last checkpoint).
   */
  void start(String spec, java.util.concurrent.Callable<ObjectStore> store, String from, RecoveryTarget target,
      Path work, ContainerRuntime docker, Member member, ClusterLog log,
      long minimumEnd) {
    begin(spec, from, target);
    thread.execute(() -> {
      // The member is created and started (its entrypoint waits for READY) while the plan is made:
      // a refused plan removes it again, volume and all
      java.util.concurrent.Future<String> early = COPY.submit(() -> {
        String id = member.create();
        try {
          docker.start(id); // its entrypoint waits for READY
        } catch (RuntimeException e) {
          member.discard(id);
          throw e;
        }
        return id;
      });
      String container = null;
      try (ObjectStore st = store.call()) {
        RestorePlanner.Plan p = RestorePlanner.plan(st, from, target, work, m -> message = m);
        plan = p;
        log.action("restore", "restore-plan", p.describe() + "; " + p.range());
        if (minimumEnd >= 0 && p.walEnd() < minimumEnd) {
          throw new RestorePlanner.Refused("the archive's WAL ends at " + Lsn.format(p.walEnd())
              + " but the primary wrote up to " + Lsn.format(minimumEnd) + " (its last checkpoint):"
              + " restoring to the end of the archive now would lose its last commits; the WAL archive catches up"
              + " once the operator runs (`pgherd operator`), then try again");
        }
        state = State.STAGING;
        message = "creating the member it restores into";
        container = created(early);
        message = "waiting for the agent of the member it restores into";
        stage(st, p, member.agent(container), log);
        state = State.STARTED;
        message = "recovering " + p.describe();
        log.action("restore", "restore-start", "member started: it recovers " + p.describe()
            + ", promotes on a new timeline and takes this cluster's passwords");
        try {
          deleteTree(p.walDir());
        } catch (IOException e) {
          log.warn("restore", "restore-cleanup", "the downloaded WAL stays in " + p.walDir() + ": " + e.getMessage());
        }
      } catch (RestorePlanner.Refused e) {
        discard(early, member, log);
        state = State.REFUSED;
        message = e.getMessage();
        log.warn("restore", "restore-refused", e.getMessage() + "; nothing was created");
      } catch (Exception e) {
        if (!closed) { // half staged and waiting: gone, a new attempt starts from scratch
          discard(early, member, log);
        }
        state = State.FAILED;
        message = e.getMessage() == null ? e.toString() : e.getMessage();
        failed(log);
      }
    });
  }

  private static String created(java.util.concurrent.Future<String> early) throws IOException, InterruptedException {
    try {
      return early.get();
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException("creating the member to restore into failed: " + cause, cause);
    }
  }

  /** The early-created member goes again (once its creation has ended, whichever way). */
  private static void discard(java.util.concurrent.Future<String> early, Member member, ClusterLog log) {
    String id;
    try {
      id = early.get();
    } catch (java.util.concurrent.ExecutionException e) {
      return; // never created, or removed again when it could not be started
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    try {
      member.discard(id);
    } catch (RuntimeException r) {
      log.warn("restore", "restore-cleanup", "removing the member created for the restore failed: " + r.getMessage());
    }
  }

  /**
   * Stages into the started member through its agent (its entrypoint waits for {@code READY}): the
   * stored base backup is streamed from the store to the agent, which pipes it into
   * {@code pgherd-receive-backup} (unpacked as it arrives: download and unpacking overlap), while
   * the WAL and the target are sent beside it in one tar, {@code STAGED} last;
   * {@code pgherd-receive-backup} makes {@code READY} when both are complete.
   */
  private void stage(ObjectStore st, RestorePlanner.Plan p, MemberAgent agent, ClusterLog log) throws IOException {
    java.util.concurrent.CompletableFuture<Void> wal = java.util.concurrent.CompletableFuture.runAsync(() -> {
      try {
        Path walTar = p.walDir().resolveSibling("wal.tar");
        try (OutputStream out = Files.newOutputStream(walTar);
            TarArchiveOutputStream t = new TarArchiveOutputStream(out)) {
          for (String f : p.walFiles()) {
            Path file = p.walDir().resolve(f);
            TarArchiveEntry e = new TarArchiveEntry("wal/" + f);
            e.setSize(Files.size(file));
            e.setMode(0100600);
            t.putArchiveEntry(e);
            Files.copy(file, t);
            t.closeArchiveEntry();
          }
          putFile(t, "recovery.conf", p.recoveryConf()); // the target, in the same tar
          // last: once it is there and the base backup unpacked, pgherd-receive-backup makes READY
          putFile(t, "STAGED", p.describe() + "\n");
        }
        try (InputStream in = Files.newInputStream(walTar)) {
          agent.receiveRestoreFiles(in, Files.size(walTar));
        } catch (io.pgherd.postgres.AgentException e) {
          throw new IOException(e.getMessage(), e);
        } finally {
          Files.deleteIfExists(walTar);
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }, COPY);
    IOException streamFailure = null;
    try {
      streamBaseBackup(st, p, agent, log);
    } catch (IOException e) {
      streamFailure = e;
    }
    try {
      wal.join();
    } catch (java.util.concurrent.CompletionException e) {
      Throwable cause = e.getCause() instanceof java.io.UncheckedIOException u ? u.getCause() : e.getCause();
      if (streamFailure == null) { // else the stream's failure is the one to report
        throw new IOException("restore: copying " + p.walFiles().size() + " WAL files (" + (p.walBytes() >> 20)
            + " MB) into the member failed: " + cause.getMessage(), cause);
      }
    }
    if (streamFailure != null) {
      throw streamFailure;
    }
  }

  /** The stored base backup, streamed to the started member's agent (into its {@code pgherd-receive-backup}). */
  private void streamBaseBackup(ObjectStore st, RestorePlanner.Plan p, MemberAgent agent, ClusterLog log)
      throws IOException {
    BackupInfo b = p.backup();
    Compression c = b.compression() == null ? Compression.GZIP : Compression.parse(b.compression());
    String key = BaseBackup.prefix(p.base(), b.id()) + c.tarName();
    long size = st.list(key).stream().filter(o -> o.key().equals(key)).findFirst()
        .orElseThrow(() -> new IOException(key + " is missing")).size();
    String what = "base backup " + b.id() + " (" + (size >> 20) + " MB " + c.label() + ")";
    long started = System.nanoTime();
    java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
    message = "streaming " + what + " into the member, unpacked as it arrives";
    try (InputStream in = st.get(key).orElseThrow(() -> new IOException(key + " is missing"));
        InputStream counted = new java.io.FilterInputStream(in) {
          @Override
          public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
          }

          @Override
          public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            if (n > 0) {
              long total = sent.addAndGet(n);
              double secs = Math.max(1e-3, (System.nanoTime() - started) / 1e9);
              message = "streaming " + what + " into the member: "
                  + BaseBackup.progressText(total, size, total / secs);
            }
            return n;
          }
        }) {
      agent.receiveBaseBackup(counted, size, c == Compression.ZSTD ? "zst" : c == Compression.GZIP ? "gz" : "tar");
    } catch (IOException | io.pgherd.postgres.AgentException e) {
      throw new IOException("restore: unpacking " + what + " in the member failed: " + e.getMessage(), e);
    }
    if (sent.get() != size) {
      throw new IOException("restore: unpacking " + what + " in the member failed: " + sent.get() + " of " + size
          + " bytes were sent");
    }
    double secs = Math.max(1e-3, (System.nanoTime() - started) / 1e9);
    log.action("restore", "restore-staged", what + " streamed into the member and unpacked there in "
        + String.format(java.util.Locale.ROOT, "%.1f s (%.0f MB/s of the stored file)", secs, size / secs / (1 << 20)));
  }

  private static final java.util.regex.Pattern ENTRYPOINT_FATAL =
      java.util.regex.Pattern.compile("pgherd-entrypoint: FATAL: (restore.*)");
  /** PostgreSQL's own (log_line_prefix, then two spaces after the level). */
  private static final java.util.regex.Pattern POSTGRES_FATAL =
      java.util.regex.Pattern.compile("\\b(?:FATAL|PANIC):  (.*)");
  /** What clients trying to connect meanwhile cause: not why the recovery ended. */
  private static final java.util.regex.Pattern CONNECTION_NOISE = java.util.regex.Pattern.compile(
      "no pg_hba\\.conf entry|the database system is (starting up|shutting down|not yet accepting)"
          + "|password authentication failed|pg_hba\\.conf rejects|role \".*\" does not exist");

  /**
   * Why a restored member's container stopped, from its log: the entrypoint's last
   * {@code FATAL: restore...} line, with PostgreSQL's own FATAL/PANIC line before it when the
   * postmaster stopped during recovery (e.g. "recovery ended before configured recovery target was
   * reached"); null when the log holds no such line (it stopped for another reason).
   */
  static String failure(String logs) {
    String why = null;
    int at = -1;
    java.util.regex.Matcher m = ENTRYPOINT_FATAL.matcher(logs);
    while (m.find()) {
      why = m.group(1).strip();
      at = m.start();
    }
    if (why == null || !why.contains("PostgreSQL stopped during recovery")) {
      return why;
    }
    String postgres = null;
    for (String line : logs.substring(0, at).split("\n")) {
      java.util.regex.Matcher f = POSTGRES_FATAL.matcher(line);
      if (f.find() && !CONNECTION_NOISE.matcher(f.group(1)).find()) {
        postgres = f.group(1).strip();
      }
    }
    int cut = why.indexOf("; its FATAL line");
    String head = cut < 0 ? why : why.substring(0, cut);
    return postgres == null ? head + " (PostgreSQL logged no reason)" : head + ": " + postgres;
  }

  private static void putFile(TarArchiveOutputStream t, String name, String content) throws IOException {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry e = new TarArchiveEntry(name);
    e.setSize(bytes.length);
    e.setMode(0100600);
    t.putArchiveEntry(e);
    t.write(bytes);
    t.closeArchiveEntry();
  }


  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.shutdownNow();
  }

  /** A job stopped by {@link #close} (the operator stopping) did not fail: the next operator starts it again. */
  private void failed(ClusterLog log) {
    if (closed) {
      log.action("restore", "restore-interrupted", "the operator stopped during the restore (" + message
          + "); the next one starts this step again");
    } else {
      log.warn("restore", "restore-failed", message);
    }
  }
}
