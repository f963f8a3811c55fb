package io.pgherd.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.model.FailoverPlanner.Candidate;
import io.pgherd.model.FailoverPlanner.Decision;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FailoverPlannerTest {
  static final long MB16 = 16L << 20;

  static Candidate c(int n, boolean reachable, String receive, String replay) {
    return new Candidate("demo-" + n, n, reachable, receive, replay);
  }

  static String chosen(Decision d) {
    return d.chosen().map(Candidate::member).orElse("none: " + d.reason());
  }

  @Test
  void promotesTheReplicaWithTheMostAdvancedReceivedWal() {
    Decision d = FailoverPlanner.choose(List.of(c(2, true, "0/3000000", "0/3000000"), c(3, true, "0/3000100", "0/2000000")),
        "0/3000100", MB16, false, Set.of(), false);
    assertThat(chosen(d)).isEqualTo("demo-3");
    assertThat(d.lagBytes()).isZero();
    assertThat(d.reason()).contains("demo-3 has the most advanced WAL");
  }

  @Test
  void comparesLsnsNumericallyNotAsText() {
    Decision d = FailoverPlanner.choose(List.of(c(2, true, "0/9000000", "0/9000000"), c(3, true, "1/0", "1/0")),
        null, MB16, false, Set.of(), false);
    assertThat(chosen(d)).isEqualTo("demo-3");
  }

  @Test
  void replayedWalThenTheLowerNumberBreakTies() {
    assertThat(chosen(FailoverPlanner.choose(List.of(c(2, true, "0/5000000", "0/4000000"),
        c(3, true, "0/5000000", "0/5000000")), null, MB16, false, Set.of(), false))).isEqualTo("demo-3");
    assertThat(chosen(FailoverPlanner.choose(List.of(c(3, true, "0/5000000", "0/5000000"),
        c(2, true, "0/5000000", "0/5000000")), null, MB16, false, Set.of(), false))).isEqualTo("demo-2");
  }

  @Test
  void anUnreachableReplicaIsNeverChosen() {
    Decision d = FailoverPlanner.choose(List.of(c(2, false, "0/9000000", "0/9000000"), c(3, true, "0/3000000", "0/3000000")),
        null, MB16, false, Set.of(), false);
    assertThat(chosen(d)).isEqualTo("demo-3");
  }

  @Test
  void withNoReachableReplicaNothingIsPromotedAndTheReasonSaysSo() {
    Decision d = FailoverPlanner.choose(List.of(c(2, false, null, null)), "0/3000000", MB16, false, Set.of(), false);
    assertThat(d.chosen()).isEmpty();
    assertThat(d.reason()).isEqualTo("no reachable replica");
  }

  @Test
  void aReplicaFurtherBehindThanTheLimitIsNotPromotedUnlessForced() {
    List<Candidate> replicas = List.of(c(2, true, "0/1000000", "0/1000000"));
    Decision d = FailoverPlanner.choose(replicas, "0/3000000", MB16 / 2, false, Set.of(), false);
    assertThat(d.chosen()).isEmpty();
    assertThat(d.lagBytes()).isEqualTo(0x2000000L);
    assertThat(d.reason()).contains("demo-2", "33554432 bytes behind", "maximumLagOnFailover", "--force");
    assertThat(chosen(FailoverPlanner.choose(replicas, "0/3000000", MB16 / 2, false, Set.of(), true))).isEqualTo("demo-2");
  }

  @Test
  void inSyncModeOnlyASynchronousStandbyIsEligible() {
    Decision d = FailoverPlanner.choose(List.of(c(2, true, "0/3000000", "0/3000000"), c(3, true, "0/4000000", "0/4000000")),
        "0/4000000", MB16, true, Set.of("demo-2"), false);
    assertThat(chosen(d)).isEqualTo("demo-2");
  }

  @Test
  void inSyncModeAnUnreachableSynchronousStandbyBlocksTheFailover() {
    Decision d = FailoverPlanner.choose(List.of(c(2, true, "0/3000000", "0/3000000"), c(3, false, null, null)),
        "0/3000000", MB16, true, Set.of("demo-2", "demo-3"), false);
    assertThat(d.chosen()).isEmpty();
    assertThat(d.reason()).contains("demo-3 cannot be asked");
  }

  @Test
  void lsnRoundTrips() {
    assertThat(Lsn.parse("16/B374D848")).isEqualTo(0x16B374D848L);
    assertThat(Lsn.format(0x16B374D848L)).isEqualTo("16/B374D848");
    assertThat(Lsn.parse(null)).isEqualTo(-1);
  }
}
