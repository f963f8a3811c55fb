package io.pgherd.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 */
public final class ClusterLog {
  private static final Logger LOG = LoggerFactory.getLogger("io.pgherd.reconcile");
  private final String cluster;
  private final Home home;
  private final Path file;

  public ClusterLog(Home home, String cluster) {
    this.cluster = cluster;
    this.home = home;
    this.file = home.logFile(cluster);
  }

  /** e.g. {@code action("r12", "create-member", "demo-2: new replica, cloning from demo-1")}. */
  public void action(String reconcileId, String action, String reason) {
    write(reconcileId, "INFO", action, reason);
  }

  public void warn(String reconcileId, String action, String reason) {
    write(reconcileId, "WARN", action, reason);
  }

  private synchronized void write(String reconcileId, String level, String action, String reason) {
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
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to " + file, e);
    }
    CrashPoint.after(action);
  }
}
