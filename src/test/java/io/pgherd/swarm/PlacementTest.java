package io.pgherd.swarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Where a new member goes: ready, active nodes that meet the spec's constraints, one member of a cluster per node (pure). */
class PlacementTest {
  private static Placement.Node node(String id, String availability, String state, Map<String, String> labels) {
    return new Placement.Node(id, "host-" + id, "manager", availability, state, labels);
  }

  private static final Placement.Node A = node("a", "active", "ready", Map.of("db", "true"));
  private static final Placement.Node B = node("b", "active", "ready", Map.of("db", "true", "zone", "east"));
  private static final Placement.Node C = node("c", "active", "ready", Map.of());

  @Test
  void oneMemberPerNodeOnTheLeastLoadedThenTheLowestId() {
    assertThat(Placement.choose(List.of(C, B, A), List.of(), "demo", Set.of(), Map.of()).node()).contains("a");
    assertThat(Placement.choose(List.of(A, B, C), List.of(), "demo", Set.of("a"), Map.of()).node()).contains("b");
    assertThat(Placement.choose(List.of(A, B, C), List.of(), "demo", Set.of(), Map.of("a", 2, "b", 1)).node()).contains("c");
  }

  @Test
  void aFourthMemberOnThreeNodesWaitsAndTheReasonNamesEachNode() {
    Placement.Decision d = Placement.choose(List.of(A, B, C), List.of(), "demo", Set.of("a", "b", "c"), Map.of());
    assertThat(d.node()).isEmpty();
    assertThat(d.reason()).isEqualTo("no node for it (one member of a cluster per node): node a (host-a) runs a member of"
        + " demo already; node b (host-b) runs a member of demo already; node c (host-c) runs a member of demo already");
  }

  @Test
  void downDrainedPausedAndUnmatchedNodesAreOut() {
    Placement.Node down = node("d", "active", "down", Map.of("db", "true"));
    Placement.Node drained = node("e", "drain", "ready", Map.of("db", "true"));
    Placement.Node paused = node("f", "pause", "ready", Map.of("db", "true"));
    Placement.Decision d = Placement.choose(List.of(C, down, drained, paused), List.of("node.labels.db==true"), "demo",
        Set.of(), Map.of());
    assertThat(d.node()).isEmpty();
    assertThat(d.reason()).contains("node c (host-c) does not meet node.labels.db==true", "node d (host-d) is down",
        "node e (host-e) is drained", "node f (host-f) is paused");
    assertThat(Placement.choose(List.of(), List.of(), "demo", Set.of(), Map.of()).reason()).contains("lists no node");
  }

  @Test
  void constraintsReadAsSwarmReadsThem() {
    assertThat(Placement.meets(B, "node.labels.zone==east")).isTrue();
    assertThat(Placement.meets(B, "node.labels.zone == EAST")).isTrue(); // spaces and case, as swarmkit compares
    assertThat(Placement.meets(A, "node.labels.zone==east")).isFalse(); // no such label: equal to nothing
    assertThat(Placement.meets(A, "node.labels.zone!=east")).isTrue();
    assertThat(Placement.meets(A, "node.role==manager")).isTrue();
    assertThat(Placement.meets(A, "node.role!=manager")).isFalse();
    assertThat(Placement.meets(A, "node.id==a")).isTrue();
    assertThat(Placement.meets(A, "node.hostname==host-a")).isTrue();
    assertThatThrownBy(() -> Placement.meets(A, "db")).hasMessageContaining("not a constraint: db");
  }

  @Test
  void badConstraintsAreNamedBeforeAnythingIsPlaced() {
    assertThat(io.pgherd.api.PlacementConstraints.problems(List.of("node.labels.db==true", "node.role != worker"))).isEmpty();
    assertThat(io.pgherd.api.PlacementConstraints.problems(List.of("db=true", "engine.labels.x==y", "node.labels.==x"))).containsExactly(
        "'db=true' is not a constraint: expected KEY==VALUE or KEY!=VALUE, e.g. node.labels.db==true",
        "'engine.labels.x==y': pgherd places by node.id, node.hostname, node.role and node.labels.<label>, not engine.labels.x",
        "'node.labels.==x': pgherd places by node.id, node.hostname, node.role and node.labels.<label>, not node.labels.");
  }
}
