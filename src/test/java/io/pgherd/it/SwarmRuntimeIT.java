package io.pgherd.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Secret;
import com.github.dockerjava.api.model.Service;
import io.pgherd.docker.DockerGateway;
import io.pgherd.model.Names;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.runtime.ContainerSpec;
import io.pgherd.runtime.ContainerSpec.FileContent;
import io.pgherd.runtime.EngineUnavailableException;
import io.pgherd.runtime.NameTakenException;
import io.pgherd.swarm.SwarmRuntime;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine seam on a real three-node Swarm ({@link SwarmRuntime}, issue 22): a container is a
 * service — created with no task, pinned at once to the node its volume is to live on, started,
 * restarted as a new task with the files written meanwhile, stopped, removed with its secrets,
 * placed one member of a cluster per node (a member with no node left waits, saying why) —
 * and its files reach the task as Swarm secrets, put in place by the image's entrypoint with their
 * owner and mode, never in the service's spec. The load balancer is a global service: one task per
 * node, its port published on each. An engine that is no Swarm manager gets a clear refusal.
 */
class SwarmRuntimeIT {
  private static final String CLUSTER = "srt";
  private static final String NET = "pgherd-srt";
  private static final String KEY = "/etc/pgherd/agent/test.key";
  private static final String CFG = "/usr/local/etc/haproxy/haproxy.cfg";
  private static final String HAPROXY_CFG = String.join("\n", "global", "  log stdout format raw local0",
      "defaults", "  mode tcp", "  timeout connect 1s", "  timeout client 10s", "  timeout server 10s",
      "listen probe", "  bind :7100", "  server none 127.0.0.1:9 disabled", "");
  private static SwarmLab lab;
  private static DockerClient manager;
  private static SwarmRuntime swarm;

  @BeforeAll
  static void up() throws Exception {
    lab = SwarmLab.up();
    manager = lab.engine(1);
    swarm = new SwarmRuntime(DockerGateway.connect("unix:///run/pgsw/docker1.sock"));
  }

  @AfterAll
  static void cleanUp() {
    if (swarm == null) {
      return;
    }
    for (String s : List.of("pgherd-srt-1", "pgherd-srt-lb", "pgherd-srp-1", "pgherd-srp-2", "pgherd-srp-3", "pgherd-srp-4")) {
      swarm.remove(s);
    }
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
      swarm.removeNetwork(NET); // refused while a task of a removed service still holds it
      return !swarm.networkExists(NET);
    });
  }

  @Test
  void aMemberIsAServiceCreatedStartedPinnedRestartedWithNewFilesStoppedAndRemoved() throws Exception {
    swarm.ping();
    swarm.ensureNetwork(NET, Map.of(Names.LABEL_CLUSTER, CLUSTER));
    assertThat(swarm.networkExists(NET)).isTrue();
    ContainerSpec spec = new ContainerSpec("pgherd-srt-1", "pgherd/haproxy:2.6", NET,
        Map.of(Names.LABEL_CLUSTER, CLUSTER, Names.LABEL_MEMBER, "srt-1", Names.LABEL_COMPONENT, Names.COMPONENT_MEMBER),
        Map.of("pgherd-srt-1-data", "/var/lib/pgherd-test"), List.of(new ContainerSpec.Port("127.0.0.1", 0, 5432)),
        Map.of(CFG, FileContent.of(HAPROXY_CFG, 0644), KEY, FileContent.of("s3cr3t-one", 0600, 998)));

    String id = swarm.create(spec);
    ContainerInfo created = swarm.container("pgherd-srt-1").orElseThrow();
    assertThat(created.id()).isEqualTo(id);
    assertThat(created.state()).isEqualTo("created");
    assertThat(created.node()).isNotNull(); // placed (pinned) at once: its data will be there
    assertThat(constraints("pgherd-srt-1")).contains("node.id==" + created.node());
    assertThat(swarm.volumeExists("pgherd-srt-1-data")).isTrue(); // recorded on that node
    assertThat(swarm.containers(Names.LABEL_CLUSTER, CLUSTER)).extracting(ContainerInfo::name).containsExactly("pgherd-srt-1");
    assertThatThrownBy(() -> swarm.create(spec)).isInstanceOf(NameTakenException.class);
    assertThat(fileSecrets("pgherd-srt-1")).hasSize(2); // the refused create left none of its own behind

    List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.io.Closeable watch = swarm.events(Names.LABEL_CLUSTER, e -> events.add(e.action() + " " + e.attributes().get("name")
        + " " + e.containerId()), e -> events.add("error " + e));
    Thread.sleep(1500); // its first look: what runs now is no event
    swarm.start(id);
    ContainerInfo running = awaitRunning(id);
    assertThat(running.node()).isEqualTo(created.node());
    await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("start pgherd-srt-1 " + id));
    int host = lab.host(running.node());
    String first = taskContainer(host, "pgherd-srt-1");
    assertThat(exec(host, first, "stat", "-c", "%a %u %n", KEY, CFG)) // copied by the image's user, haproxy (998)
        .contains("600 998 " + KEY).contains("644 998 " + CFG);
    assertThat(exec(host, first, "cat", KEY)).isEqualTo("s3cr3t-one");
    assertThat(swarm.logs(id, 50)).contains("pgherd-place-files: 2 file(s)"); // read through the manager, from any node
    assertThat(swarm.address(id, NET)).get().asString().matches("\\d+\\.\\d+\\.\\d+\\.\\d+");
    assertThat(swarm.runningSince(id)).isPresent();

    // nothing of a file in the service's spec: env, labels, arguments
    String inspected = manager.inspectServiceCmd(id).exec().toString() + manager.inspectServiceCmd(id).exec().getRawValues();
    assertThat(inspected).doesNotContain("s3cr3t").doesNotContain("timeout connect");

    // a file written while it runs: the running task is not touched; the next one has it
    swarm.copyFiles(id, Map.of(KEY, FileContent.of("s3cr3t-two", 0600, 998)));
    assertThat(taskContainer(host, "pgherd-srt-1")).isEqualTo(first);
    assertThat(exec(host, first, "cat", KEY)).isEqualTo("s3cr3t-one");
    swarm.restart(id, 10);
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> !taskContainer(host, "pgherd-srt-1").equals(first) && "running".equals(swarm.container(id).orElseThrow().state()));
    String second = taskContainer(host, "pgherd-srt-1"); // on the same node: pinned
    assertThat(exec(host, second, "cat", KEY)).isEqualTo("s3cr3t-two");
    assertThat(exec(host, second, "cat", CFG)).isEqualTo(HAPROXY_CFG);
    assertThat(fileSecrets("pgherd-srt-1")).hasSize(2); // the replaced one went

    swarm.stop(id, 10);
    await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("die pgherd-srt-1 " + id));
    watch.close();
    assertThat(events).noneMatch(e -> e.startsWith("error"));
    ContainerInfo stopped = swarm.container(id).orElseThrow();
    assertThat(stopped.state()).isEqualTo("exited");
    assertThat(stopped.node()).isEqualTo(running.node());
    swarm.start(id);
    assertThat(awaitRunning(id).node()).isEqualTo(running.node());

    // killed: told to stop at once (not waited for), as a manager can; a signal other than a stop is the agent's
    assertThatThrownBy(() -> swarm.signal(id, "SIGHUP")).isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("SIGHUP");
    swarm.kill(id);
    await().atMost(Duration.ofSeconds(40)).until(() -> "exited".equals(swarm.container(id).orElseThrow().state()));

    swarm.remove(id);
    assertThat(swarm.container("pgherd-srt-1")).isEmpty();
    assertThat(fileSecrets("pgherd-srt-1")).isEmpty();
    swarm.remove(id); // absent is fine

    // made again with its volume: on the node its data is on, whichever node is least loaded
    String again = swarm.create(spec);
    assertThat(swarm.container(again).orElseThrow().node()).isEqualTo(running.node());
    swarm.remove(again);
    swarm.removeVolume("pgherd-srt-1-data");
    assertThat(swarm.volumeExists("pgherd-srt-1-data")).isFalse();
  }

  @Test
  void oneMemberPerNodeAndAFourthWaitsSayingWhyUntilANodeJoins() throws Exception {
    swarm.ensureNetwork(NET, Map.of(Names.LABEL_CLUSTER, CLUSTER));
    java.util.Set<String> nodes = new java.util.HashSet<>();
    for (int i = 1; i <= 3; i++) {
      String id = swarm.create(member("srp", i));
      nodes.add(swarm.container(id).orElseThrow().node());
    }
    assertThat(nodes).hasSize(3).doesNotContainNull(); // one per node
    assertThat(swarm.volumes(Names.LABEL_CLUSTER, "srp")).containsExactlyInAnyOrder("pgherd-srp-1-data",
        "pgherd-srp-2-data", "pgherd-srp-3-data");

    String fourth = swarm.create(member("srp", 4));
    ContainerInfo waiting = swarm.container(fourth).orElseThrow();
    assertThat(waiting.state()).isEqualTo("created");
    assertThat(waiting.node()).isNull();
    assertThat(waiting.status()).startsWith("waiting for a node: no node for it (one member of a cluster per node): ")
        .contains("runs a member of srp already");
    swarm.start(fourth); // still nowhere to go: no task
    assertThat(manager.listTasksCmd().withServiceFilter("pgherd-srp-4").exec()).isEmpty();
    assertThat(swarm.volumeExists("pgherd-srp-4-data")).isFalse();

    try {
      String joined = lab.join(4);
      swarm.start(fourth); // a node joined: placed there, and started
      ContainerInfo placed = awaitRunning(fourth);
      assertThat(placed.node()).isEqualTo(joined);
      assertThat(placed.status()).doesNotContain("waiting");
      assertThat(swarm.volumeExists("pgherd-srp-4-data")).isTrue();
    } finally {
      for (int i = 1; i <= 4; i++) {
        swarm.remove("pgherd-srp-" + i);
        swarm.removeVolume("pgherd-srp-" + i + "-data");
      }
      lab.leave(4);
    }
  }

  /** A member-like service of {@code cluster} (HAProxy standing in for PostgreSQL), one per node. */
  private static ContainerSpec member(String cluster, int i) {
    String name = "pgherd-" + cluster + "-" + i;
    return new ContainerSpec(name, "pgherd/haproxy:2.6", NET,
        Map.of(Names.LABEL_CLUSTER, cluster, Names.LABEL_MEMBER, cluster + "-" + i, Names.LABEL_COMPONENT, Names.COMPONENT_MEMBER),
        Map.of(name + "-data", "/var/lib/pgherd-test"), List.of(), Map.of(CFG, FileContent.of(HAPROXY_CFG, 0644)),
        new ContainerSpec.Placement(List.of("node.labels.pgherd.lab.host!=none"), cluster));
  }

  @Test
  void theLoadBalancerIsAGlobalServiceWithItsPortOnEveryNode() throws Exception {
    swarm.ensureNetwork(NET, Map.of(Names.LABEL_CLUSTER, CLUSTER));
    ContainerSpec spec = new ContainerSpec("pgherd-srt-lb", "pgherd/haproxy:2.6", NET,
        Map.of(Names.LABEL_CLUSTER, CLUSTER, Names.LABEL_COMPONENT, Names.COMPONENT_LB), Map.of(),
        List.of(new ContainerSpec.Port("0.0.0.0", 17100, 7100)), Map.of(CFG, FileContent.of(HAPROXY_CFG, 0644)));
    String id = swarm.create(spec);
    Thread.sleep(1000);
    assertThat(manager.listTasksCmd().withServiceFilter("pgherd-srt-lb").exec()).isEmpty(); // created: held off every node
    assertThat(swarm.container(id).orElseThrow().state()).isEqualTo("created");

    swarm.start(id);
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
        assertThat(manager.listTasksCmd().withServiceFilter("pgherd-srt-lb").exec())
            .extracting(t -> t.getNodeId() + " " + t.getStatus().getState().getValue() + " " + t.getStatus().getErr())
            .filteredOn(t -> t.contains(" running ")).hasSize(SwarmLab.NODES));
    assertThat(swarm.container(id).orElseThrow().publishedPorts()).containsEntry(7100, 17100);
    for (int i = 1; i <= SwarmLab.NODES; i++) {
      int node = i;
      await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress(SwarmLab.address(node), 17100), 1000);
          return true;
        }
      });
    }
    swarm.stop(id, 10);
    assertThat(manager.listTasksCmd().withServiceFilter("pgherd-srt-lb").exec())
        .noneMatch(t -> t.getStatus().getState().getValue().equals("running"));
    swarm.remove(id);
  }

  @Test
  void aCommandTakenByAnOperatorThatStoppedBeforeAnsweringIsSaidSoRatherThanWaitedForInVain() throws Exception {
    // an "operator" that takes every request (naming a task the Swarm does not run) and never answers
    java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
    Thread taker = new Thread(() -> {
      while (!done.get()) {
        for (var c : manager.listConfigsCmd().withFilters(Map.of("label", List.of("io.pgherd.cli=request"))).exec()) {
          try {
            manager.createConfigCmd().withName(c.getSpec().getName() + ".taken")
                .withLabels(Map.of("io.pgherd.cli", "taken")).withData("nosuchtask0000000000000000".getBytes()).exec();
          } catch (com.github.dockerjava.api.exception.ConflictException e) {
            // taken already
          }
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    taker.start();
    try {
      var remote = new io.pgherd.swarm.RemoteCli(manager, new io.pgherd.docker.EngineCalls("unix:///run/pgsw/docker1.sock"));
      var answer = remote.call(new io.pgherd.swarm.RemoteCli.Request(List.of("get"), Map.of()), Duration.ofMinutes(2));
      assertThat(answer).isPresent();
      assertThat(answer.get().exitCode()).isEqualTo(1);
      assertThat(answer.get().output()).contains("the operator that took this command (task nosuchtask",
          "stopped before it answered", "may or may not have been carried out");
    } finally {
      done.set(true);
      taker.join();
    }
    assertThat(manager.listConfigsCmd().withFilters(Map.of("label", List.of("io.pgherd.cli=request"))).exec())
        .as("the request removed").isEmpty();
    for (var c : manager.listConfigsCmd().withFilters(Map.of("label", List.of("io.pgherd.cli"))).exec()) {
      manager.removeConfigCmd(c.getId()).exec(); // a marker the fake operator made again after the caller removed it
    }
  }

  @Test
  void anEngineThatIsNoSwarmManagerIsRefusedByName() {
    SwarmRuntime notASwarm = new SwarmRuntime(DockerGateway.connect()); // the machine's own engine: in no Swarm
    assertThatThrownBy(notASwarm::ping).isInstanceOf(EngineUnavailableException.class)
        .hasMessageContaining("is not an active Swarm node").hasMessageContaining("--runtime docker");
  }

  private static ContainerInfo awaitRunning(String id) {
    try {
      return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
          .until(() -> swarm.container(id).orElseThrow(), c -> "running".equals(c.state()) && c.node() != null);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(e.getMessage() + "\nits output:\n" + swarm.logs(id, 40), e);
    }
  }

  /** The running task container of {@code service} on host {@code i} (its engine asked directly, as only a test may). */
  private static String taskContainer(int i, String service) {
    List<Container> running = lab.engine(i).listContainersCmd()
        .withLabelFilter(Map.of("com.docker.swarm.service.name", service)).exec();
    assertThat(running).hasSize(1);
    return running.get(0).getId();
  }

  private static String exec(int i, String container, String... command) throws InterruptedException {
    return SwarmLab.exec(lab.engine(i), Duration.ofSeconds(20), container, command);
  }

  private static List<Secret> fileSecrets(String service) {
    return manager.listSecretsCmd().withLabelFilter(Map.of("io.pgherd.files-of", service)).exec();
  }

  private static List<String> constraints(String service) {
    Service s = manager.inspectServiceCmd(service).exec();
    return s.getSpec().getTaskTemplate().getPlacement().getConstraints();
  }
}
