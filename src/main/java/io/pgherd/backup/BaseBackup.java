package io.pgherd.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgherd.api.Compression;
import io.pgherd.objectstore.ObjectStore;
import io.pgherd.objectstore.ObjectStoreException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One base backup, streamed: pg_basebackup (tar to stdout, {@code --wal-method=none}: the WAL
 * comes from the archive) → zstd (or gzip) → SHA-256 → the store, as
 * {@code BASE/base/ID/base.tar.zst}; no copy of the backup is ever staged on local disk.
 * PostgreSQL 15 appends its backup_manifest to a tar written to stdout; it is picked out of the
 * stream as it passes and stored beside, as {@code backup_manifest} (backup_label too, for the
 * server's start time). {@code pgherd.json} records the state: "running" first, then "complete"
 * with the LSN range, sizes and checksum — or "failed" with the reason, so a backup that broke
 * off is never taken for a good one.
 */
public final class BaseBackup {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Threads of their own for the pump and the stderr reader (both block on the process for its whole life). */
  private static final java.util.concurrent.ExecutorService IO = java.util.concurrent.Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "pgherd-basebackup-io");
    t.setDaemon(true);
    return t;
  });
  private static final Pattern PROGRESS = Pattern.compile("^\\s*(\\d+)/(\\d+) kB \\(");
  public static final Pattern ID = Pattern.compile("[0-9]{8}T[0-9]{6}Z(-[a-z0-9]+)?");

  /** Where the backup is taken from: a member's published port. */
  /**
   * Where pg_basebackup connects.
   *
   * @param rootCertificate the cluster's CA when TLS is enforced (verify-full), or null
   */
  public record Source(String member, String host, int port, java.nio.file.Path rootCertificate) {
    public Source(String member, String host, int port) {
      this(member, host, port, null);
    }
  }

  /**
   * How far a running backup is.
   *
   * @param bytes tar bytes read from pg_basebackup so far
   * @param totalBytes pg_basebackup's estimate of the whole (-1 until it has made one)
   * @param bytesPerSecond the average rate since the start
   */
  public record Progress(String id, String member, long bytes, long totalBytes, double bytesPerSecond,
      Instant started) {
    /** "512 MB of ~1024 MB (50%), 210.3 MB/s, ETA 3 s" */
    public String describe() {
      return progressText(bytes, totalBytes > 0 ? totalBytes : null, bytesPerSecond);
    }
  }

  /**
   * "512 MB of ~1024 MB (50%), 210.3 MB/s, ETA 3 s"; without the total's part when it is not
   * known (null), without the rate and ETA when the rate is not (null).
   */
  public static String progressText(long bytes, Long totalBytes, Double bytesPerSecond) {
    StringBuilder b = new StringBuilder().append(bytes >> 20).append(" MB");
    if (totalBytes != null && totalBytes > 0) {
      b.append(" of ~").append(totalBytes >> 20).append(" MB (")
          .append(Math.min(100, bytes * 100 / totalBytes)).append("%)");
    }
    if (bytesPerSecond != null) {
      b.append(String.format(java.util.Locale.ROOT, ", %.1f MB/s", bytesPerSecond / 1048576.0));
      if (totalBytes != null && totalBytes > bytes && bytesPerSecond > 0) {
        b.append(", ETA ").append((long) Math.ceil((totalBytes - bytes) / bytesPerSecond)).append(" s");
      }
    }
    return b.toString();
  }

  /** A finished backup, as recorded in pgherd.json. */
  public record Result(String id, String member, String startLsn, String stopLsn, long timeline, long tarBytes,
      long storedBytes, String sha256, Instant started, Instant finished) {}

  private BaseBackup() {}

  private static Instant now() {
    return Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
  }

  public static String prefix(String base, String id) {
    return base + "base/" + id + "/";
  }

  /**
   * Takes the backup. progress is called about once a second.
   *
   * @param pgpass a libpq password file with the replication role's password
   */
  public static Result run(ObjectStore store, String base, String id, Source source, Path pgpass,
      Compression compression, Consumer<Progress> progress) throws IOException {
    return run(store, base, id, source, pgpass, compression, progress, new Abort(), r -> Optional.empty());
  }

  /** Asked once the backup's files are stored, before its record says "complete". */
  @FunctionalInterface
  public interface Restorable {
    /** Empty when the backup can be restored, else why not (the backup then fails with that). */
    Optional<String> check(Result r) throws IOException;
  }

  /** Lets another thread stop a running backup (its pg_basebackup is killed; the backup fails). */
  public static final class Abort {
    private volatile Process process;
    private volatile String why;

    public void abort(String reason) {
      why = reason;
      Process p = process;
      if (p != null) {
        p.destroyForcibly();
      }
    }

    void started(Process p) {
      process = p;
      if (why != null) {
        p.destroyForcibly();
      }
    }

    String reason() {
      return why;
    }
  }

  public static Result run(ObjectStore store, String base, String id, Source source, Path pgpass,
      Compression compression, Consumer<Progress> progress, Abort abort, Restorable restorable)
      throws IOException {
    if (!ID.matcher(id).matches()) {
      throw new IllegalArgumentException("not a backup id: " + id);
    }
    String dir = prefix(base, id);
    Instant started = now();
    ObjectNode record = JSON.createObjectNode().put("id", id).put("state", "running").put("member", source.member())
        .put("started", started.toString()).put("compression", compression.label());
    store.put(dir + "pgherd.json", JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(record));
    try {
      Result r;
      try {
        r = stream(store, dir, id, source, pgpass, compression, progress, started, record, abort);
      } catch (IOException | RuntimeException e) {
        if (abort.reason() != null) {
          throw new IOException(abort.reason(), e);
        }
        throw e;
      }
      Optional<String> notRestorable = restorable.check(r);
      if (notRestorable.isPresent()) {
        throw new IOException(notRestorable.get());
      }
      record.put("state", "complete").put("startLsn", r.startLsn()).put("stopLsn", r.stopLsn())
          .put("timeline", r.timeline()).put("tarBytes", r.tarBytes()).put("storedBytes", r.storedBytes())
          .put("sha256", r.sha256()).put("finished", r.finished().toString())
          .put("files", compression.tarName() + " (PostgreSQL's tar" + (compression == Compression.NONE ? ""
              : ", " + compression.label()) + "), backup_manifest");
      store.put(dir + "pgherd.json", JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(record));
      return r;
    } catch (IOException | RuntimeException e) {
      markFailed(store, dir, record, String.valueOf(e.getMessage()), e);
      throw e;
    }
  }

  /**
   * A record left "running" by a backup that is not running any more (the operator stopped, or the
   * store was down when it failed): rewritten as failed, so it is never taken for a good one.
   */
  public static void markInterrupted(ObjectStore store, String base, String id, String why) throws IOException {
    String key = prefix(base, id) + "pgherd.json";
    Optional<byte[]> bytes = store.getBytes(key);
    if (bytes.isEmpty()) {
      return;
    }
    JsonNode node = JSON.readTree(bytes.get());
    ObjectNode record = node instanceof ObjectNode o ? o : JSON.createObjectNode().put("id", id);
    record.put("state", "failed").put("error", why);
    if (!record.has("finished")) {
      record.put("finished", now().toString());
    }
    store.put(key, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(record));
  }

  /** Rewrites a backup's record as failed (a store that is down may refuse that too: suppressed into e). */
  static void markFailed(ObjectStore store, String dir, ObjectNode record, String why, Exception e) {
    record.put("state", "failed").put("error", why).put("finished", now().toString());
    try {
      store.put(dir + "pgherd.json", JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(record));
    } catch (IOException again) {
      if (e != null) {
        e.addSuppressed(again);
      }
    }
  }

  private static Result stream(ObjectStore store, String dir, String id, Source source, Path pgpass,
      Compression compression, Consumer<Progress> progress, Instant started, ObjectNode record, Abort abort)
      throws IOException {
    List<String> cmd = List.of("pg_basebackup", "--pgdata=-", "--format=tar", "--wal-method=none",
        "--checkpoint=fast", "--progress", "--no-password", "--host=" + source.host(), "--port=" + source.port(),
        "--username=replicator", "--label=pgherd-" + id);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    ChildEnvironment.restrict(pb.environment());
    pb.environment().put("PGPASSFILE", pgpass.toString());
    ChildEnvironment.tls(pb.environment(), source.rootCertificate());
    pb.environment().put("PGAPPNAME", "pgherd_basebackup");
    pb.environment().put("PGCONNECT_TIMEOUT", "10");
    Process p = pb.start();
    abort.started(p);
    AtomicLong total = new AtomicLong(-1);
    // stderr: the progress lines (kB done / kB estimated) feed the estimate; the rest is kept for errors
    CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> {
      StringBuilder other = new StringBuilder();
      try (var err = new java.io.BufferedReader(new java.io.InputStreamReader(p.getErrorStream(),
          StandardCharsets.UTF_8))) {
        for (String line; (line = err.readLine()) != null; ) {
          for (String part : line.split("\\r")) {
            Matcher m = PROGRESS.matcher(part);
            if (m.find()) {
              total.set(Long.parseLong(m.group(2)) * 1024);
            } else if (!part.isBlank()) {
              other.append(part.strip()).append(' ');
            }
          }
        }
      } catch (IOException e) {
        other.append(e);
      }
      return other.toString().strip();
    }, IO);
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    PipedInputStream compressed = new PipedInputStream(1 << 20);
    PipedOutputStream sink = new PipedOutputStream(compressed);
    TarSniffer tar = new TarSniffer("backup_manifest", "backup_label");
    long[] tarBytes = {0};
    CompletableFuture<Void> pump = CompletableFuture.runAsync(() -> {
      long t0 = System.nanoTime();
      long nextReport = t0 + 1_000_000_000L;
      try (InputStream in = p.getInputStream();
          OutputStream out = CompressionStreams.compress(compression, new DigestOutputStream(sink, sha))) {
        byte[] buf = new byte[1 << 17];
        for (int n; (n = in.read(buf)) > 0; ) {
          tar.accept(buf, n);
          out.write(buf, 0, n);
          tarBytes[0] += n;
          long now = System.nanoTime();
          if (now > nextReport) {
            progress.accept(new Progress(id, source.member(), tarBytes[0], total.get(),
                tarBytes[0] / ((now - t0) / 1e9), started));
            nextReport = now + 1_000_000_000L;
          }
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }, IO);
    long stored;
    try {
      stored = store.put(dir + compression.tarName(), compressed);
    } catch (IOException | RuntimeException e) {
      p.destroyForcibly(); // the store failed: the backup is abandoned (marked failed by the caller)
      throw e;
    } finally {
      compressed.close();
    }
    try {
      pump.join();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("pg_basebackup did not exit");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted");
    } catch (java.util.concurrent.CompletionException e) {
      p.destroyForcibly();
      throw new IOException("reading pg_basebackup's output failed: " + e.getCause(), e.getCause());
    }
    if (p.exitValue() != 0) {
      throw new IOException("pg_basebackup from " + source.member() + " failed (exit " + p.exitValue() + "): "
          + stderr.join());
    }
    byte[] manifest = tar.found("backup_manifest").orElseThrow(() -> new IOException(
        "pg_basebackup's output had no backup_manifest (PostgreSQL 13+ adds it to a tar on stdout)"));
    store.put(dir + "backup_manifest", manifest);
    tar.found("backup_label").ifPresent(label -> {
      Matcher m = Pattern.compile("(?m)^START TIME: (.+)$").matcher(new String(label, StandardCharsets.UTF_8));
      if (m.find()) {
        record.put("serverStartTime", m.group(1).strip());
      }
    });
    JsonNode m = JSON.readTree(manifest);
    JsonNode range = m.path("WAL-Ranges").path(0);
    return new Result(id, source.member(), range.path("Start-LSN").asText(null), range.path("End-LSN").asText(null),
        range.path("Timeline").asLong(), tarBytes[0], stored, HexFormat.of().formatHex(sha.digest()), started,
        now());
  }
}
