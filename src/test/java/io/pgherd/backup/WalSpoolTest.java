package io.pgherd.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.backup.WalSpool.DeleteLocal;
import io.pgherd.backup.WalSpool.Entry;
import io.pgherd.backup.WalSpool.StoreHistory;
import io.pgherd.backup.WalSpool.StorePartial;
import io.pgherd.backup.WalSpool.StoreSegment;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WalSpoolTest {
  static final String S1 = "000000010000000000000003";
  static final String S2 = "000000010000000000000004";
  static final String S3 = "000000020000000000000004"; // timeline 2 forks inside segment 4
  static final String S4 = "000000020000000000000005";

  @Test
  void completeSegmentsOldestFirstThenTheirLocalCopiesButTheNewestStays() {
    var steps = WalSpool.plan(List.of(new Entry(S2, 16, 1), new Entry(S1, 16, 1), new Entry(S2.substring(0, 8)
        + "0000000000000005.partial", 16, 5)), Set.of(), Set.of(), Map.of());
    assertThat(steps).containsExactly(new StoreSegment(S1), new DeleteLocal(S1), new StoreSegment(S2),
        new StorePartial("000000010000000000000005", 16, 5));
  }

  @Test
  void acrossATimelineSwitchTheHistoryFileFirstAndSegmentsInLsnOrder() {
    var steps = WalSpool.plan(List.of(new Entry(S4 + ".partial", 16, 9), new Entry(S3, 16, 1),
        new Entry("00000002.history", 40, 1), new Entry(S2, 16, 1)), Set.of(), Set.of(S2), Map.of());
    assertThat(steps).containsExactly(new StoreHistory("00000002.history"), new DeleteLocal(S2),
        new StoreSegment(S3), new StorePartial(S4, 16, 9));
  }

  @Test
  void aPartialIsStoredAgainOnlyWhenItChanged() {
    List<Entry> files = List.of(new Entry(S1, 16, 1), new Entry(S2 + ".partial", 16, 7));
    assertThat(WalSpool.plan(files, Set.of(), Set.of(S1), Map.of(S2, "16:7"))).isEmpty();
    assertThat(WalSpool.plan(files, Set.of(), Set.of(S1), Map.of(S2, "16:6")))
        .containsExactly(new StorePartial(S2, 16, 7));
  }

  @Test
  void aPartialWhoseSegmentIsCompleteIsIgnoredAndOtherFilesToo() {
    var steps = WalSpool.plan(List.of(new Entry(S1, 16, 1), new Entry(S1 + ".partial", 16, 1),
        new Entry("receiver.log", 1, 1), new Entry("00000001.history.tmp", 1, 1)), Set.of(), Set.of(S1), Map.of());
    assertThat(steps).isEmpty();
  }

  @Test
  void aTimelineThatEndedExactlyAtTheLastSegmentsEndGetsTheNextTimelinesSegmentSeeded() {
    long seg = 16L << 20;
    String history = "1\t0/6000000\tno recovery target specified\n";
    assertThat(WalSpool.seedAfterSwitch(List.of("000000010000000000000005", "000000010000000000000004"), 2, history, seg))
        .contains("000000020000000000000006.partial");
    // the switch inside the next segment: pg_receivewal streams timeline 1 up to it, then switches itself
    assertThat(WalSpool.seedAfterSwitch(List.of("000000010000000000000005"), 2, "1\t0/6000060\tx\n", seg)).isEmpty();
    // resuming from a partial, or already on the new timeline: nothing to seed
    assertThat(WalSpool.seedAfterSwitch(List.of("000000010000000000000005", "000000020000000000000006.partial"), 2,
        history, seg)).isEmpty();
    assertThat(WalSpool.seedAfterSwitch(List.of("000000010000000000000005"), 1, "", seg)).isEmpty();
    assertThat(WalSpool.seedAfterSwitch(List.of(), 2, history, seg)).isEmpty();
    // three timelines: 1 ended at 0/6000000, 2 at 0/9000000; resuming after segment 8 of timeline 2
    assertThat(WalSpool.seedAfterSwitch(List.of("000000020000000000000008", "00000002.history"), 3,
        "1\t0/6000000\tx\n2\t0/9000000\ty\n", seg)).contains("000000030000000000000009.partial");
  }

  @Test
  void keysFollowTheLayout() {
    String base = WalLayout.base("demo", "7312345678901234567");
    assertThat(WalLayout.segmentKey(base, S3)).isEqualTo("demo/7312345678901234567/wal/00000002/" + S3 + ".gz");
    assertThat(WalLayout.partialKey(base, S4)).isEqualTo("demo/7312345678901234567/wal/00000002/" + S4 + ".partial.gz");
    assertThat(WalLayout.historyKey(base, "00000002.history")).isEqualTo("demo/7312345678901234567/wal/00000002.history");
  }
}
