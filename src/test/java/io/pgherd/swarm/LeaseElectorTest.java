package io.pgherd.swarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgherd.swarm.LeaseElector.Decision;
import io.pgherd.swarm.LeaseElector.Record;
import org.junit.jupiter.api.Test;

/** Two candidates and one store, by hand: the store takes a write only at the record it was decided on. */
class LeaseElectorTest {
  private static final long DURATION = 9000;
  private static final long MARGIN = 1000;

  /** A store of one record, written only when the writer decided on what it holds now. */
  private static final class Store {
    Record record;

    boolean write(Record readAt, Decision d) {
      if (!d.writes() || (record == null ? readAt != null : !record.equals(readAt))) {
        return false;
      }
      record = d.write();
      return true;
    }
  }

  /** One round of a candidate: read, decide, write; returns whether the write was taken. */
  private static boolean round(LeaseElector e, Store s, long now) {
    Record read = s.record;
    Decision d = e.decide(read, now);
    if (!d.writes()) {
      return false;
    }
    boolean ok = s.write(read, d);
    e.written(ok, now);
    return ok;
  }

  @Test
  void theFirstCandidateTakesAFreeLeaseAndLeadsUntilItsDurationLessTheMargin() {
    Store s = new Store();
    LeaseElector a = new LeaseElector("a", DURATION, MARGIN);
    assertThat(a.leads(0)).isFalse();
    assertThat(round(a, s, 100)).isTrue();
    assertThat(s.record).isEqualTo(new Record("a", 0, DURATION, 1));
    assertThat(a.leads(100)).isTrue();
    assertThat(a.leads(100 + DURATION - MARGIN - 1)).isTrue();
    assertThat(a.leads(100 + DURATION - MARGIN)).as("not renewed: it stops before anyone may take over").isFalse();
    assertThat(a.token()).isEqualTo(1);
    assertThat(a.renewEvery()).isEqualTo(3000);
  }

  @Test
  void anotherCandidateWaitsWhileTheHolderRenewsAndTakesOverOnlyAfterAFullDurationOfSilence() {
    Store s = new Store();
    LeaseElector a = new LeaseElector("a", DURATION, MARGIN);
    LeaseElector b = new LeaseElector("b", DURATION, MARGIN);
    round(a, s, 0);
    for (long t = 1000; t <= 30_000; t += 3000) {
      assertThat(round(b, s, t)).as("b at %d ms", t).isFalse();
      assertThat(b.decide(s.record, t).why()).startsWith("a leads");
      assertThat(round(a, s, t + 1500)).as("a renews").isTrue();
      assertThat(a.leads(t + 1500)).isTrue();
    }
    long lastRenewal = 28_000 + 1500; // the loop's last t, plus a's offset
    assertThat(s.record.renewals()).isEqualTo(10);
    // a stops (its process is gone, or it cannot reach the store); b saw its last renewal at 31 000
    round(b, s, 31_000);
    assertThat(round(b, s, 31_000 + DURATION - 1)).isFalse();
    assertThat(a.leads(lastRenewal + DURATION - MARGIN)).isFalse();
    assertThat(round(b, s, 31_000 + DURATION)).as("silent for a whole duration by b's clock").isTrue();
    assertThat(s.record).isEqualTo(new Record("b", 0, DURATION, 2));
    assertThat(b.leads(31_000 + DURATION)).isTrue();
    assertThat(b.token()).as("the fencing token of b's leadership").isEqualTo(2);
    assertThat(a.leads(31_000 + DURATION)).as("a never overlaps b").isFalse();

    // a comes back: it reads b's record and waits
    assertThat(round(a, s, 41_000)).isFalse();
    assertThat(a.leads(41_000)).isFalse();
  }

  @Test
  void aHolderWhoseTaskEndedIsReplacedAtOnceAndAReleasedLeaseIsFreeAtTheNextRound() {
    Store s = new Store();
    LeaseElector a = new LeaseElector("a", DURATION, MARGIN);
    LeaseElector b = new LeaseElector("b", DURATION, MARGIN);
    round(a, s, 0);
    assertThat(b.decide(s.record, 100, false).writes()).as("a may still run").isFalse();
    Record read = s.record;
    Decision d = b.decide(read, 200, true);
    assertThat(d.why()).contains("has ended");
    assertThat(s.write(read, d)).isTrue();
    b.written(true, 200);
    assertThat(b.leads(200)).isTrue();
    assertThat(s.record).isEqualTo(new Record("b", 0, DURATION, 2));

    // b stops cleanly: the record has no holder, a takes it at its next round, b leads no more at once
    Record before = s.record;
    Decision release = b.release(before);
    assertThat(b.leads(300)).isFalse();
    assertThat(s.write(before, release)).isTrue();
    b.written(true, 300);
    assertThat(b.leads(300)).isFalse();
    assertThat(s.record.holder()).isEmpty();
    LeaseElector c = new LeaseElector("c", DURATION, MARGIN);
    assertThat(round(c, s, 400)).as("free: no duration to wait out").isTrue();
    assertThat(c.token()).isEqualTo(3);
    assertThat(b.release(s.record)).as("nothing to give up: c holds it").isNull();
  }

  @Test
  void aCandidateWhoseLeadershipEndedNeverTakesTheLeaseAgainEvenWhenItIsFree() {
    Store s = new Store();
    LeaseElector a = new LeaseElector("a", DURATION, MARGIN);
    LeaseElector b = new LeaseElector("b", DURATION, MARGIN);
    round(a, s, 0);
    // a pauses (cut off); b takes over from it, acts, and ends too (its lease released, or its task ended)
    Record read = s.record;
    Decision d = b.decide(read, 100, true);
    s.write(read, d);
    b.written(true, 100);
    Record held = s.record;
    s.write(held, b.release(held));
    b.written(true, 200);
    // a, back: the lease is free, but what a knew was token 1's, and b acted under token 2 since
    Decision back = a.decide(s.record, 20_000, false);
    assertThat(back.writes()).isFalse();
    assertThat(back.why()).contains("leadership (token 1) has ended", "nobody holds the lease", "token 2");
    assertThat(a.leads(20_000)).isFalse();
    assertThat(a.decide(s.record, 40_000, true).writes()).as("not even when the Swarm says the holder ended").isFalse();
    assertThat(round(b, s, 20_000)).as("b led once too").isFalse();
    // it keeps renewing what is its own
    LeaseElector c = new LeaseElector("c", DURATION, MARGIN);
    assertThat(round(c, s, 20_000)).isTrue();
    assertThat(round(c, s, 23_000)).as("renewed").isTrue();
    assertThat(c.leads(23_000 + DURATION - MARGIN - 1)).isTrue();
  }

  @Test
  void aWriteThatLostTheRaceGivesNoLeadership() {
    Store s = new Store();
    LeaseElector a = new LeaseElector("a", DURATION, MARGIN);
    LeaseElector b = new LeaseElector("b", DURATION, MARGIN);
    Record read = s.record;
    Decision da = a.decide(read, 0);
    Decision db = b.decide(read, 0);
    assertThat(s.write(read, db)).isTrue();
    b.written(true, 0);
    assertThat(s.write(read, da)).as("a decided on the record before b's write").isFalse();
    a.written(false, 0);
    assertThat(a.leads(1)).isFalse();
    assertThat(b.leads(1)).isTrue();
  }

  @Test
  void afterAStoreNobodyCouldReadTheHolderMayRenewBeforeAStandbyTakesOverForSilence() {
    Store s = new Store();
    LeaseElector a = new LeaseElector("a", DURATION, MARGIN);
    LeaseElector b = new LeaseElector("b", DURATION, MARGIN);
    round(a, s, 0);
    round(b, s, 500); // b sees a's record
    // the store answers nobody from 1 000 to 20 000 (a Swarm electing a raft leader): a pauses at 8 000
    b.unreadable();
    assertThat(a.leads(DURATION - MARGIN)).isFalse();
    // back: b reads first; a's record is older than a duration by b's clock, but b gives a the grace to renew
    Decision wait = b.decide(s.record, 20_000);
    assertThat(wait.writes()).isFalse();
    assertThat(wait.why()).contains("may renew first");
    assertThat(round(a, s, 20_500)).as("a renews at its own record: nobody took over").isTrue();
    assertThat(a.leads(20_500)).isTrue();
    assertThat(round(b, s, 20_000 + b.recoveryGrace())).as("a renewed: not silent").isFalse();

    // had a not renewed (its node lost with the store's outage), b takes over once the grace has passed
    LeaseElector c = new LeaseElector("c", DURATION, MARGIN);
    round(c, s, 21_000);
    c.unreadable();
    assertThat(round(c, s, 40_000)).isFalse();
    assertThat(round(c, s, 40_000 + c.recoveryGrace())).isTrue();
    assertThat(s.record.holder()).isEqualTo("c");
    assertThat(a.decide(s.record, 40_000 + c.recoveryGrace() + 1).writes()).isFalse();
    assertThat(a.leaderUntil()).as("the record shows c: a leads no more, whatever its last renewal said")
        .isEqualTo(Long.MIN_VALUE);
  }

  @Test
  void badSettingsAndAWriteNobodyDecidedAreRefused() {
    assertThatThrownBy(() -> new LeaseElector("", DURATION, MARGIN)).hasMessageContaining("identity");
    assertThatThrownBy(() -> new LeaseElector("a", 1000, 1000)).hasMessageContaining("margin < duration");
    LeaseElector a = new LeaseElector("a", DURATION, MARGIN);
    assertThatThrownBy(() -> a.written(true, 0)).hasMessageContaining("no write was decided");
  }

  @Test
  void theRecordRoundTripsThroughTheHoldersLabels() {
    Record r = new Record("task-1", 7, DURATION, 3);
    assertThat(SwarmLease.record(SwarmLease.labels(r))).isEqualTo(r);
    assertThat(SwarmLease.record(java.util.Map.of("other", "x"))).isNull();
    assertThatThrownBy(() -> SwarmLease.record(java.util.Map.of(SwarmLease.LABEL + "holder", "a")))
        .hasMessageContaining("not a lease record");
  }
}
