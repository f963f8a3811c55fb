package io.pgherd.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.model.FailoverPlanner.Candidate;
import io.pgherd.model.FailoverPlanner.RequestPlan;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** `pgherd switchover` and `pgherd failover --to` judged against what the operator sees. */
class FailoverRequestTest {
  static final long MB16 = 16L << 20;
  static final List<Candidate> BOTH = List.of(
      new Candidate("demo-2", 2, true, "0/3000000", "0/3000000"),
      new Candidate("demo-3", 3, true, "0/3000100", "0/3000100"));
  static final Set<String> STREAMING = Set.of("demo-2", "demo-3");

  static RequestPlan switchover(String to, boolean primaryHealthy, List<Candidate> candidates, Set<String> streaming) {
    return FailoverPlanner.forRequest(true, to, false, "demo-1", primaryHealthy, candidates, streaming,
        Set.of("demo-1", "demo-4"), "0/3000100", MB16, false, Set.of());
  }

  static RequestPlan failover(String to, boolean force, boolean primaryHealthy, String lastPrimaryLsn, boolean sync) {
    return FailoverPlanner.forRequest(false, to, force, "demo-1", primaryHealthy, BOTH, STREAMING, Set.of("demo-1"),
        lastPrimaryLsn, MB16, sync, Set.of("demo-2", "demo-3"));
  }

  static String target(RequestPlan p) {
    return p.to().map(Candidate::member).orElse("refused: " + p.reason());
  }

  @Test
  void aSwitchoverWithoutTargetPicksTheMostAdvancedStreamingReplica() {
    RequestPlan p = switchover(null, true, BOTH, STREAMING);
    assertThat(target(p)).isEqualTo("demo-3");
    assertThat(p.reason()).contains("demo-3 chosen (most advanced streaming replica, received 0/3000100)");
    assertThat(target(switchover(null, true, BOTH, Set.of("demo-2")))).isEqualTo("demo-2");
  }

  @Test
  void aSwitchoverToANamedStreamingReplicaIsAccepted() {
    assertThat(target(switchover("demo-2", true, BOTH, STREAMING))).isEqualTo("demo-2");
  }

  @Test
  void aSwitchoverIsRefusedWithTheReason() {
    assertThat(target(switchover("demo-1", true, BOTH, STREAMING))).isEqualTo("refused: demo-1 is already the primary");
    assertThat(target(switchover("demo-4", true, BOTH, STREAMING)))
        .isEqualTo("refused: demo-4 is a former primary still rejoining; it cannot be promoted yet");
    assertThat(target(switchover("demo-9", true, BOTH, STREAMING)))
        .isEqualTo("refused: demo-9 is not a replica of this cluster (replicas: demo-2, demo-3)");
    assertThat(target(switchover("demo-2", true, BOTH, Set.of("demo-3"))))
        .isEqualTo("refused: demo-2 is not streaming from demo-1 now; it cannot take over");
    assertThat(target(switchover(null, true, BOTH, Set.of())))
        .isEqualTo("refused: no replica is streaming from demo-1; nothing to switch over to");
    assertThat(target(switchover(null, false, BOTH, STREAMING))).startsWith("refused: the primary demo-1 is not healthy")
        .contains("pgherd failover NAME --to MEMBER");
    List<Candidate> unreachable = List.of(new Candidate("demo-2", 2, false, null, null));
    assertThat(target(switchover("demo-2", true, unreachable, STREAMING)))
        .isEqualTo("refused: demo-2 is not streaming from demo-1 now; it cannot take over");
  }

  @Test
  void aManualFailoverWhileThePrimaryIsHealthyNeedsForceAndPointsToSwitchover() {
    RequestPlan p = failover("demo-3", false, true, "0/3000100", false);
    assertThat(target(p)).startsWith("refused: the primary demo-1 is healthy: `pgherd switchover NAME --to demo-3`");
    RequestPlan forced = failover("demo-3", true, true, "0/3000100", false);
    assertThat(target(forced)).isEqualTo("demo-3");
    assertThat(forced.reason()).startsWith("forced failover to demo-3").contains("the primary was healthy");
  }

  @Test
  void aManualFailoverToALessAdvancedReplicaIsRefusedUnlessForced() {
    assertThat(target(failover("demo-2", false, false, "0/3000100", false)))
        .isEqualTo("refused: demo-2 received up to 0/3000000 but demo-3 received more (0/3000100): promoting demo-2"
            + " would lose that; choose demo-3, or --force");
    assertThat(target(failover("demo-2", true, false, "0/3000100", false))).isEqualTo("demo-2");
    assertThat(target(failover("demo-3", false, false, "0/3000100", false))).isEqualTo("demo-3");
  }

  @Test
  void aManualFailoverPastTheLagLimitIsRefusedUnlessForced() {
    String far = "0/5000000"; // 32 MB past what the replicas received
    assertThat(target(failover("demo-3", false, false, far, false))).startsWith("refused: the most advanced replica demo-3")
        .contains("more than replication.maximumLagOnFailover");
    assertThat(target(failover("demo-3", true, false, far, false))).isEqualTo("demo-3");
  }

  @Test
  void aManualFailoverNeedsAnAnsweringTargetAndATarget() {
    List<Candidate> down = List.of(new Candidate("demo-2", 2, false, null, null), BOTH.get(1));
    RequestPlan p = FailoverPlanner.forRequest(false, "demo-2", true, "demo-1", false, down, STREAMING, Set.of("demo-1"),
        null, MB16, false, Set.of());
    assertThat(target(p)).isEqualTo("refused: demo-2 does not answer; it cannot be promoted");
    RequestPlan none = FailoverPlanner.forRequest(false, null, false, "demo-1", false, BOTH, STREAMING, Set.of("demo-1"),
        null, MB16, false, Set.of());
    assertThat(target(none)).isEqualTo("refused: a failover needs --to MEMBER");
  }

  @Test
  void inSyncModeAManualFailoverWaitsForEverySynchronousStandbyUnlessForced() {
    List<Candidate> oneDown = List.of(new Candidate("demo-2", 2, false, null, null), BOTH.get(1));
    RequestPlan p = FailoverPlanner.forRequest(false, "demo-3", false, "demo-1", false, oneDown, STREAMING,
        Set.of("demo-1"), "0/3000100", MB16, true, Set.of("demo-2", "demo-3"));
    assertThat(target(p)).startsWith("refused: sync mode: synchronous standby demo-2 cannot be asked");
    RequestPlan forced = FailoverPlanner.forRequest(false, "demo-3", true, "demo-1", false, oneDown, STREAMING,
        Set.of("demo-1"), "0/3000100", MB16, true, Set.of("demo-2", "demo-3"));
    assertThat(target(forced)).isEqualTo("demo-3");
  }
}
