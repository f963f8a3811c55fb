package io.pgherd.store;

import io.pgherd.model.RecoveryTarget;

/**
 * A user's request to change the primary ({@code pgherd switchover} / {@code pgherd failover}),
 * to take a base backup ({@code pgherd backup}) or to restore the cluster in place ({@code pgherd
 * restore}), left in the store for whoever holds the operator lock, and its answer.
 *
 * @param id unique per request; the answer carries it
 * @param kind {@link #SWITCHOVER}, {@link #FAILOVER}, {@link #BACKUP} or {@link #RESTORE}
 * @param to the member to promote; null lets the operator choose (switchover only)
 * @param force failover only: promote even past replication.maximumLagOnFailover, or while the
 *     primary is healthy (acknowledged writes it holds that the target lacks are lost)
 * @param requestedAt ISO-8601
 * @param target restore only: the recovery target
 */
public record ControlRequest(String id, String kind, String to, boolean force, String requestedAt,
    RecoveryTarget target) {
  public static final String SWITCHOVER = "switchover";
  public static final String FAILOVER = "failover";
  public static final String BACKUP = "backup";
  public static final String RESTORE = "restore";

  public ControlRequest(String id, String kind, String to, boolean force, String requestedAt) {
    this(id, kind, to, force, requestedAt, null);
  }

  /**
   * The operator's answer.
   *
   * @param ok the change was made
   * @param message what happened, or why nothing was done
   */
  public record Result(String id, boolean ok, String message, String at) {}
}
