package io.pgherd.it;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The multi-host tests' Swarm: {@code test-scenarios/swarm-lab.sh up 3 IMAGES} once per test JVM
 * (three Docker engines in network namespaces of this machine, all managers), taken down when the
 * JVM ends (a shutdown hook) and, before it starts, whatever an aborted earlier run left. Every
 * multi-host IT shares it and leaves it as it found it (its own services and networks removed).
 */
final class SwarmLab {
  static final int NODES = 3;
  /** The address of host I on the lab's bridge (as the script gives it). */
  static final String ADDRESS = "10.251.7.1%d";
  /** The engine's socket on the node a service's task runs on (a Swarm template: the lab shares one file system). */
  static final String NODE_SOCKET = "/run/pgsw/node-{{.Node.ID}}.sock";
  private static final Path SCRIPT = Path.of("test-scenarios/swarm-lab.sh");
  private static final Duration UP_TIMEOUT = Duration.ofMinutes(3);
  private static SwarmLab lab;

  private final java.util.Map<Integer, DockerClient> engines = new java.util.concurrent.ConcurrentHashMap<>();

  private SwarmLab() {
  }

  /** The lab, up with pgherd's images in every engine (made on the first call of this JVM). */
  static synchronized SwarmLab up() throws Exception {
    if (lab == null) {
      ItSupport.buildImages();
      run(Duration.ofMinutes(1), "down"); // what an aborted earlier run left
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          run(Duration.ofMinutes(1), "down");
        } catch (Exception e) {
          System.err.println("swarm-lab: taking the lab down failed: " + e);
        }
      }, "swarm-lab-down"));
      run(UP_TIMEOUT, "up", Integer.toString(NODES), "pgherd/postgres:15", "pgherd/haproxy:2.6");
      lab = new SwarmLab();
    }
    return lab;
  }

  /** A client of engine {@code i} (1..NODES, or one that {@link #join}ed). */
  DockerClient engine(int i) {
    return engines.computeIfAbsent(i, n -> {
      DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
          .withDockerHost("unix:///run/pgsw/docker" + n + ".sock").build();
      return DockerClientImpl.getInstance(config, new ZerodepDockerHttpClient.Builder()
          .dockerHost(config.getDockerHost()).connectionTimeout(Duration.ofSeconds(5))
          .responseTimeout(Duration.ofSeconds(60)).build());
    });
  }

  /** Engine {@code i} (above NODES) joins the Swarm as a worker, with pgherd's images; its node id. */
  String join(int i) throws IOException, InterruptedException {
    run(UP_TIMEOUT, "join", Integer.toString(i), "pgherd/postgres:15", "pgherd/haproxy:2.6");
    return nodeId(i);
  }

  /** The machine's {@code images} into every engine of the lab. */
  void load(String... images) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("load"));
    args.addAll(List.of(images));
    run(UP_TIMEOUT, args.toArray(String[]::new));
  }

  /** Engine {@code i} leaves the Swarm for good and stops (what {@link #join} added goes again). */
  void leave(int i) throws IOException, InterruptedException {
    engines.remove(i);
    run(Duration.ofMinutes(1), "leave", Integer.toString(i));
  }

  /** Host {@code i}'s link taken down: cut off from the others (a partition of that host). */
  void cut(int i) throws IOException, InterruptedException {
    run(Duration.ofSeconds(10), "cut", Integer.toString(i));
  }

  /** Host {@code i}'s link up again. */
  void heal(int i) throws IOException, InterruptedException {
    run(Duration.ofSeconds(10), "heal", Integer.toString(i));
  }

  /** Host {@code i} loses power: its link down, every process of its engine killed at once; its data kept. */
  void crash(int i) throws IOException, InterruptedException {
    run(Duration.ofSeconds(30), "crash", Integer.toString(i));
  }

  /** Host {@code i}, crashed, starts again: its engine on its data, its link up. */
  void boot(int i) throws IOException, InterruptedException {
    run(Duration.ofMinutes(2), "boot", Integer.toString(i));
  }

  /**
   * What a test's operator and cluster left in the Swarm, through the manager {@code manager}: the
   * operator's service first (so that it makes nothing again) and its lease, then the cluster's
   * services, network, secrets and configs, the home kept in the Swarm and the operator's key.
   */
  static void removeClusterAndOperator(DockerClient manager, String operator, String cluster) {
    for (String service : List.of(operator, "pgherd-operator-lease")) {
      unlessGone(() -> manager.removeServiceCmd(service).exec());
    }
    // the operator's tasks may run on any node: wait until the Swarm has none left (one on a lost node may
    // linger: go on after a minute, saying so)
    try {
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> tasksOf(manager, operator).isEmpty());
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      System.out.println("clean-up: tasks of " + operator + " still listed after 60 s: " + tasksOf(manager, operator));
    }
    for (var s : manager.listServicesCmd().withLabelFilter(java.util.Map.of("io.pgherd.cluster", cluster)).exec()) {
      unlessGone(() -> manager.removeServiceCmd(s.getId()).exec());
    }
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
      unlessGone(() -> manager.removeNetworkCmd("pgherd-" + cluster).exec());
      return true;
    });
    // a listed object may be gone by the time it is removed (an operator still stopping, or a cluster's clean-up)
    manager.listSecretsCmd().withLabelFilter(java.util.Map.of("io.pgherd.cluster", cluster)).exec()
        .forEach(x -> unlessGone(() -> manager.removeSecretCmd(x.getId()).exec()));
    for (String label : List.of("io.pgherd.cluster=" + cluster, "io.pgherd.home", "io.pgherd.home.part-of")) {
      manager.listConfigsCmd().withFilters(java.util.Map.of("label", List.of(label))).exec()
          .forEach(c -> unlessGone(() -> manager.removeConfigCmd(c.getId()).exec()));
    }
    manager.listSecretsCmd().withNameFilter(List.of("pgherd-operator-key")).exec()
        .forEach(x -> unlessGone(() -> manager.removeSecretCmd(x.getId()).exec()));
  }

  /** A service's tasks; none once the service is gone (a filter naming no service is a 404). */
  private static List<com.github.dockerjava.api.model.Task> tasksOf(DockerClient manager, String service) {
    try {
      return manager.listTasksCmd().withServiceFilter(service).exec();
    } catch (com.github.dockerjava.api.exception.NotFoundException e) {
      return List.of();
    }
  }

  private static void unlessGone(Runnable removal) {
    try {
      removal.run();
    } catch (com.github.dockerjava.api.exception.NotFoundException e) {
      // already gone: what the removal wanted
    }
  }

  /** Engine {@code i}'s Swarm node id. */
  String nodeId(int i) {
    return engine(i).infoCmd().exec().getSwarm().getNodeID();
  }

  static String address(int i) {
    return String.format(ADDRESS, i);
  }

  /** Runs the script with {@code args}; fails with its output when it fails or outlasts {@code timeout}. */
  static String run(Duration timeout, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
    command.addAll(List.of(args));
    Path out = Files.createTempFile("swarm-lab", ".log");
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
      if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("swarm-lab.sh " + String.join(" ", args) + " did not end within " + timeout
            + ":\n" + Files.readString(out, StandardCharsets.UTF_8));
      }
      String text = Files.readString(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IllegalStateException("swarm-lab.sh " + String.join(" ", args) + " failed (status " + p.exitValue()
            + "):\n" + text);
      }
      return text;
    } finally {
      Files.deleteIfExists(out);
    }
  }
}
