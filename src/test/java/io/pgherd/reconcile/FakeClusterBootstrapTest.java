package io.pgherd.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.fake.ActionLog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
    List<String> phases = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      if (i == 3) {
        scene.restartOperator(); // what keeps it from being considered again is in the home, not in the process
      }
      scene.clock.advance(Duration.ofSeconds(1));
      scene.pass();
      phases.add(scene.status().orElseThrow().getPhase());
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
    assertThat(phases).as("serving at every pass").containsOnly("Healthy");
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
