package io.pgherd.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgherd.objectstore.ObjectStore;
import io.pgherd.objectstore.ObjectStoreException;
import java.io.ByteArrayOutputStream;
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
import java.util.zip.GZIPOutputStream;

/**
 * One base backup, streamed: pg_basebackup (tar to stdout, {@code --wal-method=none}: the WAL
 * comes from the archive) → gzip → SHA-256 → the store, as {@code BASE/base/ID/base.tar.gz}; no
 * copy of the backup is ever staged on local disk. PostgreSQL 15 appends its backup_manifest to
 * a tar written to stdout; it is picked out of the stream as it passes and stored beside, as
 * {@code backup_manifest}. {@code pgherd.json} records the state: "running" first, then
 * "complete" with the LSN range, sizes and checksum — or "failed" with the reason, so a backup
 * that broke off is never taken for a good one.
 */
public final class BaseBackup {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Where the backup is taken from: a member's published port. */
  public record Source(String member, String host, int port) {}

  /** A finished backup, as recorded in pgherd.json. */
  public record Result(String id, String member, String startLsn, String stopLsn, long timeline, long tarBytes,
      long storedBytes, String sha256, Instant started, Instant finished) {}

  private BaseBackup() {}

  public static String prefix(String base, String id) {
    return base + "base/" + id + "/";
  }

  /**
   * Takes the backup. progress gets a line now and then (bytes so far, rate).
   *
   * @param pgpass a libpq password file with the replication role's password
   */
  public static Result run(ObjectStore store, String base, String id, Source source, Path pgpass,
      Consumer<String> progress) throws IOException {
    if (!id.matches("[0-9]{8}T[0-9]{6}Z(-[a-z0-9]+)?")) {
      throw new IllegalArgumentException("not a backup id: " + id);
    }
    String dir = prefix(base, id);
    Instant started = Instant.now();
    ObjectNode record = JSON.createObjectNode().put("id", id).put("state", "running").put("member", source.member())
        .put("started", started.toString());
    store.put(dir + "pgherd.json", JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(record));
    try {
      Result r = stream(store, dir, id, source, pgpass, progress, started);
      record.put("state", "complete").put("startLsn", r.startLsn()).put("stopLsn", r.stopLsn())
          .put("timeline", r.timeline()).put("tarBytes", r.tarBytes()).put("storedBytes", r.storedBytes())
          .put("sha256", r.sha256()).put("finished", r.finished().toString())
          .put("files", "base.tar.gz (gzip of PostgreSQL's tar), backup_manifest");
      store.put(dir + "pgherd.json", JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(record));
      return r;
    } catch (IOException | RuntimeException e) {
      record.put("state", "failed").put("error", String.valueOf(e.getMessage())).put("finished", Instant.now().toString());
      try {
        store.put(dir + "pgherd.json", JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(record));
      } catch (ObjectStoreException again) {
        e.addSuppressed(again);
      }
      throw e;
    }
  }

  private static Result stream(ObjectStore store, String dir, String id, Source source, Path pgpass,
      Consumer<String> progress, Instant started) throws IOException {
    List<String> cmd = List.of("pg_basebackup", "--pgdata=-", "--format=tar", "--wal-method=none",
        "--checkpoint=fast", "--no-password", "--host=" + source.host(), "--port=" + source.port(),
        "--username=replicator", "--label=pgherd-" + id);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("PGPASSFILE", pgpass.toString());
    pb.environment().put("PGAPPNAME", "pgherd_basebackup");
    pb.environment().put("PGCONNECT_TIMEOUT", "10");
    pb.environment().remove("PGPASSWORD");
    Process p = pb.start();
    CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> {
      try (InputStream err = p.getErrorStream()) {
        return new String(err.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return e.toString();
      }
    });
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    PipedInputStream compressed = new PipedInputStream(1 << 20);
    PipedOutputStream sink = new PipedOutputStream(compressed);
    TarSniffer tar = new TarSniffer("backup_manifest");
    long[] tarBytes = {0};
    CompletableFuture<Void> pump = CompletableFuture.runAsync(() -> {
      long t0 = System.nanoTime();
      long nextReport = t0 + 5_000_000_000L;
      try (InputStream in = p.getInputStream();
          OutputStream gz = new GZIPOutputStream(new DigestOutputStream(sink, sha), 1 << 16)) {
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) {
          tar.accept(buf, n);
          gz.write(buf, 0, n);
          tarBytes[0] += n;
          long now = System.nanoTime();
          if (now > nextReport) {
            double s = (now - t0) / 1e9;
            progress.accept(String.format("%d MB read from %s, %.1f MB/s", tarBytes[0] >> 20, source.member(),
                tarBytes[0] / 1048576.0 / s));
            nextReport = now + 5_000_000_000L;
          }
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    long stored;
    try {
      stored = store.put(dir + "base.tar.gz", compressed);
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
          + stderr.join().strip());
    }
    byte[] manifest = tar.found().orElseThrow(() -> new IOException(
        "pg_basebackup's output had no backup_manifest (PostgreSQL 13+ adds it to a tar on stdout)"));
    store.put(dir + "backup_manifest", manifest);
    JsonNode m = JSON.readTree(manifest);
    JsonNode range = m.path("WAL-Ranges").path(0);
    return new Result(id, source.member(), range.path("Start-LSN").asText(null), range.path("End-LSN").asText(null),
        range.path("Timeline").asLong(), tarBytes[0], stored, HexFormat.of().formatHex(sha.digest()), started,
        Instant.now());
  }

  /** Picks one member's bytes out of a tar stream as it passes (ustar headers, 512-byte blocks). */
  static final class TarSniffer {
    private final String wanted;
    private final ByteArrayOutputStream header = new ByteArrayOutputStream(512);
    private ByteArrayOutputStream capture;
    private byte[] found;
    private long dataLeft; // bytes of the current member's data still to come
    private long padLeft; // padding after it
    private boolean done;

    TarSniffer(String wanted) {
      this.wanted = wanted;
    }

    void accept(byte[] buf, int n) {
      int i = 0;
      while (i < n && !done) {
        if (dataLeft > 0) {
          int k = (int) Math.min(dataLeft, n - i);
          if (capture != null) {
            capture.write(buf, i, k);
          }
          dataLeft -= k;
          i += k;
          if (dataLeft == 0 && capture != null) {
            found = capture.toByteArray();
            capture = null;
          }
        } else if (padLeft > 0) {
          int k = (int) Math.min(padLeft, n - i);
          padLeft -= k;
          i += k;
        } else {
          int k = Math.min(512 - header.size(), n - i);
          header.write(buf, i, k);
          i += k;
          if (header.size() == 512) {
            parseHeader(header.toByteArray());
            header.reset();
          }
        }
      }
    }

    private void parseHeader(byte[] h) {
      boolean zero = true;
      for (byte b : h) {
        if (b != 0) {
          zero = false;
          break;
        }
      }
      if (zero) {
        return; // end-of-archive blocks
      }
      String name = field(h, 0, 100);
      String octal = field(h, 124, 12).trim();
      long size = octal.isEmpty() ? 0 : Long.parseLong(octal, 8);
      dataLeft = size;
      padLeft = (512 - size % 512) % 512;
      capture = name.equals(wanted) || name.endsWith("/" + wanted) ? new ByteArrayOutputStream((int) Math.min(size, 1 << 24)) : null;
      if (capture != null && size == 0) {
        found = new byte[0];
        capture = null;
      }
    }

    private static String field(byte[] h, int off, int len) {
      int end = off;
      while (end < off + len && h[end] != 0) {
        end++;
      }
      return new String(h, off, end - off, StandardCharsets.US_ASCII);
    }

    java.util.Optional<byte[]> found() {
      return java.util.Optional.ofNullable(found);
    }
  }
}
