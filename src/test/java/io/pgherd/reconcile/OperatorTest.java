package io.pgherd.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgherd.docker.DockerGateway;
import io.pgherd.store.Home;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OperatorTest {
  static final String SPEC = "apiVersion: pgherd.io/v1\nkind: PostgresCluster\nmetadata:\n  name: demo\n  generation: 1\n"
      + "spec:\n  instances: 3\n";

  @Test
  void theOperatorsOwnExecsDoNotWakeAClusterButContainerLifeEventsDo() {
    // actions as the Docker engine names them in its event stream
    assertThat(Operator.wakes("exec_create: sh -c echo 'show stat' | socat stdio /run/haproxy.sock")).isFalse();
    assertThat(Operator.wakes("exec_start: sh -c echo 'show stat' | socat stdio /run/haproxy.sock")).isFalse();
    assertThat(Operator.wakes("exec_die")).isFalse();
    assertThat(Operator.wakes("die")).isTrue();
    assertThat(Operator.wakes("start")).isTrue();
    assertThat(Operator.wakes("kill")).isTrue();
    assertThat(Operator.wakes("health_status: unhealthy")).isTrue();
  }

  @Test
  void anUnreachableDockerEngineIsReportedInStatusAndRetriedWithoutChangingTheStore(@TempDir Path dir) throws Exception {
    Home home = new Home(dir);
    home.writeSpec("demo", SPEC);
    try (DockerGateway docker = DockerGateway.connect("unix:///tmp/pgherd-no-such-docker.sock");
        Operator operator = new Operator(home, docker, Optional.empty())) {
      operator.start();
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        assertThat(home.readStatus("demo")).isPresent();
        assertThat(home.readStatus("demo").get().getMessage())
            .contains("Docker engine at unix:///tmp/pgherd-no-such-docker.sock is unreachable")
            .contains("retrying in");
      });
      assertThat(operator.isRunning()).isTrue();
    }
    assertThat(home.readSpec("demo")).contains(SPEC);
    assertThat(Files.exists(home.stateFile("demo"))).as("no intent recorded without observing").isFalse();
    assertThat(Files.exists(home.secretsDir("demo"))).isFalse();
  }

  @Test
  void onlyOneOperatorRunsPerHome(@TempDir Path dir) throws Exception {
    Home home = new Home(dir);
    try (DockerGateway docker = DockerGateway.connect("unix:///tmp/pgherd-no-such-docker.sock");
        Operator first = new Operator(home, docker, Optional.empty());
        Operator second = new Operator(home, docker, Optional.empty())) {
      first.start();
      assertThatThrownBy(second::start).hasMessageContaining("another pgherd operator is running on " + dir);
    }
  }

  @Test
  void theImageBuildsProgressIsTheImageAndItsDockerfileStep() {
    // lines as operator/build-images.sh prints them (docker build's output prefixed by its directory)
    assertThat(ImageBuilds.buildProgress("build-images: pgherd/postgres:15 <- operator/postgres (build hash 0123456789ab)"))
        .contains("pgherd/postgres:15: starting");
    assertThat(ImageBuilds.buildProgress("  [postgres] Step 3/11 : RUN set -eux;     printf '%s\\n' 'path-exclude=/usr/share/locale/*'"))
        .contains("postgres: step 3/11 RUN set -eux; printf '%s\\n' 'path-exclud…");
    assertThat(ImageBuilds.buildProgress("  [haproxy] Step 11/11 : ENTRYPOINT [\"/usr/bin/tini\"]"))
        .contains("haproxy: step 11/11 ENTRYPOINT [\"/usr/bin/tini\"]");
    assertThat(ImageBuilds.buildProgress("  [postgres]  ---> Using cache")).isEmpty();
    assertThat(ImageBuilds.buildProgress("build-images: done")).isEmpty();
  }
}
