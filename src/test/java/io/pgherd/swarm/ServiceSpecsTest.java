package io.pgherd.swarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.model.ContainerSpecSecret;
import com.github.dockerjava.api.model.EndpointResolutionMode;
import com.github.dockerjava.api.model.PortConfig;
import com.github.dockerjava.api.model.ServiceRestartCondition;
import com.github.dockerjava.api.model.ServiceSpec;
import com.github.dockerjava.api.model.SecretSpec;
import io.pgherd.runtime.ContainerSpec;
import io.pgherd.runtime.ContainerSpec.FileContent;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A container pgherd wants as a Swarm service, its files as secrets, and the changes made to the service (pure). */
class ServiceSpecsTest {
  private static final ContainerSpec MEMBER = new ContainerSpec("pgherd-demo-1", "pgherd/postgres:15", "pgherd-demo",
      Map.of("io.pgherd.cluster", "demo"), Map.of("pgherd-demo-1-data", "/var/lib/postgresql/data"),
      List.of(new ContainerSpec.Port("127.0.0.1", 0, 5432)), Map.of("/etc/pgherd/a.conf", FileContent.of("a", 0644)));

  @Test
  void aMemberIsAOneSlotServiceWithNoTaskUntilStartedResolvedByDnsRoundRobinAndNeverRestartedBySwarm() {
    ServiceSpec s = ServiceSpecs.of(MEMBER, List.of(), false, List.of());
    assertThat(s.getName()).isEqualTo("pgherd-demo-1");
    assertThat(ServiceSpecs.replicas(s)).isZero();
    assertThat(s.getEndpointSpec().getMode()).isEqualTo(EndpointResolutionMode.DNSRR);
    assertThat(s.getEndpointSpec().getPorts()).isEmpty(); // an ephemeral loopback port means nothing on a Swarm
    assertThat(s.getTaskTemplate().getRestartPolicy().getCondition()).isEqualTo(ServiceRestartCondition.NONE);
    assertThat(s.getLabels()).containsEntry("io.pgherd.cluster", "demo");
    assertThat(ServiceSpecs.container(s).getLabels()).containsEntry("io.pgherd.cluster", "demo");
    assertThat(ServiceSpecs.container(s).getHostname()).isEqualTo("pgherd-demo-1");
    // a dead peer's name must not hold a reconnection (and a promotion) for glibc's default 20 s where no
    // upstream resolver answers
    assertThat(ServiceSpecs.container(s).getDnsConfig().getOptions()).containsExactly("timeout:1", "attempts:1");
    assertThat(s.getTaskTemplate().getNetworks()).singleElement().satisfies(n -> assertThat(n.getTarget()).isEqualTo("pgherd-demo"));
    assertThat(ServiceSpecs.volume(s)).contains("pgherd-demo-1-data");
    assertThat(ServiceSpecs.replicas(ServiceSpecs.withReplicas(s, 1))).isEqualTo(1);
  }

  @Test
  void theLoadBalancerIsGlobalWithItsPortsPublishedInHostModeAndRestartedBySwarmOnANodeBackFromACrash() {
    ContainerSpec lb = new ContainerSpec("pgherd-demo-lb", "pgherd/haproxy:2.6", "pgherd-demo", Map.of(), Map.of(),
        List.of(new ContainerSpec.Port("0.0.0.0", 5432, 5000)), Map.of());
    ServiceSpec s = ServiceSpecs.of(lb, List.of(), true, List.of("node.labels.lb==true"));
    assertThat(ServiceSpecs.global(s)).isTrue();
    assertThat(s.getTaskTemplate().getRestartPolicy().getCondition()).isEqualTo(ServiceRestartCondition.ANY);
    assertThat(s.getEndpointSpec().getPorts()).singleElement().satisfies(p -> {
      assertThat(p.getPublishedPort()).isEqualTo(5432);
      assertThat(p.getTargetPort()).isEqualTo(5000);
      assertThat(p.getPublishMode()).isEqualTo(PortConfig.PublishMode.host);
    });
    assertThat(ServiceSpecs.constraints(s)).containsExactly("node.labels.lb==true");
    assertThat(ServiceSpecs.volume(s)).isEmpty();
    assertThat(ServiceSpecs.withReplicas(s, 0)).isSameAs(s); // a global service has no replica count
  }

  @Test
  void aPortBoundToOneAddressIsRefusedSinceSwarmPublishesOnEveryAddressOfTheNode() {
    ContainerSpec lb = new ContainerSpec("pgherd-demo-lb", "pgherd/haproxy:2.6", "pgherd-demo", Map.of(), Map.of(),
        List.of(new ContainerSpec.Port("127.0.0.1", 5432, 5000)), Map.of());
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ServiceSpecs.of(lb, List.of(), true, List.of()))
        .hasMessageContaining("set spec.loadBalancer.bindAddress to 0.0.0.0 (it is 127.0.0.1)");
  }

  @Test
  void pinnedToANodeByAnAddedConstraintAndForcedToANewTask() {
    ServiceSpec s = ServiceSpecs.of(MEMBER, List.of(), false, List.of("node.labels.db==true"));
    assertThat(ServiceSpecs.pinnedNode(s)).isEmpty();
    ServiceSpecs.pinned(s, "abc123");
    assertThat(ServiceSpecs.constraints(s)).containsExactly("node.labels.db==true", "node.id==abc123");
    assertThat(ServiceSpecs.pinnedNode(s)).contains("abc123");
    ServiceSpec byHand = ServiceSpecs.of(MEMBER, List.of(), false, List.of("node.id == xyz")); // as docker service update writes it
    assertThat(ServiceSpecs.pinnedNode(byHand)).contains("xyz");
    int before = s.getTaskTemplate().getForceUpdate();
    assertThat(ServiceSpecs.forced(s).getTaskTemplate().getForceUpdate()).isEqualTo(before + 1);
  }

  @Test
  void aServiceWithNoNodeWaitsSayingWhyAndIsPinnedOnceItHasOne() {
    ServiceSpec s = ServiceSpecs.of(MEMBER, List.of(), false, List.of("node.labels.db==true"));
    s.withLabels(new java.util.HashMap<>(s.getLabels()));
    assertThat(ServiceSpecs.waiting(s)).isEmpty();
    ServiceSpecs.waiting(s, "no node for it");
    assertThat(ServiceSpecs.waiting(s)).contains("no node for it");
    assertThat(ServiceSpecs.constraints(s)).contains(ServiceSpecs.WAITING);
    assertThat(ServiceSpecs.asked(s)).containsExactly("node.labels.db==true");
    ServiceSpecs.pinned(s, "n1");
    assertThat(ServiceSpecs.waiting(s)).isEmpty();
    assertThat(s.getLabels()).doesNotContainKey(ServiceSpecs.LABEL_WAITING);
    assertThat(ServiceSpecs.constraints(s)).containsExactly("node.labels.db==true", "node.id==n1");
    assertThat(ServiceSpecs.asked(s)).containsExactly("node.labels.db==true");
    assertThat(ServiceSpecs.volume(s)).contains("pgherd-demo-1-data");
  }

  @Test
  void filesReplaceTheSecretMountedAtTheSamePathAndKeepTheOthers() {
    List<ServiceFiles.SecretFile> files = ServiceFiles.secrets("pgherd-demo-1", "g1",
        Map.of("/etc/pgherd/a.conf", FileContent.of("a", 0644), "/etc/pgherd/agent/agent.key", FileContent.of("k", 0600, 999)));
    ServiceSpec s = ServiceSpecs.of(MEMBER, List.of(ServiceSpecs.mount("id-a", files.get(0)), ServiceSpecs.mount("id-k", files.get(1))),
        false, List.of());
    ContainerSpecSecret key = ServiceSpecs.secrets(s).get(1);
    assertThat(key.getFile().getName()).isEqualTo("/run/pgherd-files/etc/pgherd/agent/agent.key");
    assertThat(key.getFile().getMode()).isEqualTo(0600L);
    assertThat(key.getFile().getUid()).isEqualTo("999");
    assertThat(key.getFile().getGid()).isEqualTo("999");

    List<ServiceFiles.SecretFile> newer = ServiceFiles.secrets("pgherd-demo-1", "g2",
        Map.of("/etc/pgherd/agent/agent.key", FileContent.of("k2", 0600, 999)));
    ServiceSpecs.withFiles(s, List.of(ServiceSpecs.mount("id-k2", newer.get(0))));
    assertThat(ServiceSpecs.secrets(s)).extracting(ContainerSpecSecret::getSecretId).containsExactly("id-a", "id-k2");
  }

  @Test
  void secretNamesSayNothingOfTheContentAndFitSwarmsLimit() {
    List<ServiceFiles.SecretFile> files = ServiceFiles.secrets("pgherd-demo-1", "lq3x8k2",
        Map.of("/b", FileContent.of("password", 0600), "/a", FileContent.of("x", 0644)));
    assertThat(files).extracting(ServiceFiles.SecretFile::name).containsExactly("pgherd-demo-1.lq3x8k2.0", "pgherd-demo-1.lq3x8k2.1");
    assertThat(files).extracting(ServiceFiles.SecretFile::path).containsExactly("/a", "/b");
    String longName = "pgherd-" + "x".repeat(70) + "-1";
    assertThat(ServiceFiles.secrets(longName, "g", Map.of("/a", FileContent.of("x", 0644))).get(0).name())
        .hasSize(ServiceFiles.MAX_NAME).endsWith(".g.0");
    assertThatThrownBy(() -> ServiceFiles.secrets("s", "g", Map.of("etc/x", FileContent.of("x", 0644))))
        .hasMessageContaining("not an absolute file path: etc/x");
  }

  @Test
  void aSecretCarriesExactlyItsBytesWhateverTheJvmsCharset() {
    byte[] data = {0, 1, (byte) 0xff, (byte) 0xc3, 'a'};
    SecretSpec spec = ServiceSecrets.spec("n", Map.of("k", "v"), data);
    assertThat(Base64.getDecoder().decode(spec.getData())).isEqualTo(data);
    assertThat(spec.getName()).isEqualTo("n");
    assertThat(spec.getLabels()).containsEntry("k", "v");
  }
}
