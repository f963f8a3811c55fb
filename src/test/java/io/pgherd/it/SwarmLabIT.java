package io.pgherd.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerResponse;
import com.github.dockerjava.api.exception.InternalServerErrorException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ContainerSpec;
import com.github.dockerjava.api.model.EndpointResolutionMode;
import com.github.dockerjava.api.model.EndpointSpec;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.NetworkAttachmentConfig;
import com.github.dockerjava.api.model.PortConfig;
import com.github.dockerjava.api.model.PortConfigProtocol;
import com.github.dockerjava.api.model.Service;
import com.github.dockerjava.api.model.ServiceGlobalModeOptions;
import com.github.dockerjava.api.model.ServiceModeConfig;
import com.github.dockerjava.api.model.ServicePlacement;
import com.github.dockerjava.api.model.ServiceReplicatedModeOptions;
import com.github.dockerjava.api.model.ServiceSpec;
import com.github.dockerjava.api.model.SwarmNode;
import com.github.dockerjava.api.model.SwarmNodeRole;
import com.github.dockerjava.api.model.SwarmNodeState;
import com.github.dockerjava.api.model.Task;
import com.github.dockerjava.api.model.TaskSpec;
import com.github.dockerjava.api.model.TaskState;
import io.pgherd.swarm.LeaseElector;
import io.pgherd.swarm.SwarmLease;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Swarm the multi-host tests run on, and the facts pgherd's Swarm runtime is built on, checked
 * on it (issue 22): three managers, one per host, told apart by a node label; an attachable
 * overlay that carries names and traffic between hosts; a global service's port published in host
 * mode on every host (no routing mesh: this kernel has no IPVS); a service pinned by a node label
 * with a DNS round-robin endpoint; and a service's spec updated only at the version it was read at
 * (the compare-and-swap pgherd's state and its operator's lease are to rely on).
 */
class SwarmLabIT {
  private static final String IMAGE = "pgherd/haproxy:2.6";
  private static final String NET = "pgherd-lab-net";
  private static final List<String> SERVICES = List.of("pgherd-lab-echo", "pgherd-lab-global", "pgherd-lab-state",
      "pgherd-lab-lease");
  private static SwarmLab lab;
  private static DockerClient manager;

  @BeforeAll
  static void up() throws Exception {
    lab = SwarmLab.up();
    manager = lab.engine(1);
  }

  @AfterAll
  static void cleanUp() {
    if (manager == null) {
      return;
    }
    for (String s : SERVICES) {
      try {
        manager.removeServiceCmd(s).exec();
      } catch (NotFoundException e) {
        // not made by the test that failed first
      }
    }
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
      manager.removeNetworkCmd(NET).exec(); // refused while a task of a removed service still holds it
      return true;
    });
  }

  /** A service's spec that answers "hello from HOST" on :7000 to each connection (socat, in pgherd's LB image). */
  private static TaskSpec echoTask(String... constraints) {
    return new TaskSpec()
        .withContainerSpec(new ContainerSpec().withImage(IMAGE)
            .withCommand(List.of("socat"))
            .withArgs(List.of("TCP-LISTEN:7000,fork,reuseaddr", "SYSTEM:echo hello from $(hostname)")))
        .withPlacement(new ServicePlacement().withConstraints(List.of(constraints)))
        .withNetworks(List.of(new NetworkAttachmentConfig().withTarget(NET)));
  }

  private static void ensureNetwork() {
    if (manager.listNetworksCmd().withNameFilter(NET).exec().stream().noneMatch(n -> n.getName().equals(NET))) {
      manager.createNetworkCmd().withName(NET).withDriver("overlay").withAttachable(true).exec();
    }
  }

  @Test
  void threeManagersOneLabelledNodePerHost() {
    List<SwarmNode> nodes = manager.listSwarmNodesCmd().exec();
    assertThat(nodes).hasSize(SwarmLab.NODES);
    assertThat(nodes).allSatisfy(n -> {
      assertThat(n.getStatus().getState()).isEqualTo(SwarmNodeState.READY);
      assertThat(n.getSpec().getRole()).isEqualTo(SwarmNodeRole.MANAGER);
    });
    for (int i = 1; i <= SwarmLab.NODES; i++) {
      String id = lab.nodeId(i);
      String host = "h" + i;
      assertThat(nodes).filteredOn(n -> n.getId().equals(id)).singleElement()
          .satisfies(n -> assertThat(n.getSpec().getLabels()).containsEntry("pgherd.lab.host", host));
    }
  }

  @Test
  void anOverlayCarriesNamesAndTrafficBetweenHostsToAServicePinnedByANodeLabel() throws Exception {
    ensureNetwork();
    manager.createServiceCmd(new ServiceSpec().withName("pgherd-lab-echo")
        .withMode(new ServiceModeConfig().withReplicated(new ServiceReplicatedModeOptions().withReplicas(1)))
        .withEndpointSpec(new EndpointSpec().withMode(EndpointResolutionMode.DNSRR))
        .withTaskTemplate(echoTask("node.labels.pgherd.lab.host==h2"))).exec();
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(tasks("pgherd-lab-echo"))
        .anySatisfy(t -> {
          assertThat(t.getStatus().getState()).isEqualTo(TaskState.RUNNING);
          assertThat(t.getNodeId()).isEqualTo(lab.nodeId(2));
        }));

    // a container on host 1, on the same overlay, reaches it by the service's name
    DockerClient host1 = lab.engine(1);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      CreateContainerResponse c = host1.createContainerCmd(IMAGE)
          .withEntrypoint("bash", "-c", "exec 3<>/dev/tcp/pgherd-lab-echo/7000 && cat <&3")
          .withHostConfig(HostConfig.newHostConfig().withNetworkMode(NET)).exec();
      try {
        host1.startContainerCmd(c.getId()).exec();
        int status = host1.waitContainerCmd(c.getId()).start().awaitStatusCode(20, java.util.concurrent.TimeUnit.SECONDS);
        String out = logs(host1, c.getId());
        assertThat(status).as(out).isZero();
        assertThat(out).startsWith("hello from ");
      } finally {
        host1.removeContainerCmd(c.getId()).withForce(true).exec();
      }
    });
  }

  @Test
  void aGlobalServicesPortIsPublishedInHostModeOnEveryHost() {
    ensureNetwork();
    manager.createServiceCmd(new ServiceSpec().withName("pgherd-lab-global")
        .withMode(new ServiceModeConfig().withGlobal(new ServiceGlobalModeOptions()))
        .withEndpointSpec(new EndpointSpec().withMode(EndpointResolutionMode.DNSRR).withPorts(List.of(
            new PortConfig().withProtocol(PortConfigProtocol.TCP).withTargetPort(7000).withPublishedPort(17000)
                .withPublishMode(PortConfig.PublishMode.host))))
        .withTaskTemplate(echoTask())).exec();
    for (int i = 1; i <= SwarmLab.NODES; i++) {
      String address = SwarmLab.address(i);
      await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
          .untilAsserted(() -> assertThat(read(address, 17000)).as(address).startsWith("hello from "));
    }
  }

  @Test
  void aServicesSpecIsUpdatedOnlyAtTheVersionItWasReadAt() {
    manager.createServiceCmd(new ServiceSpec().withName("pgherd-lab-state").withLabels(Map.of("state", "1"))
        .withMode(new ServiceModeConfig().withReplicated(new ServiceReplicatedModeOptions().withReplicas(0)))
        .withTaskTemplate(new TaskSpec().withContainerSpec(new ContainerSpec().withImage(IMAGE)))).exec();
    Service read = manager.inspectServiceCmd("pgherd-lab-state").exec();
    long version = read.getVersion().getIndex();

    manager.updateServiceCmd(read.getId(), read.getSpec().withLabels(Map.of("state", "2"))).withVersion(version).exec();
    assertThatThrownBy(() -> manager.updateServiceCmd(read.getId(), read.getSpec().withLabels(Map.of("state", "3")))
        .withVersion(version).exec())
        .as("a writer that read the old version loses")
        .isInstanceOf(InternalServerErrorException.class).hasMessageContaining("update out of sequence");

    Service now = lab.engine(3).inspectServiceCmd("pgherd-lab-state").exec();
    assertThat(now.getSpec().getLabels()).as("as any manager sees it").containsEntry("state", "2");
    assertThat(now.getVersion().getIndex()).isGreaterThan(version);
    assertThat(tasks("pgherd-lab-state")).as("zero replicas: nothing runs, nothing is pulled").isEmpty();
  }

  @Test
  void twoCandidatesOnTwoManagersNeverLeadTogetherAndTheSecondTakesOverWhenTheFirstFallsSilent() throws Exception {
    java.util.function.LongSupplier clock = () -> System.nanoTime() / 1_000_000;
    long duration = 3000;
    SwarmLease a = new SwarmLease(lab.engine(1), "pgherd-lab-lease", IMAGE, new LeaseElector("a", duration, 500), clock);
    SwarmLease b = new SwarmLease(lab.engine(2), "pgherd-lab-lease", IMAGE, new LeaseElector("b", duration, 500), clock);
    assertThat(a.tryOnce()).as("the first candidate makes the holder and leads").isTrue();
    long tokenA = a.token();
    assertThat(b.tryOnce()).isFalse();
    for (int i = 0; i < 6; i++) { // 6 s of a renewing every second: b never leads
      Thread.sleep(1000);
      assertThat(a.tryOnce()).isTrue();
      assertThat(b.tryOnce()).as("b while a renews").isFalse();
    }
    // a falls silent; b takes over after a whole duration of silence by its own clock, a has stopped leading before that
    long silentFrom = clock.getAsLong();
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(b::tryOnce);
    assertThat(clock.getAsLong() - silentFrom).isGreaterThanOrEqualTo(duration - 1000);
    assertThat(a.leads()).as("a's own lease ran out before b took over").isFalse();
    assertThat(b.token()).as("a new leadership, a new fencing token").isEqualTo(tokenA + 1);
    assertThat(a.tryOnce()).as("a back: it reads b's record and waits").isFalse();
    assertThat(manager.inspectServiceCmd("pgherd-lab-lease").exec().getSpec().getLabels())
        .containsEntry("io.pgherd.lease.holder", "b");
    assertThat(tasks("pgherd-lab-lease")).as("the holder runs nothing").isEmpty();
  }

  private static List<Task> tasks(String service) {
    return manager.listTasksCmd().withServiceFilter(service).exec();
  }

  private static String read(String host, int port) throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 2000);
      s.setSoTimeout(3000);
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String logs(DockerClient engine, String id) throws InterruptedException {
    StringBuilder out = new StringBuilder();
    engine.logContainerCmd(id).withStdOut(true).withStdErr(true)
        .exec(new com.github.dockerjava.api.async.ResultCallback.Adapter<com.github.dockerjava.api.model.Frame>() {
          @Override
          public void onNext(com.github.dockerjava.api.model.Frame f) {
            out.append(new String(f.getPayload(), StandardCharsets.UTF_8));
          }
        }).awaitCompletion(10, java.util.concurrent.TimeUnit.SECONDS);
    return out.toString();
  }
}
