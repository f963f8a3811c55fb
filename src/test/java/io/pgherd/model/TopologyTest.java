package io.pgherd.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TopologyTest {
  @Test
  void aNewClusterHasMembersOneToNWithTheFirstAsPrimary() {
    Topology t = Topology.initial(3);
    assertThat(t.members()).containsExactly(1, 2, 3);
    assertThat(t.primary()).isEqualTo(1);
    assertThat(t.nextOrdinal()).isEqualTo(4);
    assertThat(t.replicas()).containsExactly(2, 3);
  }

  @Test
  void scalingOutAppendsNewOrdinals() {
    Topology t = Topology.initial(3).scaledTo(5);
    assertThat(t.members()).containsExactly(1, 2, 3, 4, 5);
    assertThat(t.nextOrdinal()).isEqualTo(6);
  }

  @Test
  void scalingInRemovesTheHighestNumberedReplicas() {
    Topology t = Topology.initial(5).scaledTo(2);
    assertThat(t.members()).containsExactly(1, 2);
    assertThat(t.primary()).isEqualTo(1);
  }

  @Test
  void scalingInNeverRemovesThePrimaryEvenWhenItHasTheHighestOrdinal() {
    Topology t = new Topology(List.of(1, 2, 3), 4, 3).scaledTo(1);
    assertThat(t.members()).containsExactly(3);
    assertThat(t.primary()).isEqualTo(3);
  }

  @Test
  void ordinalsAreNeverReusedAfterAScaleIn() {
    Topology t = Topology.initial(3).scaledTo(2).scaledTo(3);
    assertThat(t.members()).containsExactly(1, 2, 4);
    assertThat(t.nextOrdinal()).isEqualTo(5);
  }

  @Test
  void scalingToTheSameSizeChangesNothing() {
    Topology t = Topology.initial(3);
    assertThat(t.scaledTo(3)).isEqualTo(t);
  }

  @Test
  void refusesAPrimaryThatIsNotAMember() {
    assertThatThrownBy(() -> new Topology(List.of(1, 2), 3, 5)).hasMessageContaining("primary 5");
  }

  @Test
  void refusesZeroInstances() {
    assertThatThrownBy(() -> Topology.initial(3).scaledTo(0)).hasMessageContaining("at least 1");
  }
}
