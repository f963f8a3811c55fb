package io.pgherd.swarm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LeaderPlacementTest {
  @Test
  void theActingOperatorStepsOffAPrimarysNodeOnlyForAStandbyOnANodeWithNone() {
    assertThat(LeaderPlacement.stepOff("a", Map.of("b", 1), Set.of("b"), null)).as("no primary here").isEmpty();
    assertThat(LeaderPlacement.stepOff("a", Map.of("a", 1), Set.of(), null)).as("no standby").isEmpty();
    assertThat(LeaderPlacement.stepOff("a", Map.of("a", 1, "b", 1), Set.of("b"), null))
        .as("the standby's node has one too").isEmpty();
    assertThat(LeaderPlacement.stepOff("a", Map.of("a", 2, "b", 1), Set.of("b", "c"), null)).hasValueSatisfying(why ->
        assertThat(why).contains("this node (a) runs 2 primaries", "a standby waits on node c"));
    assertThat(LeaderPlacement.stepOff("a", Map.of("a", 1), Set.of("a"), null)).as("itself is no standby").isEmpty();
  }

  @Test
  void offAPrimarysNodeTheRaftLeadersNodeIsTakenLast() {
    assertThat(LeaderPlacement.stepOff("a", Map.of("a", 1), Set.of("b", "c"), "b")).hasValueSatisfying(why ->
        assertThat(why).contains("a standby waits on node c"));
    assertThat(LeaderPlacement.stepOff("a", Map.of("a", 1), Set.of("b"), "b")).as("better the leader's node than the"
        + " primary's").hasValueSatisfying(why -> assertThat(why).contains("a standby waits on node b"));
  }

  @Test
  void theActingOperatorStepsOffTheRaftLeadersNodeOnlyForANodeThatNeitherLeadsNorRunsAPrimary() {
    assertThat(LeaderPlacement.stepOff("a", Map.of("b", 1), Set.of("b", "c"), "a")).hasValueSatisfying(why ->
        assertThat(why).contains("this node (a) leads the Swarm's raft", "a standby waits on node c"));
    assertThat(LeaderPlacement.stepOff("a", Map.of("b", 1), Set.of("b"), "a")).as("the only standby is on the"
        + " primary's node").isEmpty();
    assertThat(LeaderPlacement.stepOff("a", Map.of("b", 1), Set.of("b", "c"), "b")).as("not the leader").isEmpty();
    assertThat(LeaderPlacement.stepOff("a", Map.of(), Set.of("b"), null)).as("leader unknown").isEmpty();
  }

  @Test
  void itStepsOffWhileAClusterIsHealthyOrOnlyShortOfAReplicaNeverWhileItsPrimaryIsInQuestion() {
    assertThat(LeaderPlacement.settled("Healthy", List.of("running"))).isTrue();
    assertThat(LeaderPlacement.settled("Degraded", List.of("running"))).as("a replica's node down").isTrue();
    assertThat(LeaderPlacement.settled("Degraded", List.of("unreachable"))).as("a failover may be counting").isFalse();
    assertThat(LeaderPlacement.settled("Degraded", List.of())).as("no primary").isFalse();
    assertThat(LeaderPlacement.settled("Degraded", List.of("running", "running"))).as("two primaries").isFalse();
    assertThat(LeaderPlacement.settled("FailingOver", List.of("running"))).isFalse();
    assertThat(LeaderPlacement.settled("Restoring", List.of("running"))).isFalse();
    assertThat(LeaderPlacement.settled(null, List.of("running"))).isFalse();
  }
}
