package io.pgherd.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.model.Lsn;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replication slots beyond the primary's: what keeps a failover from costing a replica its clone. */
class FakeClusterSlotsTest {

  @Test
  void everyReplicaKeepsASlotForEachOtherReplicaSoThatAfterAFailoverNobodyIsClonedAgain(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.postgres.lagBehind("demo-3", 0x1000); // demo-3 needs WAL that demo-2, promoted, has already replayed
    scene.converge();
    scene.passUntil("each replica holds a slot for the other, at its position", () ->
        scene.postgres.slots("demo-2").contains("demo_3") && scene.postgres.slots("demo-3").contains("demo_2")
            && Lsn.parse(scene.postgres.lsn("demo-2")) > Lsn.parse(scene.postgres.lsn("demo-3")));

    List<String> h = scene.engine.history();
    assertThat(h).contains("sql pgherd-demo-2 create-slot demo_3", "sql pgherd-demo-3 create-slot demo_2");
    assertThat(scene.log().of("create-slot")).extracting(e -> e.reason())
        .contains("demo_3 on replica demo-2 (kept for a failover)", "demo_2 on replica demo-3 (kept for a failover)");
    assertThat(scene.postgres.slots("demo-2")).doesNotContain("demo_2");
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();

    scene.engine.crash("pgherd-demo-1");
    scene.passUntil("demo-1 rejoined", scene::rejoinedAndHealthy);

    assertThat(scene.state().primary()).isEqualTo(2);
    assertThat(scene.postgres.streamingFrom("demo-3")).contains("pgherd-demo-2");
    assertThat(scene.postgres.streamingFrom("demo-1")).contains("pgherd-demo-2");
    List<String> after = scene.engine.historySince(mark);
    assertThat(after).as("demo-3 streams through the slot demo-2 kept for it")
        .doesNotContain("sql pgherd-demo-2 create-slot demo_3");
    assertThat(after).as("nobody cloned again (the old primary's container is made again, its volume kept)")
        .noneMatch(e -> e.startsWith("create pgherd-demo-3") || e.startsWith("remove pgherd-demo-3")
            || e.startsWith("remove-volume "));
    assertThat(scene.log().since(logMark).actions()).doesNotContain("rejoin-reclone", "create-member",
        "remove-member");
    assertThat(scene.engine.output("pgherd-demo-3")).filteredOn(l -> l.contains("clone complete")).hasSize(1);
    assertThat(scene.engine.output("pgherd-demo-3")).noneMatch(l -> l.contains("has already been removed"));
    assertThat(scene.postgres.slots("demo-2")).contains("demo_1", "demo_3");
    assertThat(scene.postgres.splitBrains()).isEmpty();
  }
}
