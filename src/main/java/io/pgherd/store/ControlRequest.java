package io.pgherd.store;

/**
 * A user's request to change the primary ({@code pgherd switchover} / {@code pgherd failover}),
 * left in the store for whoever holds the operator lock, and its answer.
 *
 * @param id unique per request; the answer carries it
 * @param kind {@link #SWITCHOVER}, {@link #FAILOVER} or {@link #BACKUP}
 * @param to the member to promote; null lets the operator choose (switchover only)
 * @param force failover only: promote even past replication.maximumLagOnFailover, or while the
 *     primary is healthy (acknowledged writes it holds that the target lacks are lost)
 * @param requestedAt ISO-8601
 */
public record ControlRequest(String id, String kind, String to, boolean force, String requestedAt) {
  public static final String SWITCHOVER = "switchover";
  public static final String FAILOVER = "failover";
  public static final String BACKUP = "backup";

  /**
   * The operator's answer.
   *
   * @param ok the change was made
   * @param message what happened, or why nothing was done
   */
  public record Result(String id, boolean ok, String message, String at) {}
}
