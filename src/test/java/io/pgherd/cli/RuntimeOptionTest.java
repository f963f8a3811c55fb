package io.pgherd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgherd.swarm.SwarmManager;
import org.junit.jupiter.api.Test;

/** --runtime / PGHERD_RUNTIME: which runtime, and a clear refusal of swarm on an engine that is no manager. */
class RuntimeOptionTest {
  @Test
  void theOptionWinsOverTheEnvironmentAndAutoIsTheDefault() {
    assertThat(RuntimeOption.wanted(null, null)).isEqualTo(RuntimeOption.Kind.AUTO);
    assertThat(RuntimeOption.wanted(null, " ")).isEqualTo(RuntimeOption.Kind.AUTO);
    assertThat(RuntimeOption.wanted("auto", "swarm")).isEqualTo(RuntimeOption.Kind.AUTO);
    assertThat(RuntimeOption.wanted(null, "docker")).isEqualTo(RuntimeOption.Kind.DOCKER);
    assertThat(RuntimeOption.wanted(null, "swarm")).isEqualTo(RuntimeOption.Kind.SWARM);
    assertThat(RuntimeOption.wanted("Swarm", null)).isEqualTo(RuntimeOption.Kind.SWARM);
    assertThat(RuntimeOption.wanted("docker", "swarm")).isEqualTo(RuntimeOption.Kind.DOCKER);
  }

  @Test
  void autoIsTheSwarmOnAManagerUnlessTheEngineRunsClustersAsPlainContainers() {
    RuntimeOption.Auto manager = RuntimeOption.auto(SwarmManager.Role.MANAGER, java.util.List.of(), "unix:///x.sock");
    assertThat(manager.kind()).isEqualTo(RuntimeOption.Kind.SWARM);
    assertThat(manager.why()).contains("is a Swarm manager").contains("--runtime docker");
    RuntimeOption.Auto adopted = RuntimeOption.auto(SwarmManager.Role.MANAGER, java.util.List.of("demo", "shop"), "unix:///x.sock");
    assertThat(adopted.kind()).as("existing clusters are not made again as services").isEqualTo(RuntimeOption.Kind.DOCKER);
    assertThat(adopted.why()).contains("demo, shop as plain containers").contains("--runtime swarm");
    assertThat(RuntimeOption.auto(SwarmManager.Role.WORKER, java.util.List.of(), "h").kind()).isEqualTo(RuntimeOption.Kind.DOCKER);
    assertThat(RuntimeOption.auto(SwarmManager.Role.NOT_IN_A_SWARM, java.util.List.of(), "h").why()).contains("in no Swarm");
  }

  @Test
  void aBadValueIsRefusedNamingWhereItCameFrom() {
    assertThatThrownBy(() -> RuntimeOption.wanted("k8s", null)).isInstanceOf(Main.UserError.class)
        .hasMessage("--runtime: must be auto, docker or swarm, got 'k8s'");
    assertThatThrownBy(() -> RuntimeOption.wanted(null, "swam")).isInstanceOf(Main.UserError.class)
        .hasMessage(RuntimeOption.ENV + ": must be auto, docker or swarm, got 'swam'");
  }

  @Test
  void swarmNeedsAManagerAndSaysWhatTheEngineIsInstead() {
    assertThat(RuntimeOption.refusal(SwarmManager.Role.MANAGER, "unix:///x.sock")).isNull();
    assertThat(RuntimeOption.refusal(SwarmManager.Role.WORKER, "unix:///x.sock"))
        .contains("unix:///x.sock is a Swarm worker").contains("through a manager").endsWith("nothing was changed");
    assertThat(RuntimeOption.refusal(SwarmManager.Role.NOT_IN_A_SWARM, "unix:///x.sock"))
        .contains("is in no Swarm").contains("--runtime docker").endsWith("nothing was changed");
  }
}
