package io.pgherd.reconcile;

import static io.pgherd.reconcile.FakeClusterScene.indexOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.api.MemberStatus;
import io.pgherd.fake.ActionLog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica cut off for longer than its slot may hold WAL (max_slot_wal_keep_size): the primary
 * gives the slot up instead of filling its disk, and the operator clones the replica again.
 */
class FakeClusterLostSlotTest {
  static final long MB = 1L << 20;

  private static FakeClusterScene scene(Path dir) {
    return new FakeClusterScene(dir, FakeClusterScene.withParameters(FakeClusterScene.spec(3),
        "max_slot_wal_keep_size", "64MB"));
  }

  private static MemberStatus memberStatus(FakeClusterScene scene, String member) {
    return scene.status().orElseThrow().getMembers().stream().filter(m -> m.getName().equals(member))
        .findFirst().orElseThrow();
  }

  @Test
  void aReplicaWhoseSlotThePrimaryGaveUpIsClonedAgainAndTheLogAndStatusSayWhy(@TempDir Path dir) {
    FakeClusterScene scene = scene(dir);
    scene.converge();
    scene.passUntil("demo-2 keeps a slot for demo-3", () -> scene.postgres.slots("demo-2").contains("demo_3"));
    assertThat(scene.postgres.setting("demo-1", "max_slot_wal_keep_size")).contains("64MB");

    scene.engine.pause("pgherd-demo-3"); // cut off: it receives nothing, and its slots stand still
    scene.postgres.write("demo-1", 65 * MB);
    scene.postgres.step(); // demo-2 receives it
    scene.postgres.checkpoint("demo-1"); // WAL past 64MB behind: demo-3's slot given up, its WAL removed
    scene.postgres.checkpoint("demo-2"); // its restartpoint gives up its copy of demo-3's slot too
    assertThat(scene.postgres.slotWalStatus("demo-1", "demo_3")).contains("lost");
    assertThat(scene.postgres.slotWalStatus("demo-1", "demo_2")).contains("reserved");
    assertThat(scene.postgres.slotWalStatus("demo-2", "demo_3")).contains("lost");
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();
    for (int i = 0; i < 3; i++) {
      scene.pass();
    }
    assertThat(scene.log().since(logMark).has("reclone")).as("not while it does not run").isFalse();
    assertThat(scene.engine.historySince(mark)).doesNotContain("remove pgherd-demo-3");

    scene.engine.unpause("pgherd-demo-3");
    scene.passUntil("demo-3 re-cloned", () -> scene.log().since(logMark).has("reclone"));

    assertThat(scene.engine.output("pgherd-demo-3")).as("the old container's log is gone with it").isEmpty();
    ActionLog after = scene.log().since(logMark);
    assertThat(after.of("reclone")).singleElement().satisfies(e -> {
      assertThat(e.warning()).isTrue();
      assertThat(e.reason()).isEqualTo("replication slot demo_3 invalidated on the primary demo-1 (the WAL it held"
          + " went past max_slot_wal_keep_size = 64MB): demo-3 cannot catch up (\"requested WAL segment ..."
          + " has already been removed\") and replicas read no WAL from the archive: re-cloning demo-3"
          + " (container and data volume removed; the slot dropped, made again before the clone)");
    });
    List<String> h = scene.engine.historySince(mark);
    int dropped = indexOf(h, "sql pgherd-demo-1 drop-slot demo_3");
    int removed = indexOf(h, "remove pgherd-demo-3");
    // the slot last: an operator stopped before that finds the replica again by its lost slot
    assertThat(removed).isNotNegative().isLessThan(indexOf(h, "remove-volume pgherd-demo-3-data"));
    assertThat(indexOf(h, "remove-volume pgherd-demo-3-data")).isLessThan(dropped);
    MemberStatus recloned = memberStatus(scene, "demo-3");
    assertThat(recloned.getLastReclone()).isNotNull();
    assertThat(recloned.getLastReclone().reason()).startsWith("replication slot demo_3 invalidated on the primary demo-1")
        .contains("max_slot_wal_keep_size = 64MB");
    assertThat(recloned.getLastReclone().at()).isEqualTo(scene.clock.instant().truncatedTo(
        java.time.temporal.ChronoUnit.SECONDS).toString());

    scene.passUntil("healthy with demo-3 streaming", () -> scene.healthy()
        && scene.postgres.streamingFrom("demo-3").isPresent());
    h = scene.engine.historySince(mark);
    assertThat(indexOf(h, "sql pgherd-demo-1 create-slot demo_3")).as("a new slot, then the new clone")
        .isGreaterThan(removed).isLessThan(FakeClusterScene.firstStartingWith(h, "create pgherd-demo-3"));
    assertThat(scene.engine.output("pgherd-demo-3")).contains("pgherd-entrypoint: clone complete; standby.signal written");
    assertThat(scene.postgres.streamingFrom("demo-3")).contains("pgherd-demo-1");
    assertThat(scene.postgres.slotWalStatus("demo-1", "demo_3")).contains("reserved");
    assertThat(scene.log().since(logMark).actions()).containsSubsequence("reclone", "create-slot", "create-member");
    assertThat(memberStatus(scene, "demo-3").getLastReclone()).as("still said once it streams again")
        .isEqualTo(recloned.getLastReclone());
    assertThat(memberStatus(scene, "demo-2").getLastReclone()).isNull();
    scene.restartOperator(); // a Swarm's standby taking over restores the state, not the last operator's memory
    scene.pass();
    assertThat(memberStatus(scene, "demo-3").getLastReclone()).as("said by the operator after it too")
        .isEqualTo(recloned.getLastReclone());

    scene.passUntil("demo-2's copy of demo-3's slot made again", () ->
        scene.postgres.slotWalStatus("demo-2", "demo_3").orElse("").equals("reserved"));
    assertThat(scene.log().since(logMark).of("drop-slot")).extracting(ActionLog.Entry::reason)
        .contains("demo_3 on replica demo-2: invalidated (it held more than max_slot_wal_keep_size of WAL); made again");
    assertThat(scene.engine.historySince(mark)).doesNotContain("remove pgherd-demo-2", "remove pgherd-demo-1");
    assertThat(scene.postgres.splitBrains()).isEmpty();
  }

  @Test
  void aReplicaThatDoesNotSayWhyItCannotStreamThroughItsLostSlotIsClonedAgainAfterThirtySeconds(@TempDir Path dir) {
    FakeClusterScene scene = scene(dir);
    scene.converge();
    scene.postgres.refuseStreaming("demo-2", true); // "connection refused": its log never says the WAL is gone
    scene.passUntil("demo-2 not streaming", () -> scene.postgres.streamingFrom("demo-2").isEmpty());
    scene.postgres.write("demo-1", 65 * MB);
    scene.postgres.step(); // demo-3 receives it
    scene.postgres.checkpoint("demo-1");
    assertThat(scene.postgres.slotWalStatus("demo-1", "demo_2")).contains("lost");
    assertThat(scene.postgres.slotWalStatus("demo-1", "demo_3")).contains("reserved");
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();

    scene.pass();
    scene.clock.advance(Duration.ofSeconds(30)); // the patience, not more
    scene.pass();
    assertThat(scene.log().since(logMark).has("reclone")).as("not within 30 s").isFalse();
    assertThat(scene.engine.historySince(mark)).doesNotContain("remove pgherd-demo-2");
    assertThat(memberStatus(scene, "demo-2").getState()).isEqualTo("not streaming (slot demo_2 invalidated on demo-1)");

    scene.clock.advance(Duration.ofMillis(1));
    scene.pass();
    assertThat(scene.log().since(logMark).of("reclone")).singleElement().satisfies(e -> assertThat(e.reason())
        .contains("demo-2 has not streamed for 30s and replicas read no WAL from the archive: re-cloning demo-2"));
    assertThat(scene.engine.historySince(mark)).contains("remove pgherd-demo-2", "remove-volume pgherd-demo-2-data");

    scene.postgres.refuseStreaming("demo-2", false);
    scene.passUntil("healthy with demo-2 streaming", () -> scene.healthy()
        && scene.postgres.streamingFrom("demo-2").isPresent());
    assertThat(memberStatus(scene, "demo-2").getLastReclone().reason()).contains("has not streamed for 30s");
  }
}
