package io.pgherd.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.fake.ActionLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `pgherd delete [--purge]`: what goes and what stays. */
class FakeClusterDeleteTest {
  private static final List<String> VOLUMES = List.of("pgherd-demo-1-data", "pgherd-demo-2-data",
      "pgherd-demo-3-data");

  @Test
  void aDeleteRemovesTheContainersAndTheNetworkAndKeepsTheVolumesAndSecrets(@TempDir Path dir) throws IOException {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.converge();
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();

    scene.requestDelete(false);
    FakeClusterScene.TimedPass pass = scene.timedPass();

    assertThat(pass.done()).as("the cluster is not reconciled any more").isTrue();
    assertThat(scene.engine.containerNames()).isEmpty();
    assertThat(scene.engine.networkNames()).isEmpty();
    assertThat(scene.engine.volumeNames()).containsExactlyInAnyOrderElementsOf(VOLUMES);
    List<String> h = scene.engine.historySince(mark);
    assertThat(h).filteredOn(e -> e.startsWith("remove pgherd-")).containsExactlyInAnyOrder("remove pgherd-demo-1",
        "remove pgherd-demo-2", "remove pgherd-demo-3", "remove pgherd-demo-lb");
    assertThat(h).last().isEqualTo("remove-network pgherd-demo");
    assertThat(h).noneMatch(e -> e.startsWith("remove-volume"));
    ActionLog after = scene.log().since(logMark);
    assertThat(after.of("delete")).singleElement().satisfies(e -> assertThat(e.reason())
        .startsWith("removed containers [").contains("pgherd-demo-lb").contains("and network pgherd-demo")
        .endsWith("; kept volumes " + VOLUMES));
    assertThat(scene.home.readSpec(FakeClusterScene.CLUSTER)).isEmpty();
    assertThat(Files.exists(scene.home.stateFile(FakeClusterScene.CLUSTER))).isFalse();
    assertThat(Files.exists(scene.home.deleteRequest(FakeClusterScene.CLUSTER))).as("answered").isFalse();
    assertThat(secrets(scene)).isNotEmpty();
  }

  @Test
  void aDeleteWithPurgeRemovesTheVolumesAndSecretsToo(@TempDir Path dir) throws IOException {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.converge();
    int mark = scene.engine.history().size();

    scene.requestDelete(true);
    FakeClusterScene.TimedPass pass = scene.timedPass();

    assertThat(pass.done()).isTrue();
    assertThat(scene.engine.containerNames()).isEmpty();
    assertThat(scene.engine.networkNames()).isEmpty();
    assertThat(scene.engine.volumeNames()).isEmpty();
    List<String> h = scene.engine.historySince(mark);
    int network = h.indexOf("remove-network pgherd-demo");
    for (String v : VOLUMES) {
      assertThat(h.indexOf("remove-volume " + v)).as(v + " after its container").isGreaterThan(network);
    }
    assertThat(h).noneMatch(e -> e.endsWith("[failed: in use]"));
    assertThat(scene.log().of("delete")).singleElement().satisfies(e -> assertThat(e.reason())
        .endsWith("; purged volumes " + VOLUMES + " and secrets"));
    assertThat(secrets(scene)).isEmpty();
  }

  private static List<Path> secrets(FakeClusterScene scene) throws IOException {
    Path secrets = scene.home.secretsDir(FakeClusterScene.CLUSTER);
    if (!Files.isDirectory(secrets)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(secrets)) {
      return files.toList();
    }
  }
}
