package io.pgherd.cluster;

import io.pgherd.store.ClusterLog;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A cluster's log as the steps of a pass write it: every line carries the pass's reconcile id
 * ({@link #begin} starts a new one), and {@link #warnOnce} says a lasting problem once, not once
 * per pass, until the next healthy pass ({@link #clearWarning}).
 */
public final class PassLog {
  private static final AtomicLong PASSES = new AtomicLong();
  private final ClusterLog log;
  private String reconcileId = "r0";
  private String lastWarning;

  public PassLog(ClusterLog log) {
    this.log = log;
  }

  /** A new pass: the lines that follow carry a new reconcile id. */
  public void begin() {
    reconcileId = "r" + PASSES.incrementAndGet();
  }

  public void action(String action, String reason) {
    log.action(reconcileId, action, reason);
  }

  public void warn(String action, String reason) {
    log.warn(reconcileId, action, reason);
  }

  /** A warning written only when it differs from the last one written this way. */
  public void warnOnce(String key, String message) {
    String w = key + ":" + message;
    if (!w.equals(lastWarning)) {
      log.warn(reconcileId, key, message);
      lastWarning = w;
    }
  }

  /** The cluster is healthy again: the next warning is written even if it repeats an earlier one. */
  public void clearWarning() {
    lastWarning = null;
  }

  /** The log itself, for the jobs that run beside the passes (archive, backups, restores) with ids of their own. */
  public ClusterLog clusterLog() {
    return log;
  }
}
