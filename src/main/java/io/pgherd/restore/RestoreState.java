package io.pgherd.restore;

import io.pgherd.api.PostgresCluster;
import io.pgherd.api.RestoreStatus;
import io.pgherd.backup.RestorePlanner;
import io.pgherd.cluster.Result;
import java.time.Duration;

/**
 * A cluster's restore as the passes see it: the {@link Restorer} job (the plan, staging, its
 * outcome) and what this pass found (the phase to show, whether the member still recovers or has
 * just finished). Shared by the restore of a new cluster's first member and the restore in place;
 * {@link #begin} starts each pass afresh.
 */
public final class RestoreState {
  /** How soon a pass looks again at a member recovering from backups (it is done in a moment). */
  static final Duration RECOVERING_POLL = Duration.ofMillis(200);

  /** The spec of this pass. */
  PostgresCluster currentSpec;
  Restorer restorer;
  /** Set while the first member is restored from backups: the pass stops there. */
  String restorePhase;
  /** Set by restoreMember while the member recovers: the next pass comes sooner. */
  boolean restoreRecovering;
  /** This pass found the restore complete: the next pass (which probes the member) follows at once. */
  boolean restoreProbeNow;
  /** Set with RestoreStep.FAILED. */
  String restoreFailure;
  /** This pass looked at a restore: status.restore is filled in. */
  boolean restoreShown;

  /** A new pass, with this spec. */
  public void begin(PostgresCluster spec) {
    currentSpec = spec;
    restorePhase = null;
    restoreShown = false;
    restoreRecovering = false;
    restoreProbeNow = false;
  }

  /** "Restoring" or "Error" while a new cluster's first member is restored; null otherwise. */
  public String phase() {
    return restorePhase;
  }

  /** The restore job is busy (planning, staging). */
  public boolean busy() {
    return restorer != null && restorer.busy();
  }

  /** When the pass that follows a restoring one should run. */
  public Duration next() {
    return restoreProbeNow ? Duration.ZERO : restoreRecovering ? RECOVERING_POLL : Result.FAST;
  }

  /** status.restore, when this pass looked at a restore; null otherwise. */
  public RestoreStatus status() {
    if (restoreShown && restorer != null && restorer.target != null) {
      RestoreStatus r = new RestoreStatus();
      Restorer.State st = restorer.state;
      r.setState(st == Restorer.State.STARTED ? "recovering" : st == null ? null : st.name().toLowerCase());
      r.setFrom(restorer.from);
      r.setTarget(restorer.target.describe());
      RestorePlanner.Plan plan = restorer.plan;
      if (plan != null) {
        r.setBackup(plan.backup().id());
        r.setWal(plan.firstWal() + " .. " + plan.lastWal());
        r.setWalBytes(plan.walBytes());
      }
      r.setMessage(restorer.message);
      return r;
    }
    return null;
  }

  /** Stops a restore job that runs. */
  public void close() {
    if (restorer != null) {
      restorer.close();
      restorer = null;
    }
  }
}
