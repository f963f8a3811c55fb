package io.pgherd.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An operator that lost its stored state finds the cluster's containers running. */
class FakeClusterAdoptionTest {

  @Test
  void withNoStoredStateTheRunningMembersAreAdoptedWithTheWritableOneAsPrimaryAndNothingIsChanged(@TempDir Path dir)
      throws IOException {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.converge();
    scene.engine.crash("pgherd-demo-1"); // the primary is demo-2 from now: not the lowest ordinal
    scene.passUntil("demo-1 rejoined", scene::rejoinedAndHealthy);
    assertThat(scene.state().primary()).isEqualTo(2);

    Files.delete(scene.home.stateFile(FakeClusterScene.CLUSTER));
    scene.restartOperator();
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();
    scene.pass();

    assertThat(scene.log().since(logMark).of("adopt")).singleElement().satisfies(e -> assertThat(e.reason())
        .isEqualTo("no stored state; adopted members demo-1, demo-2, demo-3 with primary demo-2 from what exists"
            + " in Docker"));
    assertThat(scene.state().primary()).isEqualTo(2);
    assertThat(scene.state().members()).containsExactly(1, 2, 3);

    scene.converge();
    List<String> h = scene.engine.historySince(mark);
    assertThat(h).as("nothing recreated, restarted or promoted").noneMatch(e -> e.startsWith("create ")
        || e.startsWith("remove") || e.startsWith("start ") || e.startsWith("stop ") || e.startsWith("kill ")
        || e.startsWith("restart ") || e.endsWith(" promote"));
    assertThat(scene.log().since(logMark).actions()).doesNotContain("create-cluster", "failover", "fence",
        "create-member", "recreate-member");
    assertThat(scene.status().orElseThrow().getPrimary()).isEqualTo("demo-2");
    assertThat(scene.postgres.streamingFrom("demo-1")).contains("pgherd-demo-2");
    assertThat(scene.postgres.streamingFrom("demo-3")).contains("pgherd-demo-2");
    assertThat(scene.postgres.splitBrains()).isEmpty();
  }
}
