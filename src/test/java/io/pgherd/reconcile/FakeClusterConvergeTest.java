package io.pgherd.reconcile;

import static io.pgherd.reconcile.FakeClusterScene.firstStartingWith;
import static io.pgherd.reconcile.FakeClusterScene.indexOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.api.MemberStatus;
import io.pgherd.api.PostgresClusterStatus;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A new cluster and changes of its size, against the fake engine: what is created or removed, in which order. */
class FakeClusterConvergeTest {

  @Test
  void aNewThreeMemberClusterConvergesWithThePrimaryFirstAndEachReplicasSlotBeforeTheReplica(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);

    scene.converge();

    List<String> h = scene.engine.history();
    int network = indexOf(h, "ensure-network pgherd-demo");
    int primaryCreated = indexOf(h, "create pgherd-demo-1");
    int primaryStarted = indexOf(h, "start pgherd-demo-1");
    int firstReplicaCall = Math.min(firstStartingWith(h, "create pgherd-demo-2"),
        firstStartingWith(h, "create pgherd-demo-3"));
    assertThat(network).as("the network before any container").isNotNegative().isLessThan(primaryCreated);
    assertThat(primaryCreated).isLessThan(primaryStarted);
    assertThat(primaryStarted).as("the primary runs before any replica is created").isLessThan(firstReplicaCall);
    for (String replica : List.of("2", "3")) {
      int slot = indexOf(h, "sql pgherd-demo-1 create-slot demo_" + replica);
      assertThat(slot).as("slot demo_" + replica + " on the primary").isNotNegative()
          .isLessThan(indexOf(h, "create pgherd-demo-" + replica));
      assertThat(indexOf(h, "create pgherd-demo-" + replica)).isLessThan(indexOf(h, "start pgherd-demo-" + replica));
    }
    assertThat(h).contains("create pgherd-demo-lb", "start pgherd-demo-lb");
    assertThat(h).as("every name created once").filteredOn(e -> e.startsWith("create pgherd-"))
        .containsExactlyInAnyOrder("create pgherd-demo-1", "create pgherd-demo-2", "create pgherd-demo-3",
            "create pgherd-demo-lb");

    PostgresClusterStatus status = scene.status().orElseThrow();
    assertThat(status.getPhase()).isEqualTo("Healthy");
    assertThat(status.getPrimary()).isEqualTo("demo-1");
    assertThat(status.getTimeline()).isEqualTo(1L);
    assertThat(status.getMembers()).extracting(MemberStatus::getName, MemberStatus::getRole, MemberStatus::getState)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("demo-1", "primary", "running"),
            org.assertj.core.groups.Tuple.tuple("demo-2", "replica", "streaming"),
            org.assertj.core.groups.Tuple.tuple("demo-3", "replica", "streaming"));
    assertThat(status.getEndpoints().getReadWriteServers()).extracting(s -> s.getMember() + " " + s.getState())
        .containsExactly("demo-1 UP");

    assertThat(scene.log().done()).containsSubsequence("create-cluster", "create-network", "create-member",
        "create-lb", "create-slot", "create-member");
    assertThat(scene.log().of("create-member")).hasSize(3);
    assertThat(scene.postgres.slots("demo-1")).containsExactlyInAnyOrder("demo_2", "demo_3");
    assertThat(scene.postgres.streamingFrom("demo-2")).contains("pgherd-demo-1");
    assertThat(scene.postgres.streamingFrom("demo-3")).contains("pgherd-demo-1");
    assertThat(scene.engine.output("pgherd-demo-2")).contains("pgherd-entrypoint: clone complete; standby.signal written");
    assertThat(scene.postgres.splitBrains()).isEmpty();
  }

  @Test
  void scalingOutCreatesTheNewMembersSlotFirstAndScalingInRemovesItsContainerVolumeAndSlots(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 2);
    scene.converge();
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();

    scene.apply(FakeClusterScene.spec(3));
    scene.passUntil("three members streaming", () -> scene.healthy()
        && scene.status().orElseThrow().getMembers().size() == 3);

    List<String> h = scene.engine.historySince(mark);
    int slot = indexOf(h, "sql pgherd-demo-1 create-slot demo_3");
    assertThat(slot).isNotNegative().isLessThan(indexOf(h, "create pgherd-demo-3"));
    assertThat(indexOf(h, "create pgherd-demo-3")).isLessThan(indexOf(h, "start pgherd-demo-3"));
    assertThat(scene.log().since(logMark).done()).containsSubsequence("scale", "create-slot", "create-member");
    assertThat(scene.log().of("scale").get(0).reason()).isEqualTo("2 → 3 members (spec.instances); adding demo-3");
    assertThat(scene.postgres.streamingFrom("demo-3")).contains("pgherd-demo-1");
    assertThat(scene.status().orElseThrow().getObservedGeneration()).isEqualTo(2L);

    mark = scene.engine.history().size();
    logMark = scene.log().size();
    scene.apply(FakeClusterScene.spec(2));
    scene.passUntil("back to two members", () -> scene.healthy()
        && scene.status().orElseThrow().getMembers().size() == 2
        && !scene.postgres.slots("demo-1").contains("demo_3"));

    h = scene.engine.historySince(mark);
    int removed = indexOf(h, "remove pgherd-demo-3");
    assertThat(removed).isNotNegative().isLessThan(indexOf(h, "remove-volume pgherd-demo-3-data"));
    assertThat(indexOf(h, "sql pgherd-demo-1 drop-slot demo_3")).as("dropped once its user is gone")
        .isGreaterThan(removed);
    assertThat(h).noneMatch(e -> e.contains("pgherd-demo-1") && (e.startsWith("remove") || e.startsWith("kill")
        || e.startsWith("stop")));
    assertThat(scene.engine.containerNames()).doesNotContain("pgherd-demo-3");
    assertThat(scene.engine.volumeNames()).doesNotContain("pgherd-demo-3-data").contains("pgherd-demo-2-data");
    assertThat(scene.postgres.slots("demo-1")).containsExactly("demo_2");
    assertThat(scene.log().since(logMark).done()).containsSubsequence("scale", "remove-member", "drop-slot");
    assertThat(scene.log().of("remove-member")).singleElement().satisfies(e -> assertThat(e.reason())
        .startsWith("demo-3: not in the spec any more (scale-in)"));
    assertThat(scene.postgres.splitBrains()).isEmpty();
  }

  @Test
  void aMemberThatCannotRunYetIsStartedEveryPassButSaidOncePerState(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.converge();
    String waiting = "waiting for a node: its node n3 is drained (its data is there)";
    scene.engine.hold("pgherd-demo-3", waiting); // as a Swarm member whose node is drained
    scene.engine.crash("pgherd-demo-3");
    for (int i = 0; i < 6; i++) {
      scene.pass();
    }
    assertThat(scene.engine.history()).filteredOn(e -> e.startsWith("start pgherd-demo-3 [held"))
        .as("started every pass: the node may be back").hasSizeGreaterThanOrEqualTo(5);
    assertThat(scene.log().of("start-member")).extracting(e -> e.reason())
        .filteredOn(r -> r.startsWith("demo-3: ")).as("said once per state")
        .containsExactly("demo-3: container was exited (Exited (137))", "demo-3: container was created (" + waiting + ")");
    assertThat(scene.status().orElseThrow().getMembers().get(2).getState()).contains(waiting);

    scene.engine.hold("pgherd-demo-3", null); // the node is back
    scene.passUntil("demo-3 streams again", scene::healthy);
    scene.engine.hold("pgherd-demo-3", waiting);
    scene.engine.crash("pgherd-demo-3");
    for (int i = 0; i < 3; i++) {
      scene.pass();
    }
    assertThat(scene.log().of("start-member")).extracting(e -> e.reason())
        .filteredOn(r -> r.equals("demo-3: container was created (" + waiting + ")")).as("a new stop is said again").hasSize(2);
  }
}
