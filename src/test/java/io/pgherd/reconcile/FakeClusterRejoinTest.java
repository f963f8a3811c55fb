package io.pgherd.reconcile;

import static io.pgherd.reconcile.FakeClusterScene.indexOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.fake.ActionLog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A former primary coming back after a failover: rewound, or, when it cannot follow, cloned again. */
class FakeClusterRejoinTest {

  @Test
  void aFormerPrimaryThatCannotFollowTheNewTimelineIsRemovedWithItsVolumeAfterTwentySecondsAndComesBackAsAClone(
      @TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.converge();
    scene.postgres.rewindSeesOldTimeline("demo-1"); // pg_rewind: "no rewind required"; it stays on timeline 1
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();

    scene.engine.crash("pgherd-demo-1");
    scene.passUntil("demo-1 back, unable to stream", () -> scene.engine.output("pgherd-demo-1").stream()
        .anyMatch(l -> l.contains("could not start WAL streaming") && l.contains("is not in the history")));
    assertThat(scene.state().rejoining()).containsExactly(1);
    mark = scene.engine.history().size(); // (the failover made its container again, the volume kept)
    assertThat(scene.postgres.timeline("demo-1")).isEqualTo(1);
    String newPrimary = scene.status().orElseThrow().getPrimary();
    for (int i = 0; i < 5; i++) {
      scene.pass();
    }
    scene.clock.advance(Duration.ofSeconds(20)); // the patience, not more
    scene.pass();

    assertThat(scene.log().since(logMark).has("rejoin-reclone")).as("not within 20 s").isFalse();
    assertThat(scene.engine.historySince(mark)).doesNotContain("remove pgherd-demo-1",
        "remove-volume pgherd-demo-1-data");
    assertThat(scene.engine.state("pgherd-demo-1")).contains("running");

    scene.clock.advance(Duration.ofMillis(1));
    scene.pass();

    ActionLog after = scene.log().since(logMark);
    assertThat(after.of("rejoin-reclone")).singleElement().satisfies(e -> {
      assertThat(e.warning()).isTrue();
      assertThat(e.reason()).isEqualTo("demo-1 is on timeline 1 (primary 2) and not streaming (null) after 20s:"
          + " its data cannot follow; removed to be cloned again");
    });
    List<String> h = scene.engine.historySince(mark);
    int removed = indexOf(h, "remove pgherd-demo-1");
    assertThat(removed).isNotNegative().isLessThan(indexOf(h, "remove-volume pgherd-demo-1-data"));

    scene.passUntil("demo-1 rejoined", scene::rejoinedAndHealthy);
    h = scene.engine.historySince(mark);
    assertThat(indexOf(h, "create pgherd-demo-1")).as("a new container").isGreaterThan(removed);
    assertThat(scene.log().of("rejoined")).last().satisfies(e -> assertThat(e.reason())
        .isEqualTo("demo-1 streams from " + newPrimary + " on timeline 2 after a new clone"));
    assertThat(scene.engine.output("pgherd-demo-1")).contains("pgherd-entrypoint: clone complete; standby.signal written")
        .noneMatch(l -> l.contains("rejoin:"));
    assertThat(scene.postgres.streamingFrom("demo-1")).contains("pgherd-" + newPrimary);
    assertThat(scene.postgres.timeline("demo-1")).isEqualTo(2);
    assertThat(scene.log().since(logMark).done()).containsSubsequence("failover", "promoted", "start-member",
        "create-member", "rejoined");
    assertThat(scene.postgres.splitBrains()).isEmpty();
  }
}
