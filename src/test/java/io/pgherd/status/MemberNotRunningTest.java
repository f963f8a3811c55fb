package io.pgherd.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.runtime.ContainerInfo;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MemberNotRunningTest {
  private static ContainerInfo member(String state, String status, String node) {
    return new ContainerInfo("id", "pgherd-demo-2", "pgherd/postgres:15", state, status, Map.of(), Map.of(), 0, Set.of(),
        node);
  }

  @Test
  void aSwarmMemberSaysWhyItDoesNotRunAndOneOnOneEngineItsState() {
    assertThat(StatusReport.notRunning(member("created", "waiting for a node: its node n1 is drained", "n1")))
        .isEqualTo("waiting for a node: its node n1 is drained");
    assertThat(StatusReport.notRunning(member("exited", "rejected: No such image: pgherd/postgres:15", "n2")))
        .isEqualTo("exited (rejected: No such image: pgherd/postgres:15)");
    assertThat(StatusReport.notRunning(member("exited", "complete", "n2"))).isEqualTo("exited");
    assertThat(StatusReport.notRunning(member("exited", "Exited (137) 3 seconds ago", null))).isEqualTo("exited");
  }
}
