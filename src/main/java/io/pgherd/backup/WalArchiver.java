package io.pgherd.backup;

import io.pgherd.objectstore.ObjectStore;
import io.pgherd.objectstore.ObjectStoreException;
import io.pgherd.store.ClusterLog;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

/**
 * Continuous WAL archiving for one cluster: PostgreSQL's own pg_receivewal streams from the
 * primary through a dedicated physical slot ({@link #SLOT}) into a local spool directory, and an
 * uploader stores what it writes ({@link WalSpool#plan}): complete segments, history files, and
 * the segment still being written, kept current in the store every {@link #UPLOAD_INTERVAL_MS}
 * ms. pg_receivewal was chosen over a receiver of our own because it already follows timeline
 * switches (fetching the history files) and resumes from the newest file in its directory; the
 * slot keeps the server's WAL while nothing receives it (operator down), and the spool keeps it
 * while the store is unreachable, so the archive has no gap either way.
 *
 * <p>The receiver runs as a child process of the operator (its PID is recorded, and a leftover
 * from a previous operator is stopped before a new one starts). The password reaches it through
 * a libpq password file (0600), never its command line or environment.
 */
public final class WalArchiver implements AutoCloseable {
  public static final String SLOT = "pgherd_archiver";
  public static final long UPLOAD_INTERVAL_MS = 1000;
  /** WAL segment size: PostgreSQL's default, which pgherd's members use. */
  public static final long SEGMENT_SIZE = 16L * 1024 * 1024;

  /** Where the receiver streams from. */
  /**
   * Where pg_receivewal connects.
   *
   * @param rootCertificate the cluster's CA when TLS is enforced (verify-full), or null; a change
   *     restarts the receiver like a change of primary
   */
  public record Source(String host, int port, java.nio.file.Path rootCertificate) {
    public Source(String host, int port) {
      this(host, port, null);
    }
  }

  /** What the archive has: the last complete segment stored, the partial one, the last failure. */
  public record State(String lastSegment, String partialSegment, long partialBytes, Instant lastUpload,
      String error, boolean receiving) {}

  private final String cluster;
  private final Path spool;
  private final Path pgpass;
  private final Path pidFile;
  private final Path receiverLog;
  private final ObjectStore store;
  private final String base;
  private final ClusterLog log;
  private final Set<String> storedHistory = new HashSet<>();
  private final Set<String> storedSegments = new HashSet<>();
  private final Map<String, String> partialsStored = new HashMap<>();
  /** Partial segment name → what the receiver had flushed (as noted) when its stored version was read. */
  private final Map<String, Long> partialsReadAt = new HashMap<>();
  private Process receiver;
  private Source source;
  private Thread uploader;
  private volatile boolean closed;
  private volatile String lastSegment;
  private volatile String partialSegment;
  private volatile long partialBytes;
  private volatile Instant lastUpload;
  private volatile String error;
  private String lastLoggedError;
  private volatile long received = -1;
  private volatile long uploaded = -1;

  /**
   * @param dir the archiver's directory (spool, password file, receiver log), created 0700
   * @param base the cluster's key prefix in the store, {@link WalLayout#base}
   */
  public WalArchiver(String cluster, Path dir, ObjectStore store, String base, String replicationPassword,
      ClusterLog log) throws IOException {
    this.cluster = cluster;
    this.spool = dir.resolve("spool");
    this.pgpass = dir.resolve("pgpass");
    this.pidFile = dir.resolve("receiver.pid");
    this.receiverLog = dir.resolve("receiver.log");
    this.store = store;
    this.base = base;
    this.log = log;
    PgPass.write(dir, pgpass, replicationPassword);
    if (!Files.isDirectory(spool)) {
      Files.createDirectories(spool, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    uploader = new Thread(this::uploadLoop, "pgherd-wal-" + cluster);
    uploader.setDaemon(true);
    uploader.start();
  }

  /**
   * Makes sure a receiver streams from this source: one that streams elsewhere, or has exited,
   * is replaced. Returns true if a receiver was started now.
   */
  public synchronized boolean follow(Source wanted, long serverTimeline, String history) throws IOException {
    if (closed) {
      return false;
    }
    if (receiver != null && receiver.isAlive() && wanted.equals(source)) {
      return false;
    }
    stopReceiver();
    stopLeftover();
    List<String> names;
    try (var list = Files.list(spool)) {
      names = list.map(p -> p.getFileName().toString()).toList();
    }
    for (String n : padShortPartials(spool)) {
      log.warn("wal", "archive-repair", n + " was shorter than a segment (a receiver stopped while creating it):"
          + " padded with zeros, as pg_receivewal does");
    }
    Optional<String> seed = WalSpool.seedAfterSwitch(names, serverTimeline, history, SEGMENT_SIZE);
    if (seed.isPresent() && !Files.exists(spool.resolve(seed.get()))) {
      try (var ch = java.nio.channels.FileChannel.open(spool.resolve(seed.get()),
          java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
        ch.write(java.nio.ByteBuffer.allocate(1), SEGMENT_SIZE - 1); // zero-filled, full size, as it expects
      }
      log.action("wal", "archive-seed", seed.get() + ": the archive's last segment ends where timeline "
          + seed.get().substring(0, 8) + " begins; pg_receivewal starts on it");
    }
    List<String> cmd = List.of("pg_receivewal", "--directory=" + spool, "--host=" + wanted.host(),
        "--port=" + wanted.port(), "--username=replicator", "--slot=" + SLOT, "--no-password", "--no-loop",
        "--status-interval=1", "--synchronous", "--verbose");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(receiverLog.toFile()));
    ChildEnvironment.restrict(pb.environment());
    pb.environment().put("PGPASSFILE", pgpass.toString());
    ChildEnvironment.tls(pb.environment(), wanted.rootCertificate());
    pb.environment().put("PGAPPNAME", SLOT);
    pb.environment().put("PGCONNECT_TIMEOUT", "5");
    receiver = pb.start();
    source = wanted;
    Files.writeString(pidFile, Long.toString(receiver.pid()));
    return true;
  }

  /**
   * A receiver stopped while it was creating a segment file (pg_receivewal pads it with zeros
   * before writing into it) leaves a short .partial that holds no WAL yet; pg_receivewal 15
   * refuses to start on it ("should be 0 or 16777216"). Such files are padded as it would have;
   * returns their names.
   */
  static List<String> padShortPartials(Path spool) throws IOException {
    List<String> padded = new ArrayList<>();
    try (var list = Files.list(spool)) {
      for (Path f : list.sorted().toList()) {
        String n = f.getFileName().toString();
        long size = Files.size(f);
        if (n.endsWith(".partial") && size > 0 && size < SEGMENT_SIZE) {
          try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.allocate(1), SEGMENT_SIZE - 1);
          }
          padded.add(n);
        }
      }
    }
    return padded;
  }

  /** True while a receiver streams from this source (nothing to do). */
  public synchronized boolean following(Source wanted) {
    return receiver != null && receiver.isAlive() && wanted.equals(source);
  }

  /** The receiver's exit code and its last lines, when it has exited (for the reconciler's log). */
  public synchronized Optional<String> exited() {
    if (receiver == null || receiver.isAlive()) {
      return Optional.empty();
    }
    String tail;
    try {
      List<String> lines = Files.readAllLines(receiverLog);
      tail = String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
    } catch (IOException e) {
      tail = "(no log: " + e.getMessage() + ")";
    }
    return Optional.of("pg_receivewal exited with " + receiver.exitValue() + ": " + tail);
  }

  /**
   * What the receiver has flushed, as the server's slot says (pg_receivewal runs with
   * --synchronous, so it reports every write at once): the reconcile pass tells the archiver.
   */
  public void noteReceived(long lsn) {
    if (lsn > received) {
      received = lsn;
    }
  }

  /**
   * The WAL position the store holds everything up to: what the receiver had flushed when an
   * upload round began that then completed (-1 before the first).
   */
  public long uploadedLsn() {
    return uploaded;
  }

  public State state() {
    return new State(lastSegment, partialSegment, partialBytes, lastUpload, error,
        receiver != null && receiver.isAlive());
  }

  public String base() {
    return base;
  }

  private synchronized void stopReceiver() {
    if (receiver != null && receiver.isAlive()) {
      receiver.destroy(); // SIGTERM: pg_receivewal flushes and exits
      try {
        if (!receiver.waitFor(5, TimeUnit.SECONDS)) {
          receiver.destroyForcibly();
          receiver.waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    receiver = null;
    source = null;
  }

  /** A receiver a previous operator left running (it holds the slot): stopped. */
  private void stopLeftover() {
    try {
      long pid = Long.parseLong(Files.readString(pidFile).trim());
      ProcessHandle.of(pid).ifPresent(p -> {
        boolean ours = p.info().command().map(c -> c.endsWith("pg_receivewal")).orElse(false)
            && p.info().arguments().map(a -> List.of(a).contains("--directory=" + spool)).orElse(false);
        if (ours) {
          p.destroy();
          try {
            p.onExit().get(5, TimeUnit.SECONDS);
          } catch (Exception e) {
            p.destroyForcibly();
          }
        }
      });
    } catch (NoSuchFileException | NumberFormatException e) {
      // none recorded
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private void uploadLoop() {
    long backoff = UPLOAD_INTERVAL_MS;
    while (!closed) {
      try {
        uploadOnce();
        backoff = UPLOAD_INTERVAL_MS;
        error = null;
        lastLoggedError = null;
      } catch (IOException | RuntimeException e) { // the store's (ObjectStoreException) or the spool's
        error = e instanceof ObjectStoreException ? e.getMessage() : e.toString();
        if (!error.equals(lastLoggedError)) {
          lastLoggedError = error;
          log.warn("wal", "archive", "storing WAL failed (kept in the spool, retrying): " + error);
        }
        backoff = Math.min(backoff * 2, 30_000);
      }
      try {
        Thread.sleep(backoff);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** One look at the spool: stores what is new, oldest first. */
  public synchronized void uploadOnce() throws IOException {
    long before = received;
    List<WalSpool.Entry> files = new ArrayList<>();
    try (var list = Files.list(spool)) {
      for (Path p : (Iterable<Path>) list::iterator) {
        try {
          files.add(new WalSpool.Entry(p.getFileName().toString(), Files.size(p),
              Files.getLastModifiedTime(p).toMillis()));
        } catch (NoSuchFileException e) {
          // renamed by pg_receivewal (partial → complete) meanwhile: seen next time
        }
      }
    }
    // The newest partial is stored again once the receiver has flushed more than when it was last read:
    // its size never changes (pg_receivewal makes it whole) and two writes within one tick of the
    // file system's coarse clock leave its mtime alike, so that alone could call stored what is not.
    files.stream().map(WalSpool.Entry::name).filter(n -> n.endsWith(".partial")).max(String::compareTo)
        .map(n -> n.substring(0, n.length() - ".partial".length()))
        .filter(seg -> partialsReadAt.getOrDefault(seg, -1L) < before)
        .ifPresent(partialsStored::remove);
    for (WalSpool.Step step : WalSpool.plan(files, storedHistory, storedSegments, partialsStored)) {
      if (step instanceof WalSpool.StoreHistory h) {
        store.put(WalLayout.historyKey(base, h.name()), Files.readAllBytes(spool.resolve(h.name())));
        storedHistory.add(h.name());
        log.action("wal", "archive-history", h.name() + " stored");
      } else if (step instanceof WalSpool.StoreSegment s) {
        store.put(WalLayout.segmentKey(base, s.segment()), gzip(spool.resolve(s.segment())));
        storedSegments.add(s.segment());
        store.delete(WalLayout.partialKey(base, s.segment()));
        partialsStored.remove(s.segment());
        partialsReadAt.remove(s.segment());
        lastSegment = s.segment();
        if (s.segment().equals(partialSegment)) {
          partialSegment = null;
          partialBytes = 0;
        }
        lastUpload = Instant.now();
      } else if (step instanceof WalSpool.StorePartial p) {
        Path file = spool.resolve(p.segment() + ".partial");
        byte[] data;
        try {
          data = gzip(file);
        } catch (NoSuchFileException e) {
          continue; // completed meanwhile
        }
        store.put(WalLayout.partialKey(base, p.segment()), data);
        partialsStored.put(p.segment(), p.size() + ":" + p.modified());
        partialsReadAt.put(p.segment(), before);
        partialSegment = p.segment();
        partialBytes = p.size();
        lastUpload = Instant.now();
      } else if (step instanceof WalSpool.DeleteLocal d) {
        Files.deleteIfExists(spool.resolve(d.name()));
      }
    }
    if (before > uploaded) {
      uploaded = before;
    }
  }

  private static byte[] gzip(Path file) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 20);
    try (InputStream in = Files.newInputStream(file); GZIPOutputStream gz = new GZIPOutputStream(out, 1 << 16)) {
      in.transferTo(gz);
    }
    return out.toByteArray();
  }

  /** Stops the receiver and the uploader (after one last upload); the slot keeps the rest. */
  @Override
  public void close() {
    closed = true;
    stopReceiver();
    uploader.interrupt();
    try {
      uploader.join(5000);
      uploadOnce();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      log.warn("wal", "archive", "last upload before stopping failed: " + e.getMessage());
    }
  }

  @Override
  public String toString() {
    return "WalArchiver[" + cluster + " → " + base + " in " + store.describe() + "]";
  }
}
