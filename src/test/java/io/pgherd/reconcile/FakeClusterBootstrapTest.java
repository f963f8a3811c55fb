package io.pgherd.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.fake.ActionLog;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** spec.bootstrap.recovery only ever creates a cluster: added to one that has members, it is ignored. */
class FakeClusterBootstrapTest {
  private static String withBootstrapRecovery(String spec) {
    return spec + """
          bootstrap:
            recovery:
              from:
                cluster: elsewhere
        """;
  }

  @Test
  void bootstrapRecoveryAddedToAClusterThatHasMembersIsIgnoredWithOneWarningAndTheClusterGoesOnServing(
      @TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.settle();
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();

    scene.apply(withBootstrapRecovery(FakeClusterScene.spec(3)));
    scene.passUntil("bootstrap-ignored logged", () -> scene.log().since(logMark).has("bootstrap-ignored"), 3);
    for (int i = 0; i < 3; i++) {
      scene.clock.advance(Duration.ofSeconds(1));
      scene.pass();
    }
    scene.restartOperator(); // what keeps it from being considered again is in the home, not in the process
    for (int i = 0; i < 3; i++) {
      scene.clock.advance(Duration.ofSeconds(1));
      scene.pass();
    }

    ActionLog after = scene.log().since(logMark);
    assertThat(after.entries()).singleElement().satisfies(e -> {
      assertThat(e.action()).isEqualTo("bootstrap-ignored");
      assertThat(e.warning()).isTrue();
      assertThat(e.reason()).isEqualTo("spec.bootstrap.recovery is ignored: demo already has members or volumes"
          + " (bootstrap applies when a cluster is created; use `pgherd restore` on an existing one)");
    });
    assertThat(scene.engine.historySince(mark)).as("no mutating call but the steady ones")
        .allMatch(FakeClusterScene::steady);
    assertThat(scene.healthy()).isTrue();
    assertThat(scene.status().orElseThrow().getObservedGeneration()).isEqualTo(2L);
    assertThat(scene.status().orElseThrow().getPrimary()).isEqualTo("demo-1");
    assertThat(scene.state().primary()).isEqualTo(1);
    assertThat(scene.home.restoredMarker(FakeClusterScene.CLUSTER)).hasContent(
        "nothing: the cluster existed before spec.bootstrap was set");
    assertThat(scene.home.root().resolve("restore").resolve("demo")).doesNotExist();
    assertThat(scene.postgres.acceptsWrites("demo-1")).isTrue();
    assertThat(scene.postgres.timeline("demo-1")).isEqualTo(1);
    assertThat(scene.postgres.streamingFrom("demo-2")).contains("pgherd-demo-1");
    assertThat(scene.postgres.streamingFrom("demo-3")).contains("pgherd-demo-1");
  }
}
