package io.pgherd.swarm;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.swarm.PrimaryPlacement.Cluster;
import io.pgherd.swarm.PrimaryPlacement.Member;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrimaryPlacementTest {
  private static final Instant NOW = Instant.parse("2026-12-07T15:00:00Z");

  private static Cluster cluster(String name, String phase, String primaryNode, String... replicaNodes) {
    List<Member> members = new java.util.ArrayList<>(List.of(new Member(name + "-1", "primary", "running", primaryNode)));
    for (int i = 0; i < replicaNodes.length; i++) {
      members.add(new Member(name + "-" + (i + 2), "replica", "streaming", replicaNodes[i]));
    }
    return new Cluster(name, phase, NOW.minusSeconds(61), members);
  }

  @Test
  void aPrimaryOnTheRaftLeadersNodeMovesToAReplicaElsewhereAwayFromTheActingOperator() {
    var move = PrimaryPlacement.move("A", "B", true, List.of(cluster("demo", "Healthy", "A", "B", "C")), Map.of(), NOW);
    assertThat(move).isPresent();
    assertThat(move.get().cluster()).isEqualTo("demo");
    assertThat(move.get().to()).isEqualTo("demo-3"); // on C: B runs the acting operator
    assertThat(move.get().why()).contains("node A, the Swarm's raft leader", "demo-3 on node C");
  }

  @Test
  void nothingMovesWhenThePrimaryIsElsewhereOrAnyClusterIsNotHealthy() {
    assertThat(PrimaryPlacement.move("A", "C", true, List.of(cluster("demo", "Healthy", "B", "A", "C")), Map.of(), NOW))
        .isEmpty();
    assertThat(PrimaryPlacement.move("A", "C", true, List.of(cluster("demo", "Healthy", "A", "B", "C"),
        cluster("other", "Degraded", "B", "C")), Map.of(), NOW)).isEmpty();
    assertThat(PrimaryPlacement.move(null, "C", true, List.of(cluster("demo", "Healthy", "A", "B")), Map.of(), NOW)).isEmpty();
  }

  @Test
  void onlyAStreamingReplicaOnAnotherNodeIsATarget() {
    Cluster lagging = new Cluster("demo", "Healthy", NOW.minusSeconds(61), List.of(new Member("demo-1", "primary", "running", "A"),
        new Member("demo-2", "replica", "catching up", "B"), new Member("demo-3", "replica", "streaming", "A")));
    assertThat(PrimaryPlacement.move("A", "C", true, List.of(lagging), Map.of(), NOW)).isEmpty();
    // the operator's node when it is the only one
    assertThat(PrimaryPlacement.move("A", "B", true, List.of(cluster("demo", "Healthy", "A", "B")), Map.of(), NOW).get().to())
        .isEqualTo("demo-2");
  }

  @Test
  void nothingMovesWhileANodeIsAwayOrBeforeEveryClusterHasBeenHealthyForAMinute() {
    List<Cluster> clusters = List.of(cluster("demo", "Healthy", "A", "B", "C"));
    assertThat(PrimaryPlacement.move("A", "B", false, clusters, Map.of(), NOW)).isEmpty();
    Cluster justHealed = new Cluster("demo", "Healthy", NOW.minusSeconds(30), clusters.get(0).members());
    assertThat(PrimaryPlacement.move("A", "B", true, List.of(justHealed), Map.of(), NOW)).isEmpty();
    assertThat(PrimaryPlacement.move("A", "B", true, List.of(justHealed), Map.of(), NOW.plusSeconds(31))).isPresent();
    Cluster unknown = new Cluster("demo", "Healthy", null, clusters.get(0).members());
    assertThat(PrimaryPlacement.move("A", "B", true, List.of(unknown), Map.of(), NOW)).isEmpty();
  }

  @Test
  void aClustersPrimaryIsMovedAtMostOnceInAWhileWhateverPutItOnTheLeadersNode() {
    List<Cluster> clusters = List.of(cluster("demo", "Healthy", "A", "B", "C")); // demo-1 the primary, on A
    assertThat(PrimaryPlacement.move("A", "B", true, clusters, Map.of("demo", NOW.minusSeconds(60)), NOW))
        .as("moved a minute ago (its status may predate the move, or an election followed it)").isEmpty();
    assertThat(PrimaryPlacement.move("A", "B", true, clusters,
        Map.of("demo", NOW.minus(PrimaryPlacement.AGAIN_AFTER).minusSeconds(1)), NOW))
        .as("the raft leader elected onto the node it was moved to: moved again").isPresent();
    assertThat(PrimaryPlacement.move("A", "B", true, List.of(clusters.get(0), cluster("other", "Healthy", "A", "C", "B")),
        Map.of("demo", NOW.minusSeconds(60)), NOW)).as("another cluster is not held back")
        .hasValueSatisfying(m -> assertThat(m.cluster()).isEqualTo("other"));
  }

  @Test
  void aTargetOnANodeWithoutAPrimaryIsPreferred() {
    List<Cluster> clusters = List.of(cluster("a", "Healthy", "A", "B", "C"), cluster("b", "Healthy", "B", "A", "C"));
    assertThat(PrimaryPlacement.move("A", "D", true, clusters, Map.of(), NOW).get().to()).isEqualTo("a-3"); // C runs none
  }
}
