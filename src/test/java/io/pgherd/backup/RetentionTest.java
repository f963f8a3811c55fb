package io.pgherd.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetentionTest {
  static final String BASE = "c/42/";
  static final long SEG = 16L << 20;
  static final List<WalScan.Span> TL1 = WalScan.path(1, "");
  static final List<WalScan.Span> TL2 = WalScan.path(2, "1\t0/7000000\tno recovery target specified\n");

  static BackupInfo backup(String id, String state, String startLsn, long timeline) {
    return new BackupInfo(id, "42", state, "c-2", null, null, startLsn, startLsn, timeline, 1L, 1L, null, "zstd", null,
        null);
  }

  static List<String> objects(String... ids) {
    List<String> keys = new ArrayList<>();
    for (String id : ids) {
      keys.add(BASE + "base/" + id + "/pgherd.json");
      keys.add(BASE + "base/" + id + "/base.tar.zst");
      keys.add(BASE + "base/" + id + "/backup_manifest");
    }
    return keys;
  }

  @Test
  void keepsTheNewestCompleteBackupsAndTheWalTheOldestNeeds() {
    List<BackupInfo> backups = List.of(
        backup("20261101T000000Z", "complete", "0/3000028", 1),
        backup("20261102T000000Z", "failed", null, 1),
        backup("20261103T000000Z", "complete", "0/5000028", 1),
        backup("20261104T000000Z", "failed", null, 1), // newer than the oldest kept: stays, to be looked at
        backup("20261105T000000Z", "complete", "0/7000060", 2));
    List<String> keys = new ArrayList<>(objects("20261101T000000Z", "20261102T000000Z", "20261103T000000Z",
        "20261104T000000Z", "20261105T000000Z"));
    for (int seg = 1; seg <= 6; seg++) {
      keys.add(BASE + "wal/00000001/00000001000000000000000" + seg + ".gz");
    }
    keys.add(BASE + "wal/00000001/000000010000000000000007.partial.gz");
    keys.add(BASE + "wal/00000002.history");
    keys.add(BASE + "wal/00000002/000000020000000000000007.gz");
    keys.add(BASE + "wal/00000002/000000020000000000000008.partial.gz");

    Retention.Plan plan = Retention.plan(BASE, backups, keys, 2, null, SEG, TL2);

    assertThat(plan.backups()).containsExactly("20261101T000000Z", "20261102T000000Z");
    assertThat(plan.oldestKept()).isEqualTo("20261103T000000Z");
    List<String> expected = new ArrayList<>(objects("20261101T000000Z", "20261102T000000Z"));
    for (int seg = 1; seg <= 4; seg++) { // the oldest kept starts in segment 5
      expected.add(BASE + "wal/00000001/00000001000000000000000" + seg + ".gz");
    }
    assertThat(plan.keys()).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(plan.walObjects()).isEqualTo(4);
  }

  @Test
  void laterTimelinesBeforeTheStartAreKeptAndNothingGoesWithoutACompleteBackup() {
    List<String> keys = new ArrayList<>(List.of(BASE + "wal/00000003/000000030000000000000002.gz",
        BASE + "wal/00000001/000000010000000000000002.gz"));
    Retention.Plan plan = Retention.plan(BASE, List.of(backup("20261101T000000Z", "complete", "0/5000000", 2)), keys,
        1, null, SEG, WalScan.path(2, "1\t0/1000000\tno recovery target specified\n"));
    assertThat(plan.keys()).containsExactly(BASE + "wal/00000001/000000010000000000000002.gz");

    assertThat(Retention.plan(BASE, List.of(backup("20261101T000000Z", "failed", null, 1),
        backup("20261102T000000Z", "running", null, 1)), keys, 1, null, SEG, TL1).keys()).isEmpty();
    assertThatThrownBy(() -> Retention.plan(BASE, List.of(), keys, 0, null, SEG, TL1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void backupsOnABranchTheNewestTimelineLeftDoNotCountAndStayWhileNewerThanTheOldestKept() {
    // timeline 1: backups at 0/3, 0/5 and 0/7; a restore in place to 0/4000000 began timeline 2
    // there, and a backup was taken on it: 0/5 and 0/7 are on the branch timeline 2 left
    List<BackupInfo> backups = List.of(
        backup("20261101T000000Z", "complete", "0/3000028", 1),
        backup("20261103T000000Z", "complete", "0/5000028", 1),
        backup("20261105T000000Z", "complete", "0/7000028", 1),
        backup("20261106T000000Z", "complete", "0/6000028", 2));
    List<String> keys = new ArrayList<>(objects("20261101T000000Z", "20261103T000000Z", "20261105T000000Z",
        "20261106T000000Z"));
    for (int seg = 1; seg <= 8; seg++) {
      keys.add(BASE + "wal/00000001/00000001000000000000000" + seg + ".gz");
    }
    keys.add(BASE + "wal/00000002.history");
    keys.add(BASE + "wal/00000002/000000020000000000000004.gz");
    keys.add(BASE + "wal/00000002/000000020000000000000006.partial.gz");
    List<WalScan.Span> path = WalScan.path(2, "1\t0/4000000\tbefore transaction 900\n");

    Retention.Plan two = Retention.plan(BASE, backups, keys, 2, null, SEG, path);
    assertThat(two.oldestKept()).isEqualTo("20261101T000000Z"); // the two a restore can use
    assertThat(two.backups()).isEmpty(); // the left branch's two are newer than the oldest kept
    assertThat(two.keys()).containsExactlyInAnyOrder(BASE + "wal/00000001/000000010000000000000001.gz",
        BASE + "wal/00000001/000000010000000000000002.gz");

    Retention.Plan one = Retention.plan(BASE, backups, keys, 1, null, SEG, path);
    assertThat(one.oldestKept()).isEqualTo("20261106T000000Z");
    assertThat(one.backups()).containsExactlyInAnyOrder("20261101T000000Z", "20261103T000000Z", "20261105T000000Z");
    assertThat(one.walObjects()).isEqualTo(6); // timeline 1's segments 1-5 and timeline 2's segment 4
  }

  @Test
  void theNewestTimelineIsTheHighestAmongSegmentsAndHistoryFiles() {
    assertThat(RestorePlanner.newestTimeline(List.of())).isEqualTo(1);
    assertThat(RestorePlanner.newestTimeline(List.of(BASE + "wal/00000002/000000020000000000000004.gz",
        BASE + "wal/00000003.history", BASE + "base/20261101T000000Z/pgherd.json"))).isEqualTo(3);
    assertThat(RestorePlanner.newestTimeline(List.of(BASE + "wal/00000001/000000010000000000000004.gz",
        BASE + "wal/0000000A/0000000A0000000000000009.partial.gz"))).isEqualTo(10);
  }

  @Test
  void theRunningBackupAndFewerThanNAreLeftAlone() {
    List<BackupInfo> backups = List.of(backup("20261101T000000Z", "running", null, 1),
        backup("20261102T000000Z", "complete", "0/1000000", 1));
    List<String> keys = objects("20261101T000000Z", "20261102T000000Z");
    assertThat(Retention.plan(BASE, backups, keys, 3, "20261101T000000Z", SEG, TL1).keys()).isEmpty();
    // a stale "running" record older than the oldest kept backup is dead: it goes
    assertThat(Retention.plan(BASE, backups, keys, 3, null, SEG, TL1).backups()).containsExactly("20261101T000000Z");
  }

  @Test
  void theStartSegmentIsFoundOnItsTimelineOrAnEarlierOne() {
    List<String> keys = List.of(BASE + "wal/00000001/000000010000000100000002.partial.gz");
    assertThat(Retention.startArchived(BASE, keys, "1/2000028", 2, SEG)).isTrue();
    assertThat(Retention.startArchived(BASE, keys, "1/3000028", 2, SEG)).isFalse();
    assertThat(Retention.startArchived(BASE, List.of(BASE + "wal/00000003/000000030000000100000002.gz"), "1/2000028",
        2, SEG)).isFalse();
  }
}
