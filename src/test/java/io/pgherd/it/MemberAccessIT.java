package io.pgherd.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgherd.docker.DockerGateway;
import io.pgherd.runtime.MemberAccess;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;

/**
 * How pgherd decides to reach members, against a real engine: a container on a bridge network
 * (network: joins and leaves cluster networks), one with host networking (ports), and a process
 * in a container this engine does not run (this CI sandbox or a VM: ports, when auto).
 */
class MemberAccessIT {
  static final String BRIDGED = "pgherd-it-access-bridged";
  static final String HOSTNET = "pgherd-it-access-hostnet";
  static final String NETWORK = "pgherd-it-access-net";
  static DockerGateway docker;
  /** Named: the tests give pgherd the container's name, as a user does (PGHERD_CONTAINER). */
  static GenericContainer<?> bridged;
  static GenericContainer<?> hostnet;

  @BeforeAll
  static void start() throws Exception {
    ItSupport.buildImages();
    ItSupport.removeLeftoverHelpers();
    docker = DockerGateway.connect();
    docker.removeNetwork(NETWORK);
    bridged = ItSupport.helper(BRIDGED);
    bridged.start();
    hostnet = ItSupport.helper(HOSTNET).withNetworkMode("host");
    hostnet.start();
    docker.ensureNetwork(NETWORK, Map.of());
  }

  @AfterAll
  static void stop() throws Exception {
    for (GenericContainer<?> c : java.util.Arrays.asList(bridged, hostnet)) {
      if (c != null) {
        c.stop();
      }
    }
    if (docker != null) {
      docker.removeNetwork(NETWORK);
      docker.close();
    }
  }

  static MemberAccess.Surroundings in(String container) {
    return new MemberAccess.Surroundings(Map.of(MemberAccess.ENV_SELF, container), true, "", container);
  }

  @Test
  void aContainerOnABridgeNetworkReachesMembersOverTheClusterNetworkItJoinsAndLeaves() {
    MemberAccess access = MemberAccess.detect(docker, in(BRIDGED), null);
    assertThat(access.mode()).isEqualTo(MemberAccess.Mode.NETWORK);
    String id = docker.networking(BRIDGED).orElseThrow().id();
    assertThat(access.self()).isEqualTo(id);
    assertThat(access.join(docker, NETWORK)).as("joined now").isTrue();
    assertThat(docker.networking(BRIDGED).orElseThrow().networks()).contains(NETWORK);
    assertThat(access.join(docker, NETWORK)).as("already on it").isFalse();
    access.leave(docker, NETWORK);
    assertThat(docker.networking(BRIDGED).orElseThrow().networks()).doesNotContain(NETWORK);
  }

  @Test
  void aContainerWithHostNetworkingUsesThePublishedPorts() {
    assertThat(MemberAccess.detect(docker, in(HOSTNET), null).mode()).isEqualTo(MemberAccess.Mode.PORTS);
    assertThatThrownBy(() -> MemberAccess.detect(docker, in(HOSTNET), "network"))
        .isInstanceOf(MemberAccess.Unusable.class).hasMessageContaining("has host networking; use ports");
  }

  @Test
  void aContainerThisEngineDoesNotRunUsesThePublishedPortsUnlessNetworkIsAskedFor() {
    // e.g. a CI sandbox that is itself a container (/.dockerenv, hostname "vm") running dockerd inside
    var sandbox = new MemberAccess.Surroundings(Map.of(), true, "", "pgherd-it-no-such-container");
    assertThat(MemberAccess.detect(docker, sandbox, null).mode()).isEqualTo(MemberAccess.Mode.PORTS);
    assertThatThrownBy(() -> MemberAccess.detect(docker, sandbox, "network"))
        .isInstanceOf(MemberAccess.Unusable.class).hasMessageContaining("has no container pgherd-it-no-such-container");
    // and this very process, wherever the tests run: the published ports (every other IT relies on it)
    assertThat(MemberAccess.detect(docker).mode()).isEqualTo(MemberAccess.Mode.PORTS);
  }
}
