package io.pgherd.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * A cluster's reconcile log: one line per decision, with the time, the reconcile id, the action
 * and the reason — what `pgherd logs NAME` shows. Every line also goes to the operator's own log.
 * Never pass a secret in here.
 *
 * <p>Bounded: past {@link #ROTATE_AT} bytes the file becomes {@code NAME.log.1} (the one before
 * it dropped) and starts again — so that on a Swarm, where both files move with the home from one
 * acting operator to the next ({@link HomeSnapshot}), the history stays small enough to store on
 * every change.
 */
public final class ClusterLog {
  private static final Logger LOG = LoggerFactory.getLogger("io.pgherd.reconcile");
  /** The size past which the log is rotated: some 1,300 lines; with the rotated file, twice that kept. */
  static final long ROTATE_AT = 256 * 1024;

  private final String cluster;
  private final Home home;
  private final Path file;
  private final long rotateAt;

  public ClusterLog(Home home, String cluster) {
    this(home, cluster, ROTATE_AT);
  }

  ClusterLog(Home home, String cluster, long rotateAt) {
    this.cluster = cluster;
    this.home = home;
    this.file = home.logFile(cluster);
    this.rotateAt = rotateAt;
  }

  /** The file a cluster log {@code file} is rotated to: its older lines. */
  public static Path rotated(Path file) {
    return file.resolveSibling(file.getFileName() + ".1");
  }

  /** A cluster's whole kept log, its rotated lines first; empty when it has none. */
  public static String readAll(Home home, String cluster) {
    Path file = home.logFile(cluster);
    StringBuilder out = new StringBuilder();
    for (Path f : new Path[] {rotated(file), file}) {
      try {
        out.append(Files.readString(f, StandardCharsets.UTF_8));
      } catch (java.nio.file.NoSuchFileException e) {
        // not rotated yet, or nothing logged yet
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + f, e);
      }
    }
    return out.toString();
  }

  /** e.g. {@code action("r12", "create-member", "demo-2: new replica, cloning from demo-1")}. */
  public void action(String reconcileId, String action, String reason) {
    write(reconcileId, "INFO", action, reason);
  }

  public void warn(String reconcileId, String action, String reason) {
    write(reconcileId, "WARN", action, reason);
  }

  /** One lock per log file: a cluster's log may be written through more than one ClusterLog (the placement loop's). */
  private static final java.util.concurrent.ConcurrentHashMap<Path, Object> LOCKS = new java.util.concurrent.ConcurrentHashMap<>();

  private void write(String reconcileId, String level, String action, String reason) {
    synchronized (LOCKS.computeIfAbsent(file, f -> new Object())) {
      writeLocked(reconcileId, level, action, reason);
    }
  }

  private void writeLocked(String reconcileId, String level, String action, String reason) {
    String line = Instant.now().truncatedTo(ChronoUnit.MILLIS) + " " + level + " [" + reconcileId + "] "
        + action + ": " + reason;
    MDC.put("cluster", cluster);
    MDC.put("reconcile", reconcileId);
    try {
      if ("WARN".equals(level)) {
        LOG.warn("{} {}: {}", cluster, action, reason);
      } else {
        LOG.info("{} {}: {}", cluster, action, reason);
      }
    } finally {
      MDC.remove("cluster");
      MDC.remove("reconcile");
    }
    try {
      home.createRoot();
      Files.createDirectories(file.getParent());
      Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      if (Files.size(file) >= rotateAt) {
        Files.move(file, rotated(file), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to " + file, e);
    }
    CrashPoint.after(action);
  }
}
