package io.pgherd.postgres;

import java.util.List;

/**
 * One SQL look at a member.
 *
 * @param inRecovery true for a standby
 * @param lsn the primary's current WAL insert position, or a standby's last received position
 * @param replayLsn what a standby has replayed (the primary: same as lsn)
 * @param timeline the timeline the member is on
 * @param receiverStatus a standby's WAL receiver state ("streaming", ...), null when none runs
 * @param senderHost the host a standby streams from
 * @param slots physical replication slots on this member
 * @param replication standbys connected to this member (pg_stat_replication)
 * @param pendingRestart settings changed that need a restart
 * @param baseBackups base backups being taken from this member (pg_stat_progress_basebackup): clones
 */
public record InstanceProbe(
    boolean inRecovery, String lsn, String replayLsn, long timeline, String receiverStatus, String senderHost,
    List<Slot> slots, List<Standby> replication, List<String> pendingRestart, List<BaseBackup> baseBackups) {

  /**
   * A physical slot (pg_replication_slots).
   *
   * @param restartLsn the oldest WAL it keeps; null once it is invalidated
   * @param walStatus reserved, extended, unreserved (past max_slot_wal_keep_size, not removed yet)
   *     or lost (invalidated: its WAL may be gone); null from an agent older than this field
   */
  public record Slot(String name, boolean active, String restartLsn, String walStatus) {
    public static final String LOST = "lost";

    /**
     * The slot no longer keeps WAL: invalidated (PostgreSQL 13+: its restart_lsn fell more than
     * max_slot_wal_keep_size behind at a checkpoint), or with no restart_lsn at all (pgherd creates
     * its slots reserving WAL at once, so only an invalidation takes it away).
     */
    public boolean lost() {
      return LOST.equals(walStatus) || restartLsn == null;
    }
  }

  /** A pg_basebackup running against this member: who (application_name), phase, bytes sent and expected. */
  public record BaseBackup(String applicationName, String phase, long streamed, Long total) {}

  public record Standby(String applicationName, String state, String syncState, String replayLsn, Long lagBytes) {}
}
