package io.pgherd.agent;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A member being restored receives what the operator stages into it through the agent's API
 * instead of the engine's exec and archive copy: the agent runs in this mode ({@code pgherd-agent
 * restore}, started by pgherd-entrypoint while it waits for {@code restore/READY} and until the
 * restore is complete) with only the API, no PostgreSQL to supervise.
 *
 * <ul>
 *   <li>{@code PUT /v1/restore/base?format=zst|gz|tar&size=N}: the stored base backup, piped into
 *       {@code pgherd-receive-backup}, which unpacks it into {@code restore/data} as it arrives and
 *       makes {@code READY} once {@code STAGED} is there too; answered when that has ended;</li>
 *   <li>{@code PUT /v1/restore/files}: a tar of the WAL ({@code wal/NAME}), the target
 *       ({@code recovery.conf}) and {@code STAGED} (last), written under {@code restore/};</li>
 *   <li>{@code GET /v1/restore}: how far it is (see {@link #state}).</li>
 * </ul>
 */
final class RestoreReceiver {
  /** The names a staged file may have under restore/: nothing else is written. */
  private static final Pattern STAGED_NAME = Pattern.compile("wal/[0-9A-Za-z_-][0-9A-Za-z._-]{0,63}|recovery\\.conf|STAGED");
  private static final Pattern FORMAT = Pattern.compile("zst|gz|tar");
  /** How much of pgherd-receive-backup's output an error quotes. */
  private static final int QUOTED = 2000;

  private final Path pgdata;
  private final Path restore;
  private final String receiveCommand;
  private final Log log;
  private volatile boolean receiving;

  RestoreReceiver(Path pgdata, String receiveCommand, Log log) {
    this.pgdata = pgdata;
    this.restore = pgdata.toAbsolutePath().getParent().resolve("restore");
    this.receiveCommand = receiveCommand;
    this.log = log;
  }

  /**
   * What {@code GET /v1/restore} answers: {@code receiving} (a base backup is being unpacked now),
   * {@code unpacked} (restore/data/PG_VERSION), {@code staged} (STAGED), {@code ready} (READY: the
   * entrypoint recovers from it), {@code dataDirectory} ($PGDATA/PG_VERSION: made the data
   * directory), {@code failed} (restore/FAILED's text, or null).
   */
  Map<String, Object> state() throws IOException {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("receiving", receiving);
    s.put("unpacked", Files.exists(restore.resolve("data/PG_VERSION")));
    s.put("staged", Files.exists(restore.resolve("STAGED")));
    s.put("ready", Files.exists(restore.resolve("READY")));
    s.put("dataDirectory", Files.exists(pgdata.resolve("PG_VERSION")));
    Path failed = restore.resolve("FAILED");
    s.put("failed", Files.exists(failed) ? Files.readString(failed, StandardCharsets.UTF_8).strip() : null);
    return s;
  }

  /**
   * The base backup: {@code size} bytes of {@code body} into pgherd-receive-backup. Its output goes
   * to the agent's log; a failure is an IOException quoting its end.
   */
  synchronized String receiveBase(String format, String size, InputStream body) throws IOException {
    if (!FORMAT.matcher(format).matches()) {
      throw new IllegalArgumentException("format must be zst, gz or tar, not '" + format + "'");
    }
    if (!size.matches("[0-9]{1,18}")) {
      throw new IllegalArgumentException("size must be a byte count, not '" + size + "'");
    }
    receiving = true;
    try {
      Process p = new ProcessBuilder(receiveCommand, format, size).redirectErrorStream(true).start();
      CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> lines(p.getInputStream()));
      IOException sending = null;
      try (OutputStream in = p.getOutputStream()) {
        body.transferTo(in);
      } catch (IOException e) {
        sending = e; // it stopped reading: it ended, and its output says why
      }
      int rc;
      try {
        if (!p.waitFor(2, TimeUnit.HOURS)) {
          p.destroyForcibly();
          throw new IOException(receiveCommand + " did not end within 2 hours");
        }
        rc = p.exitValue();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
        throw new IOException("interrupted while " + receiveCommand + " ran");
      }
      String out = output.join();
      if (rc != 0) {
        String tail = out.length() > QUOTED ? "..." + out.substring(out.length() - QUOTED) : out;
        throw new IOException(receiveCommand + " " + format + " " + size + " failed (exit status " + rc + "): "
            + tail.strip() + (sending == null ? "" : " (sending it the backup: " + sending.getMessage() + ")"));
      }
      if (sending != null) {
        throw new IOException("sending the base backup to " + receiveCommand + " failed: " + sending.getMessage(),
            sending);
      }
      return out.strip();
    } finally {
      receiving = false;
    }
  }

  private String lines(InputStream in) {
    StringBuilder all = new StringBuilder();
    try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        log.info(line);
        all.append(line).append('\n');
      }
    } catch (IOException e) {
      all.append("(its output could not be read: ").append(e.getMessage()).append(")\n");
    }
    return all.toString();
  }

  /**
   * The staged files: a tar (regular files only, names as {@link #STAGED_NAME}) written under
   * restore/, each beside its name and renamed over it, mode 0600, in the tar's order (STAGED
   * comes last). Returns the names written.
   */
  List<String> receiveFiles(InputStream tar) throws IOException {
    Files.createDirectories(restore.resolve("wal"));
    List<String> written = new ArrayList<>();
    byte[] header = new byte[512];
    while (true) {
      if (!readFully(tar, header)) {
        throw new EOFException("the tar ended without its end-of-archive block");
      }
      if (allZero(header)) {
        return written; // the end-of-archive block
      }
      String name = field(header, 345, 155).isEmpty() ? field(header, 0, 100)
          : field(header, 345, 155) + "/" + field(header, 0, 100);
      char type = (char) header[156];
      long size = octal(header, 124, 12, name);
      if (type != '0' && type != '\0') {
        if (type == '5' && name.equals("wal/")) {
          continue; // the wal directory's own entry
        }
        throw new IllegalArgumentException("the tar's entry " + name + " is not a regular file (type " + type + ")");
      }
      if (!STAGED_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("the tar's entry " + name + " is not a staged file of a restore"
            + " (wal/NAME, recovery.conf or STAGED)");
      }
      Path target = restore.resolve(name);
      Path part = target.resolveSibling("." + target.getFileName() + ".part");
      try (OutputStream out = Files.newOutputStream(part)) {
        copy(tar, out, size, name);
      }
      Files.setPosixFilePermissions(part, PosixFilePermissions.fromString("rw-------"));
      Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      written.add(name);
      long padding = (512 - size % 512) % 512;
      skip(tar, padding);
    }
  }

  private static void copy(InputStream in, OutputStream out, long size, String name) throws IOException {
    byte[] buf = new byte[1 << 16];
    long left = size;
    while (left > 0) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (n < 0) {
        throw new EOFException("the tar ended inside " + name);
      }
      out.write(buf, 0, n);
      left -= n;
    }
  }

  private static void skip(InputStream in, long n) throws IOException {
    if (n > 0 && !readFully(in, new byte[(int) n])) {
      throw new EOFException("the tar ended inside an entry's padding");
    }
  }

  /** False when the stream ended before the first byte; an EOFException when it ended later. */
  private static boolean readFully(InputStream in, byte[] buf) throws IOException {
    int at = 0;
    while (at < buf.length) {
      int n = in.read(buf, at, buf.length - at);
      if (n < 0) {
        if (at == 0) {
          return false;
        }
        throw new EOFException("the tar ended inside a block");
      }
      at += n;
    }
    return true;
  }

  private static boolean allZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  private static String field(byte[] h, int at, int len) {
    int end = at;
    while (end < at + len && h[end] != 0) {
      end++;
    }
    return new String(h, at, end - at, StandardCharsets.UTF_8);
  }

  private static long octal(byte[] h, int at, int len, String name) {
    String s = field(h, at, len).trim();
    if (!s.matches("[0-7]{1,12}")) {
      throw new IllegalArgumentException("the tar's entry " + name + " has no octal size ('" + s + "')");
    }
    return Long.parseLong(s, 8);
  }

  /** For tests: where the staged files go. */
  Path restoreDir() {
    return restore;
  }
}
