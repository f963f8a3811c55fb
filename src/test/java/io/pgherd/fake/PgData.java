package io.pgherd.fake;

import io.pgherd.model.Lsn;
import java.util.Map;
import java.util.TreeMap;

/**
 * One data directory (what a member's volume holds) as {@link FakePostgres} keeps it, and the WAL
 * and timeline arithmetic on it. LSNs are plain numbers; the fake's WAL "segments" are one byte
 * long (a checkpoint removes every byte before its redo point that no slot holds).
 */
final class PgData {
  boolean initialized;
  long systemId;
  int timeline = 1;
  /** The timeline history file's content of the current timeline ("" on timeline 1). */
  String history = "";
  /** A primary's insert position; a standby's received (and replayed) position. */
  long lsn;
  boolean standby;
  /** Physical slots: name → restart_lsn ({@link #LOST}: invalidated, wal_status 'lost'). */
  final Map<String, Long> slots = new TreeMap<>();
  /** The restart_lsn of an invalidated slot (PostgreSQL's is null); a standby streaming through it sets it again. */
  static final long LOST = -1;
  /** pg_control's state ({@link PgControl#IN_PRODUCTION}, ...). */
  int controlState;
  /** The last checkpoint's (a standby: restartpoint's) redo point. */
  long checkpointLsn;
  /** WAL before this has been removed (a checkpoint removes what neither it nor a slot needs). */
  long oldestWal;

  /**
   * After a checkpoint (a standby's restartpoint too): WAL older than its redo point goes unless a
   * slot still needs it (no wal_keep_size; the fake's segments are one byte long, so nothing
   * survives by sharing a segment). A slot more than {@code maxSlotWalKeep} bytes behind the redo
   * point (max_slot_wal_keep_size; negative: no bound) is invalidated first and holds nothing.
   */
  void removeOldWal(long maxSlotWalKeep) {
    long keep = checkpointLsn;
    for (Map.Entry<String, Long> slot : slots.entrySet()) {
      long restart = slot.getValue();
      if (restart != LOST && maxSlotWalKeep >= 0 && checkpointLsn - restart > maxSlotWalKeep) {
        slot.setValue(LOST);
      } else if (restart != LOST) {
        keep = Math.min(keep, restart);
      }
    }
    oldestWal = Math.max(oldestWal, keep);
  }

  /** Whether a standby at this position can stream from src: same timeline not ahead, or forked off at or after it. */
  boolean canFollow(PgData src) {
    if (timeline == src.timeline) {
      return lsn <= src.lsn;
    }
    Long fork = switchPoint(src.history, timeline);
    return fork != null && lsn <= fork;
  }

  /** Where timeline {@code tli} ends according to a history file; null when it is not there. */
  static Long switchPoint(String history, int tli) {
    for (String line : history.split("\n")) {
      String[] f = line.split("\t");
      if (f.length >= 2 && f[0].equals(Integer.toString(tli))) {
        return Lsn.parse(f[1]);
      }
    }
    return null;
  }

  /** The WAL segment file holding {@code lsn} on timeline {@code tli} (16 MB segments). */
  static String walSegment(int tli, long lsn) {
    long segment = lsn / 0x1000000L;
    return String.format("%08X%08X%08X", tli, segment / 0x100, segment % 0x100);
  }

  /** For messages. */
  @Override
  public String toString() {
    return (standby ? "standby" : "primary") + " tl" + timeline + " at " + Lsn.format(lsn) + " slots "
        + slots.keySet();
  }
}
