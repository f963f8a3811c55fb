package io.pgherd.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgherd.docker.DockerGateway;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MemberAccessTest {
  static final String ID = "b945d4c8901db0480d833e7e2374a1a3eb219b8cd2e87aecde025d5766a27c71";

  static String resource(String name) throws IOException {
    try (var in = MemberAccessTest.class.getResourceAsStream("/docker/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static ContainerInfo member(String state, Map<Integer, Integer> ports, Set<String> networks) {
    return new ContainerInfo("abc", "pgherd-demo-2", "pgherd/postgres:15", state, "", Map.of(), ports, 0, networks);
  }

  @Test
  void theOwnContainerIsTheOneWhoseHostnameFileIsMountedAtEtcHostname() throws IOException {
    // captured from a container of this engine (docker run ... cat /proc/self/mountinfo)
    var inside = new MemberAccess.Surroundings(Map.of(), true, resource("mountinfo-in-container.txt"), "e65266d784a1");
    assertThat(MemberAccess.ownContainerId(inside)).contains(ID);
  }

  @Test
  void aDockerHostIsNotTakenForAContainerThoughItsMountinfoNamesContainers() throws IOException {
    // the host's mountinfo lists every container's shm mount under /var/lib/docker/containers/<id>/
    String host = resource("mountinfo-on-docker-host.txt");
    assertThat(host).contains("/var/lib/docker/containers/");
    var onHost = new MemberAccess.Surroundings(Map.of(), false, host, "debian");
    assertThat(MemberAccess.ownContainerId(onHost)).isEmpty();
    // so auto is ports there, without asking the engine (this one is unreachable)
    try (DockerGateway unreachable = DockerGateway.connect("unix:///nonexistent/docker.sock")) {
      assertThat(MemberAccess.detect(unreachable, onHost, null).mode()).isEqualTo(MemberAccess.Mode.PORTS);
      assertThat(MemberAccess.detect(unreachable, onHost, "ports").mode()).isEqualTo(MemberAccess.Mode.PORTS);
      assertThatThrownBy(() -> MemberAccess.detect(unreachable, onHost, "network"))
          .isInstanceOf(MemberAccess.Unusable.class).hasMessageContaining("needs pgherd to run in a container")
          .hasMessageContaining(MemberAccess.ENV_SELF);
    }
  }

  @Test
  void pgherdContainerNamesItWhenSet() {
    var named = new MemberAccess.Surroundings(Map.of(MemberAccess.ENV_SELF, " op-1 "), false, "", "");
    assertThat(MemberAccess.ownContainerId(named)).contains("op-1");
    // /.dockerenv with a hostname: Docker's default hostname is the short id
    var plain = new MemberAccess.Surroundings(Map.of(), true, "", "0123456789ab");
    assertThat(MemberAccess.ownContainerId(plain)).contains("0123456789ab");
  }

  @Test
  void aBadChoiceIsRefusedNamingWhereItCameFrom() {
    assertThatThrownBy(() -> MemberAccess.wanted("bridge", Map.of()))
        .isInstanceOf(MemberAccess.Unusable.class).hasMessage("bad --members-via 'bridge': expected ports, network or auto");
    assertThatThrownBy(() -> MemberAccess.wanted(null, Map.of(MemberAccess.ENV, "host")))
        .hasMessage("bad " + MemberAccess.ENV + " 'host': expected ports, network or auto");
    assertThat(MemberAccess.wanted(null, Map.of())).isEqualTo("auto");
    assertThat(MemberAccess.wanted(" Network ", Map.of())).isEqualTo("network");
  }

  @Test
  void portsReachTheLoopbackPublishedPortOfARunningMember() {
    MemberAccess ports = MemberAccess.ports();
    assertThat(ports.address(member("running", Map.of(5432, 49153), Set.of("pgherd-demo")), "pgherd-demo", 5432))
        .contains(new MemberAccess.Address("127.0.0.1", 49153));
    assertThat(ports.address(member("running", Map.of(), Set.of("pgherd-demo")), "pgherd-demo", 5432)).isEmpty();
    assertThat(ports.address(member("exited", Map.of(5432, 49153), Set.of()), "pgherd-demo", 5432)).isEmpty();
    assertThat(ports.address(null, "pgherd-demo", 5432)).isEmpty();
  }

  @Test
  void networkReachesARunningMemberByNameWhenItIsOnTheClusterNetwork() {
    MemberAccess net = MemberAccess.network(ID);
    assertThat(net.address(member("running", Map.of(), Set.of("pgherd-demo")), "pgherd-demo", 5432))
        .contains(new MemberAccess.Address("pgherd-demo-2", 5432));
    // cut off from the network (fenced, or by hand): not reachable, as it is not
    assertThat(net.address(member("running", Map.of(5432, 49153), Set.of("bridge")), "pgherd-demo", 5432)).isEmpty();
    assertThat(net.address(member("paused", Map.of(), Set.of("pgherd-demo")), "pgherd-demo", 5432)).isEmpty();
    assertThat(net.self()).isEqualTo(ID);
    assertThat(net.toString()).isEqualTo("cluster networks, as container " + ID);
  }

  @Test
  void detectLaterRefusesABadValueAtOnceAndDetectsAtFirstUse() throws IOException {
    try (DockerGateway unreachable = DockerGateway.connect("unix:///nonexistent/docker.sock")) {
      assertThatThrownBy(() -> MemberAccess.detectLater(unreachable, "sideways")).isInstanceOf(MemberAccess.Unusable.class);
      MemberAccess later = MemberAccess.detectLater(unreachable, "ports");
      assertThat(later.toString()).isEqualTo("(not detected yet)");
      assertThat(later.mode()).isEqualTo(MemberAccess.Mode.PORTS);
      assertThat(Optional.ofNullable(later.self())).isEmpty();
    }
  }
}
