package io.pgherd.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.ExecCreateCmdResponse;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Task;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.core.command.ExecStartResultCallback;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
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
  /** The Swarm service whose labels hold the operator's lease (its holder's task id, its transitions). */
  static final String OPERATOR_LEASE = "pgherd-operator-lease";
  private static final Path SCRIPT = Path.of("test-scenarios/swarm-lab.sh");
  private static final Duration UP_TIMEOUT = Duration.ofMinutes(3);
  private static SwarmLab lab;

  private final java.util.Map<Integer, DockerClient> engines = new java.util.concurrent.ConcurrentHashMap<>();
  /** Node id → lab host, as {@link #rememberNodes} took them. */
  private final Map<String, Integer> nodes = new java.util.concurrent.ConcurrentHashMap<>();

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
          .withDockerHost(socket(n)).build();
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
   * services, network, secrets and configs, the home kept in the Swarm and the operator's key. The
   * operator's home volume stays on the nodes it ran on (its stopped tasks' containers hold it): the
   * next test's operator, finding no home in the Swarm, sets that copy aside ({@code SwarmHomeIT}).
   */
  static void removeClusterAndOperator(DockerClient manager, String operator, String cluster) {
    // the operator scaled to nothing and its tasks waited for while its service still names them (a task
    // filter naming a removed service finds none at once, while its operator may still run and make again
    // a member service removed below); one on a lost node may linger: go on after a minute, saying so
    try {
      com.github.dockerjava.api.model.Service op = manager.inspectServiceCmd(operator).exec();
      manager.updateServiceCmd(op.getId(), op.getSpec().withMode(new com.github.dockerjava.api.model.ServiceModeConfig()
          .withReplicated(new com.github.dockerjava.api.model.ServiceReplicatedModeOptions().withReplicas(0))))
          .withVersion(op.getVersion().getIndex()).exec();
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> tasksOf(manager, operator).stream()
          .noneMatch(t -> t.getStatus() != null && t.getStatus().getState() != null && List.of("new", "pending",
              "assigned", "accepted", "preparing", "ready", "starting", "running")
              .contains(t.getStatus().getState().getValue())));
    } catch (com.github.dockerjava.api.exception.NotFoundException e) {
      // no operator service: nothing to wait for
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      System.out.println("clean-up: tasks of " + operator + " still running after 60 s: " + tasksOf(manager, operator));
    }
    for (String service : List.of(operator, OPERATOR_LEASE)) {
      unlessGone(() -> manager.removeServiceCmd(service).exec());
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

  /**
   * Every host's node id taken while all are up, so that {@link #host} answers without asking an engine
   * (a crashed one cannot say its id).
   */
  void rememberNodes() {
    for (int i = 1; i <= NODES; i++) {
      nodes.put(nodeId(i), i);
    }
  }

  /** The lab host (1..NODES) that is Swarm node {@code nodeId}: as {@link #rememberNodes} took it, else as the engines say. */
  int host(String nodeId) {
    if (!nodes.isEmpty()) {
      Integer h = nodes.get(nodeId);
      if (h == null) {
        throw new IllegalStateException("no lab host is node " + nodeId);
      }
      return h;
    }
    for (int i = 1; i <= NODES; i++) {
      if (nodeId(i).equals(nodeId)) {
        return i;
      }
    }
    throw new AssertionError("no lab host is node " + nodeId);
  }

  /** A host whose engine is a manager of the Swarm now (one back from a crash may take a while to be one again). */
  int managerHost() {
    for (int h = 1; h <= NODES; h++) {
      try {
        if (Boolean.TRUE.equals(engine(h).infoCmd().exec().getSwarm().getControlAvailable())) {
          return h;
        }
      } catch (RuntimeException e) {
        // crashed, or not answering
      }
    }
    throw new IllegalStateException("no manager answers");
  }

  /** The host whose manager leads the Swarm's raft now. */
  int raftLeaderHost() {
    return engine(managerHost()).listSwarmNodesCmd().exec().stream()
        .filter(n -> n.getManagerStatus() != null && Boolean.TRUE.equals(n.getManagerStatus().isLeader()))
        .map(n -> host(n.getId())).findFirst().orElseThrow();
  }

  /** The operator replica that holds the lease: its task, the host it runs on, its container there. */
  record Holder(String task, int host, String container) {}

  /** The lease's holder, as the Swarm (asked through host {@code via}) says: the label read once, so all three agree. */
  Holder leaseHolder(int via) {
    DockerClient m = engine(via);
    String holder = m.inspectServiceCmd(OPERATOR_LEASE).exec().getSpec().getLabels().get("io.pgherd.lease.holder");
    Task t = m.listTasksCmd().withIdFilter(holder).exec().stream().filter(x -> holder.equals(x.getId())).findFirst()
        .orElseThrow();
    int host = host(t.getNodeId());
    List<Container> c = engine(host).listContainersCmd().withShowAll(true)
        .withLabelFilter(Map.of("com.docker.swarm.task.id", holder)).exec();
    return new Holder(holder, host, c.get(0).getId());
  }

  /** The host of the operator replica that holds the lease, as the Swarm (asked through host {@code via}) says. */
  int leaseHolderHost(int via) {
    DockerClient m = engine(via);
    String holder = m.inspectServiceCmd(OPERATOR_LEASE).exec().getSpec().getLabels().get("io.pgherd.lease.holder");
    Task t = m.listTasksCmd().withIdFilter(holder).exec().stream().filter(x -> holder.equals(x.getId())).findFirst()
        .orElseThrow();
    return host(t.getNodeId());
  }

  /** The operator lease's transitions (its fencing token), as the Swarm (asked through host {@code via}) says. */
  long leaseToken(int via) {
    return Long.parseLong(engine(via).inspectServiceCmd(OPERATOR_LEASE).exec().getSpec().getLabels()
        .get("io.pgherd.lease.transitions"));
  }

  /** The newest container (running or not) of a task of {@code service} on {@code engine}. */
  static String newestContainer(DockerClient engine, String service) {
    return engine.listContainersCmd().withShowAll(true)
        .withLabelFilter(Map.of("com.docker.swarm.service.name", service)).exec().stream()
        .max(java.util.Comparator.comparingLong(Container::getCreated)).orElseThrow().getId();
  }

  /** {@code command} run in {@code container} on {@code engine} (waited for 60 s at most); its output and errors. */
  static String exec(DockerClient engine, String container, String... command) throws InterruptedException {
    return exec(engine, Duration.ofSeconds(60), container, command);
  }

  /** The same, waited for {@code within} at most. */
  static String exec(DockerClient engine, Duration within, String container, String... command)
      throws InterruptedException {
    ExecCreateCmdResponse e = engine.execCreateCmd(container).withCmd(command).withAttachStdout(true)
        .withAttachStderr(true).exec();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    engine.execStartCmd(e.getId()).exec(new ExecStartResultCallback(out, out))
        .awaitCompletion(within.toSeconds(), TimeUnit.SECONDS);
    return out.toString(StandardCharsets.UTF_8);
  }

  /** A container's whole log, its output and errors. */
  static String logsOf(DockerClient engine, String container) throws InterruptedException {
    return logsOf(engine, container, 0);
  }

  /** A container's log since {@code since} (epoch seconds; 0: all), each line stamped when {@code since} is given. */
  static String logsOf(DockerClient engine, String container, long since) throws InterruptedException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    var cmd = engine.logContainerCmd(container).withStdOut(true).withStdErr(true);
    if (since > 0) {
      cmd = cmd.withSince((int) since).withTimestamps(true);
    }
    cmd.exec(new com.github.dockerjava.core.command.LogContainerResultCallback() {
          @Override
          public void onNext(com.github.dockerjava.api.model.Frame frame) {
            out.writeBytes(frame.getPayload());
          }
        }).awaitCompletion(10, TimeUnit.SECONDS);
    return out.toString(StandardCharsets.UTF_8);
  }

  /** A member's state in a cluster's status (its JSON); empty when it has no such member. */
  static String memberState(JsonNode status, String member) {
    for (JsonNode m : status.path("members")) {
      if (m.path("name").asText().equals(member)) {
        return m.path("state").asText();
      }
    }
    return "";
  }

  /** pgherd's command line on this machine with {@code args}, in {@code home} (null: the usual one) and {@code env}. */
  static ItSupport.Run pgherd(Path home, Map<String, String> env, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(ItSupport.repo().resolve("bin/pgherd").toString()));
    cmd.addAll(List.of(args));
    return ItSupport.run(home, cmd, env);
  }

  /** A new empty directory: a pgherd home with no cluster in it (one that has clusters keeps its commands on this machine). */
  static Path emptyHome() {
    try {
      return Files.createTempDirectory("pgherd-empty-home");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A connection as postgres to lab host {@code host}'s {@code port}, with its connect and socket timeouts (seconds). */
  static Connection connect(int host, int port, String password, int connectTimeout, int socketTimeout)
      throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("password", password);
    p.setProperty("connectTimeout", Integer.toString(connectTimeout));
    p.setProperty("socketTimeout", Integer.toString(socketTimeout));
    p.setProperty("sslmode", "disable");
    return DriverManager.getConnection("jdbc:postgresql://" + address(host) + ":" + port + "/postgres", p);
  }

  /** The address of host {@code i} on the lab's bridge. */
  static String address(int i) {
    return String.format(ADDRESS, i);
  }

  /** The Docker host of engine {@code i}'s socket, as a client names it. */
  static String socket(int i) {
    return "unix:///run/pgsw/docker" + i + ".sock";
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
