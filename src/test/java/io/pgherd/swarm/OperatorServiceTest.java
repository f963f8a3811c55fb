package io.pgherd.swarm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OperatorServiceTest {
  @Test
  void deployMakesAReplicaPerManagerUpToThreeUnlessToldHowMany() {
    assertThat(OperatorService.replicas(0, 1)).as("one manager").isEqualTo(1);
    assertThat(OperatorService.replicas(0, 2)).isEqualTo(2);
    assertThat(OperatorService.replicas(0, 3)).as("the acting one always has a free node to stand on").isEqualTo(3);
    assertThat(OperatorService.replicas(0, 5)).isEqualTo(3);
    assertThat(OperatorService.replicas(0, 0)).as("never none").isEqualTo(1);
    assertThat(OperatorService.replicas(2, 5)).as("--replicas 2").isEqualTo(2);
    assertThat(OperatorService.replicas(5, 3)).as("as asked: past one per manager, the Swarm leaves the rest pending").isEqualTo(5);
  }
}
