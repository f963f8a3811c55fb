package io.pgherd.backup;

import io.pgherd.model.Lsn;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code spec.backup.retention.fullBackups: N} deletes under one base ({@code CLUSTER/SYSID/}),
 * as a pure function of what the store lists:
 *
 * <ul>
 *   <li>the newest N complete backups a restore can start from — those on the newest timeline's
 *       history ({@link RestorePlanner#onPath}) — are kept, with every object under them;
 *   <li>older complete backups go, and so do failed or interrupted ones and ones on a branch the
 *       newest timeline left (an in-place restore went back before them) when older than the
 *       oldest kept backup (newer ones stay, to be looked at) — never the one running now;
 *   <li>a WAL segment (complete or partial) goes when it lies before the segment holding the
 *       oldest kept backup's start LSN, on that backup's timeline or an earlier one: no kept
 *       backup can replay it. Later timelines and every {@code .history} file stay.
 * </ul>
 *
 * With no such backup at all nothing is deleted: the WAL is all there is.
 */
public final class Retention {
  private static final Pattern WAL = Pattern.compile("wal/([0-9A-F]{8})/([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})"
      + "(\\.partial)?\\.gz");

  /** The objects to delete and why. */
  public record Plan(List<String> keys, List<String> backups, int walObjects, String oldestKept) {
    public boolean isEmpty() {
      return keys.isEmpty();
    }
  }

  private Retention() {}

  /**
   * @param base CLUSTER/SYSID/
   * @param backups the backups of this base
   * @param keys every key under base (as listed)
   * @param keep N
   * @param running the id of the backup being taken now, or null
   * @param path the newest timeline's history ({@link RestorePlanner#newestPath})
   */
  public static Plan plan(String base, List<BackupInfo> backups, List<String> keys, int keep, String running,
      long segmentSize, List<WalScan.Span> path) {
    if (keep < 1) {
      throw new IllegalArgumentException("retention must keep at least one backup, got " + keep);
    }
    List<BackupInfo> complete = RestorePlanner.onPath(backups.stream().filter(BackupInfo::complete).toList(), path)
        .stream().sorted(Comparator.comparing(BackupInfo::id).reversed()).toList();
    if (complete.isEmpty()) {
      return new Plan(List.of(), List.of(), 0, null);
    }
    List<BackupInfo> kept = complete.subList(0, Math.min(keep, complete.size()));
    BackupInfo oldest = kept.get(kept.size() - 1);
    List<String> goingIds = new ArrayList<>();
    for (BackupInfo b : backups) {
      boolean keptOne = kept.stream().anyMatch(k -> k.id().equals(b.id()));
      if (keptOne || b.id().equals(running)) {
        continue;
      }
      if (complete.contains(b) || b.id().compareTo(oldest.id()) < 0) {
        goingIds.add(b.id());
      }
    }
    List<String> delete = new ArrayList<>();
    for (String id : goingIds) {
      String prefix = BaseBackup.prefix(base, id);
      keys.stream().filter(k -> k.startsWith(prefix)).forEach(delete::add);
    }
    Optional<Long> startSegment = Optional.ofNullable(oldest.startLsn()).map(l -> Lsn.parse(l) / segmentSize);
    long timeline = oldest.timeline() == null ? 0 : oldest.timeline();
    int wal = 0;
    if (startSegment.isPresent() && timeline > 0) {
      long perId = 0x1_0000_0000L / segmentSize;
      for (String key : keys) {
        if (!key.startsWith(base)) {
          continue;
        }
        Matcher m = WAL.matcher(key.substring(base.length()));
        if (!m.matches() || !m.group(1).equals(m.group(2))) {
          continue;
        }
        long tl = Long.parseLong(m.group(2), 16);
        long segno = Long.parseLong(m.group(3), 16) * perId + Long.parseLong(m.group(4), 16);
        if (tl <= timeline && segno < startSegment.get()) {
          delete.add(key);
          wal++;
        }
      }
    }
    return new Plan(List.copyOf(delete), List.copyOf(goingIds), wal, oldest.id());
  }

  /**
   * Whether the WAL segment holding {@code startLsn} is in the store (complete or partial) on
   * {@code timeline} or an earlier one: a backup whose start the archive does not reach (it began
   * archiving later) can never be restored.
   */
  public static boolean startArchived(String base, List<String> keys, String startLsn, long timeline,
      long segmentSize) {
    long wanted = Lsn.parse(startLsn) / segmentSize;
    long perId = 0x1_0000_0000L / segmentSize;
    for (String key : keys) {
      if (!key.startsWith(base)) {
        continue;
      }
      Matcher m = WAL.matcher(key.substring(base.length()));
      if (m.matches() && m.group(1).equals(m.group(2)) && Long.parseLong(m.group(2), 16) <= timeline
          && Long.parseLong(m.group(3), 16) * perId + Long.parseLong(m.group(4), 16) == wanted) {
        return true;
      }
    }
    return false;
  }
}
