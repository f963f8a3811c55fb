package io.pgherd.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgherd.model.Lsn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RestorePlannerTest {
  @TempDir Path dir;

  @Test
  void aHistoryFileBecomesTheTimelinePath() {
    List<WalScan.Span> path = WalScan.path(3, "1\t0/5000060\tno recovery target specified\n\n"
        + "2\t0/7A00000\tno recovery target specified\n");
    assertThat(path).containsExactly(new WalScan.Span(1, 0, Lsn.parse("0/5000060")),
        new WalScan.Span(2, Lsn.parse("0/5000060"), Lsn.parse("0/7A00000")),
        new WalScan.Span(3, Lsn.parse("0/7A00000"), -1));
    assertThat(WalScan.path(1, "")).containsExactly(new WalScan.Span(1, 0, -1));
  }

  @Test
  void onlyBackupsOnTheNewestTimelinesHistoryCanBeRestored() {
    // timeline 1 → 2 at 0/5000060 (an in-place restore went back there); a backup of timeline 1 that
    // ended after that point belongs to the abandoned branch
    List<WalScan.Span> path = WalScan.path(2, "1\t0/5000060\tbefore transaction 640\n");
    BackupInfo early = backup("20261126T010000Z", 1L, "0/3000100");
    BackupInfo atSwitch = backup("20261126T020000Z", 1L, "0/5000060");
    BackupInfo abandoned = backup("20261126T030000Z", 1L, "0/9000100");
    BackupInfo after = backup("20261126T040000Z", 2L, "0/B000100");
    BackupInfo unknown = backup("20261126T050000Z", null, "0/C000100");
    BackupInfo otherBranch = backup("20261126T060000Z", 3L, "0/D000100");
    assertThat(RestorePlanner.onPath(List.of(early, atSwitch, abandoned, after, unknown, otherBranch), path))
        .containsExactly(early, atSwitch, after, unknown);
  }

  private static BackupInfo backup(String id, Long timeline, String stopLsn) {
    return new BackupInfo(id, "7", BackupInfo.COMPLETE, "m", id, id, "0/1000028", stopLsn, timeline, 1L, 1L, "x",
        "zstd", null, null);
  }

  @Test
  void theFirstSegmentOfANewTimelineGetsItsParentsBytesBeforeTheSwitch() throws Exception {
    int seg = 16 << 20;
    byte[] parent = new byte[seg];
    Arrays.fill(parent, (byte) 'p');
    byte[] child = new byte[seg];
    Arrays.fill(child, 0x60, seg, (byte) 'c'); // pg_receivewal: zeros before the switch point
    Files.write(dir.resolve("000000010000000000000005"), parent);
    Files.write(dir.resolve("000000020000000000000005"), child);
    Files.writeString(dir.resolve("00000002.history"), "1\t0/5000060\tno recovery target specified\n");
    // a timeline that began on a segment boundary has nothing to splice
    Files.writeString(dir.resolve("00000003.history"), "1\t0/5000060\tx\n2\t0/7000000\tx\n");

    RestorePlanner.spliceTimelineStarts(dir, List.of(2L, 3L));

    byte[] spliced = Files.readAllBytes(dir.resolve("000000020000000000000005"));
    assertThat(spliced[0]).isEqualTo((byte) 'p');
    assertThat(spliced[0x5f]).isEqualTo((byte) 'p');
    assertThat(spliced[0x60]).isEqualTo((byte) 'c');
    assertThat(spliced[seg - 1]).isEqualTo((byte) 'c');
    assertThat(Files.readAllBytes(dir.resolve("000000010000000000000005"))).isEqualTo(parent);
  }

  @Test
  void timesAreReadInIsoAndPostgresFormsNoZoneMeaningUtc() {
    Instant t = Instant.parse("2026-11-26T05:18:47.325434Z");
    assertThat(RestorePlanner.parseTime("2026-11-26T05:18:47.325434Z")).isEqualTo(t);
    assertThat(RestorePlanner.parseTime("2026-11-26T06:18:47.325434+01:00")).isEqualTo(t);
    assertThat(RestorePlanner.parseTime("2026-11-26 05:18:47.325434")).isEqualTo(t);
    assertThat(RestorePlanner.parseTime("2026-11-26 07:18:47.325434+02")).isEqualTo(t);
    assertThatThrownBy(() -> RestorePlanner.parseTime("yesterday")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void recoverySettingsQuoteTheValueAHostileRestorePointNameIncluded() {
    assertThat(RestorePlanner.setting("recovery_target_name", "x'; drop table t; --"))
        .isEqualTo("recovery_target_name = 'x''; drop table t; --'\n");
    assertThat(RestorePlanner.setting("recovery_target_name", "a\\b\"c' $(id) %f"))
        .isEqualTo("recovery_target_name = 'a\\\\b\"c'' $(id) %f'\n");
    assertThat(RestorePlanner.setting("recovery_target_name", "two\nlines"))
        .isEqualTo("recovery_target_name = 'two\\nlines'\n");
    assertThat(RestorePlanner.setting("recovery_target_lsn", "0/3000060")).isEqualTo("recovery_target_lsn = '0/3000060'\n");
  }

  @Test
  void aTimeOfTheRightShapeButNoSuchDayHourOrOffsetIsNotATimeEither() {
    // these escaped as DateTimeParseException / DateTimeException, which pgherd restore printed raw
    for (String s : List.of("2026-13-45T99:00:00Z", "2026-02-30 10:00:00", "2026-11-26 25:00:00",
        "2026-11-26 10:00:00+99")) {
      assertThatThrownBy(() -> RestorePlanner.parseTime(s)).as(s)
          .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("not a time: " + s);
    }
  }
}
