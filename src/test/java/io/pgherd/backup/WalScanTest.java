package io.pgherd.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.model.Lsn;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Reading pg_waldump's lines (captured from PostgreSQL 15's pg_waldump) into commits and restore points. */
class WalScanTest {
  static final String COMMIT = "rmgr: Transaction len (rec/tot):     34/    34, tx:        725, lsn: 0/01516760,"
      + " prev 0/01516720, desc: COMMIT 2026-11-26 15:00:13.102190 UTC";
  static final String COMMIT_INVAL = "rmgr: Transaction len (rec/tot):     66/    66, tx:        722, lsn: 0/015004A0,"
      + " prev 0/01500428, desc: COMMIT 2026-11-26 15:00:10.317184 UTC; inval msgs: catcache 21; sync";
  static final String ABORT = "rmgr: Transaction len (rec/tot):     34/    34, tx:        726, lsn: 0/01516900,"
      + " prev 0/01516858, desc: ABORT 2026-11-26 15:00:14.000001 UTC";

  static String point(String name) {
    return "rmgr: XLOG        len (rec/tot):     98/    98, tx:          0, lsn: 0/01516788, prev 0/01516760,"
        + " desc: RESTORE_POINT " + name;
  }

  @Test
  void commitsAndAbortsAreRead() {
    assertThat(WalScan.record(COMMIT)).isEqualTo(new WalScan.Commit(725, Lsn.parse("0/01516760"),
        Instant.parse("2026-11-26T15:00:13.102190Z"), true));
    assertThat(WalScan.record(COMMIT_INVAL)).isEqualTo(new WalScan.Commit(722, Lsn.parse("0/015004A0"),
        Instant.parse("2026-11-26T15:00:10.317184Z"), true));
    assertThat(WalScan.record(ABORT)).isEqualTo(new WalScan.Commit(726, Lsn.parse("0/01516900"),
        Instant.parse("2026-11-26T15:00:14.000001Z"), false));
    assertThat(WalScan.record("rmgr: Heap        len (rec/tot):     59/    59, tx:        725, lsn: 0/01516720,"
        + " prev 0/015166E8, desc: INSERT off 2 flags 0x00, blkref #0: rel 1663/5/16384 blk 0")).isNull();
  }

  @Test
  void restorePointNamesAreReadAsTheyAreQuotesSemicolonsAndSpacesIncluded() {
    for (String name : new String[] {"after two", "x'; drop table t; --", "a\\b\"c' $(id) `id` %f", " padded ",
        "lsn: 1/0, desc: RESTORE_POINT y"}) {
      assertThat(WalScan.record(point(name))).as(name)
          .isEqualTo(new WalScan.RestorePoint(name, Lsn.parse("0/01516788")));
    }
  }

  @Test
  void aRestorePointNamedLikeACommitIsNotACommit() {
    // before: the unanchored pattern took this for a commit of xid 0 in 2030 (the "last commit" of the range)
    String spoof = point("x desc: COMMIT 2030-01-01 00:00:00.000001 UTC");
    assertThat(WalScan.record(spoof)).isEqualTo(new WalScan.RestorePoint(
        "x desc: COMMIT 2030-01-01 00:00:00.000001 UTC", Lsn.parse("0/01516788")));
  }
}
