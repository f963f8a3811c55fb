package io.pgherd.model;

/**
 * A restore in place ({@code pgherd restore NAME --to-...}), recorded before anything is touched
 * and advanced phase by phase, so an operator that stops mid-way carries on where it was. The
 * cluster's state keeps the members being replaced until the restore has succeeded.
 *
 * @param requestId the user's request, answered when the restore ends
 * @param target the recovery target
 * @param phase {@link #PLANNING} (the cluster serves; a refused target changes nothing),
 *     {@link #STOPPING} (writes stop: every member stopped, not removed), {@link #RESTORING} (the
 *     replacement primary recovers from the backups)
 * @param replacement the members that replace the current ones (new ordinals, the first one the
 *     primary); set when the plan is accepted
 * @param startedAt ISO-8601
 * @param primaryEnd the stopped primary's shutdown checkpoint LSN: a restore to the end of the
 *     archive needs the archive to reach it (else its last commits would be lost)
 */
public record InPlaceRestore(String requestId, RecoveryTarget target, String phase, Topology replacement,
    String startedAt, String primaryEnd) {
  public static final String PLANNING = "planning";
  public static final String STOPPING = "stopping";
  public static final String RESTORING = "restoring";
  /** The restore failed: the replacement goes, the old members start again (recorded first). */
  public static final String REVERTING = "reverting";

  public InPlaceRestore in(String next, Topology replacement) {
    return new InPlaceRestore(requestId, target, next, replacement, startedAt, primaryEnd);
  }

  public InPlaceRestore withPrimaryEnd(String lsn) {
    return new InPlaceRestore(requestId, target, phase, replacement, startedAt, lsn);
  }
}
