package io.pgherd.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The phase of a cluster that has been Healthy once is Degraded when something fails, never Creating again. */
class FakeClusterPhaseTest {
  @Test
  void aClusterHealthyOnceIsDegradedNotCreatingAfterAnOperatorThatHasNoStatusTakesOver(@TempDir Path dir)
      throws Exception {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.settle();
    assertThat(scene.home.healthyMarker(FakeClusterScene.CLUSTER)).exists();

    // an operator taking over on a Swarm restores the home without the statuses (SwarmHome.forgetStatuses)
    Files.delete(scene.home.statusFile(FakeClusterScene.CLUSTER));
    scene.restartOperator();
    scene.postgres.agents().stop("demo-3");
    scene.postgres.hang("demo-3", Duration.ofMillis(40));
    scene.clock.advance(Duration.ofSeconds(1));
    scene.pass();

    assertThat(scene.status().orElseThrow().getPhase()).isEqualTo("Degraded");
  }

  @Test
  void aNewClusterIsCreatingUntilHealthy(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.pass();
    assertThat(scene.status().orElseThrow().getPhase()).isEqualTo("Creating");
    assertThat(scene.home.healthyMarker(FakeClusterScene.CLUSTER)).doesNotExist();
  }
}
