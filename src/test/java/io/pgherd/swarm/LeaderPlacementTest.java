package io.pgherd.swarm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LeaderPlacementTest {
  @Test
  void theActingOperatorStepsOffAPrimarysNodeOnlyForAStandbyOnANodeWithNone() {
    assertThat(LeaderPlacement.stepOff("a", Map.of("b", 1), Set.of("b"))).as("no primary here").isEmpty();
    assertThat(LeaderPlacement.stepOff("a", Map.of("a", 1), Set.of())).as("no standby").isEmpty();
    assertThat(LeaderPlacement.stepOff("a", Map.of("a", 1, "b", 1), Set.of("b"))).as("the standby's node has one too")
        .isEmpty();
    assertThat(LeaderPlacement.stepOff("a", Map.of("a", 2, "b", 1), Set.of("b", "c"))).hasValueSatisfying(why ->
        assertThat(why).contains("this node (a) runs 2 primaries", "a standby waits on node c"));
    assertThat(LeaderPlacement.stepOff("a", Map.of("a", 1), Set.of("a"))).as("itself is no standby").isEmpty();
  }
}
