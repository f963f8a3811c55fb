package io.pgherd.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.ExecCreateCmdResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Service;
import com.github.dockerjava.core.command.ExecStartResultCallback;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A whole cluster on the three-node Swarm, made by the operator itself (issue 22), driven as a
 * user would from the host: {@code pgherd operator deploy}, then {@code PGHERD_RUNTIME=swarm pgherd
 * apply/status/switchover/get}. In order: one member per node, every replica streaming through its
 * slot over the overlay, the load balancer a task on every node (each copy routing to the primary,
 * a status line each) whose read-write port reaches the one primary and whose read-only port
 * balances over all three members, no password in any service's definition; a killed primary
 * failed over to another node; a switchover across nodes; the operator moved to another manager
 * resuming from the home kept in the Swarm; a drained node's replica waiting, then back; drift
 * and scaling in and out.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class SwarmClusterIT {
  private static final String OPERATOR = "pgherd-operator";
  private static final String CLUSTER = "swc";
  private static final String SPEC = String.join("\n", "apiVersion: pgherd.io/v1", "kind: PostgresCluster",
      "metadata:", "  name: " + CLUSTER, "spec:", "  instances: 3", "  loadBalancer:", "    bindAddress: 0.0.0.0",
      "    readWritePort: 15432", "    readOnlyPort: 15433", "");
  private static SwarmLab lab;
  private static DockerClient manager;

  @BeforeAll
  static void up() throws Exception {
    ItSupport.buildOperatorImages();
    lab = SwarmLab.up();
    lab.load("pgherd/operator:latest");
    manager = lab.engine(1);
    // as a user would: `pgherd operator deploy` against a manager (the lab's sockets are at their own paths);
    // it makes the control network and the operator's key when they are missing
    ItSupport.Run deploy = deploy("h1");
    assertThat(deploy.exitCode()).as(deploy.output()).isZero();
    assertThat(deploy.output()).contains("created the service " + OPERATOR);
  }

  /** A command of pgherd's command line on the host, a client of the lab's first manager, with PGHERD_RUNTIME=swarm. */
  private static ItSupport.Run cli(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of(ItSupport.repo().resolve("bin/pgherd").toString()));
    cmd.addAll(List.of(args));
    return ItSupport.run(null, cmd, Map.of("DOCKER_HOST", "unix:///run/pgsw/docker1.sock", "PGHERD_RUNTIME", "swarm"));
  }

  /** {@code pgherd operator deploy}, from the host, against the lab's first manager, the operator on lab host {@code host}. */
  private static ItSupport.Run deploy(String host) throws Exception {
    return ItSupport.run(null, List.of(ItSupport.repo().resolve("bin/pgherd").toString(), "operator", "deploy",
        "--docker-socket", "/run/pgsw/docker1.sock", "--constraint", "node.labels.pgherd.lab.host==" + host),
        Map.of("DOCKER_HOST", "unix:///run/pgsw/docker1.sock"));
  }

  @AfterAll
  static void cleanUp() throws Exception {
    if (manager == null) {
      return;
    }
    remove(OPERATOR); // first, so that it makes nothing again
    await().atMost(Duration.ofSeconds(60)).until(() -> operatorContainer().isEmpty());
    for (Service s : manager.listServicesCmd().withLabelFilter(Map.of("io.pgherd.cluster", CLUSTER)).exec()) {
      remove(s.getSpec().getName());
    }
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
      manager.removeNetworkCmd("pgherd-" + CLUSTER).exec();
      return true;
    });
    manager.listSecretsCmd().withLabelFilter(Map.of("io.pgherd.cluster", CLUSTER)).exec()
        .forEach(s -> manager.removeSecretCmd(s.getId()).exec());
    manager.listConfigsCmd().withFilters(Map.of("label", List.of("io.pgherd.cluster=" + CLUSTER))).exec()
        .forEach(c -> manager.removeConfigCmd(c.getId()).exec());
    manager.listConfigsCmd().withFilters(Map.of("label", List.of("io.pgherd.home"))).exec()
        .forEach(c -> manager.removeConfigCmd(c.getId()).exec());
    manager.listConfigsCmd().withFilters(Map.of("label", List.of("io.pgherd.home.part-of"))).exec()
        .forEach(c -> manager.removeConfigCmd(c.getId()).exec());
    manager.listSecretsCmd().withNameFilter(List.of("pgherd-operator-key")).exec()
        .forEach(s -> manager.removeSecretCmd(s.getId()).exec());
  }

  private static String operator;
  private static String password;

  @Test
  @org.junit.jupiter.api.Order(1)
  void threeMembersOnePerNodeStreamingOverTheOverlayBehindALoadBalancerOnEveryNode() throws Exception {
    operator = await().atMost(Duration.ofSeconds(60)).until(SwarmClusterIT::operatorContainer, c -> !c.isEmpty());
    await().atMost(Duration.ofSeconds(30)).until(() -> exec(operator, "cat", "/proc/1/cmdline").contains("pgherd-operator"));
    Path spec = Files.createTempFile("swc", ".yaml");
    Files.writeString(spec, SPEC);
    // the command line on the host, a manager's client: it reaches the operator through the Swarm
    ItSupport.Run apply = cli("apply", "-f", spec.toString());
    assertThat(apply.exitCode()).as(apply.output()).isZero();
    assertThat(apply.output()).contains("postgrescluster/" + CLUSTER + " created");

    JsonNode status = await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .until(() -> new ObjectMapper().readTree(exec(operator, "pgherd", "status", CLUSTER, "-o", "json")),
            s -> "Healthy".equals(s.path("phase").asText()));
    Set<String> nodes = new HashSet<>();
    for (JsonNode m : status.path("members")) {
      nodes.add(m.path("node").asText());
      if ("replica".equals(m.path("role").asText())) {
        assertThat(m.path("state").asText()).as(m.toString()).isEqualTo("streaming");
        assertThat(m.path("slot").asText()).as(m.toString()).isNotBlank();
      }
    }
    assertThat(nodes).hasSize(3).doesNotContain("", "null"); // one member per node, each named by its node
    for (int i = 1; i <= 3; i++) {
      assertThat(manager.inspectServiceCmd("pgherd-" + CLUSTER + "-" + i).exec().getSpec().getTaskTemplate().getPlacement()
          .getConstraints()).anyMatch(c -> c.startsWith("node.id=="));
    }

    // a status line per copy of the load balancer, one per node: each sends writes to the primary
    String primary = status.path("primary").asText();
    awaitEveryCopyRoutes(primary, nodes);
    ItSupport.Run text = cli("status", CLUSTER);
    assertThat(text.exitCode()).as(text.output()).isZero();
    assertThat(text.output().split("Load balancer on node ", -1)).as(text.output()).hasSize(4);
    assertThat(text.output()).containsPattern("MEMBER .* NODE");
    for (int host = 1; host <= SwarmLab.NODES; host++) {
      int node = host;
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
        try (java.net.Socket sock = new java.net.Socket()) {
          sock.connect(new java.net.InetSocketAddress(SwarmLab.address(node), 15432), 1000);
          return true;
        }
      });
    }
    password = exec(operator, "cat", "/var/lib/pgherd/secrets/" + CLUSTER + "/superuser-password").trim();
    String primaryAddress = null;
    for (int host = 1; host <= SwarmLab.NODES; host++) { // writes through every node's read-write port: the one primary
      try (Connection c = connect(host, 15432, password); Statement st = c.createStatement()) {
        st.execute("create table if not exists t (host int)");
        st.execute("insert into t values (" + host + ")");
        ResultSet rs = st.executeQuery("select pg_is_in_recovery(), inet_server_addr()::text");
        rs.next();
        assertThat(rs.getBoolean(1)).as("read-write via host " + host).isFalse();
        primaryAddress = primaryAddress == null ? rs.getString(2) : primaryAddress;
        assertThat(rs.getString(2)).as("read-write via host " + host).isEqualTo(primaryAddress);
      }
    }
    for (int host = 1; host <= SwarmLab.NODES; host++) { // reads through every node's read-only port: all three members
      Set<String> servers = new HashSet<>();
      for (int k = 0; k < 6; k++) {
        try (Connection c = connect(host, 15433, password); Statement st = c.createStatement()) {
          ResultSet rs = st.executeQuery("select inet_server_addr()::text");
          rs.next();
          servers.add(rs.getString(1));
        }
      }
      int via = host;
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> { // the rows written through every node, on every member
        try (Connection c = connect(via, 15433, password); Statement st = c.createStatement()) {
          ResultSet rs = st.executeQuery("select count(*) from t");
          rs.next();
          assertThat(rs.getInt(1)).isEqualTo(3);
        }
      });
      assertThat(servers).as("read-only via host " + host).hasSize(3);
    }

    for (Service s : manager.listServicesCmd().exec()) { // no password in any service's definition
      assertThat(s.toString() + s.getRawValues()).doesNotContain(password);
    }
  }

  @Test
  @org.junit.jupiter.api.Order(2)
  void thePrimaryKilledOnItsNodeAReplicaOnAnotherTakesOverBehindEveryNodesLoadBalancerAndTheOldOneRejoins()
      throws Exception {
    assertThat(operator).as("the cluster of the first test").isNotNull();
    JsonNode before = status();
    String old = before.path("primary").asText();
    Set<String> nodes = new HashSet<>();
    before.path("members").forEach(m -> nodes.add(m.path("node").asText()));
    // the primary's task container, killed on its own node's engine (as a crash of PostgreSQL's container would)
    boolean killed = false;
    for (int host = 1; host <= SwarmLab.NODES && !killed; host++) {
      DockerClient engine = lab.engine(host);
      for (Container c : engine.listContainersCmd()
          .withLabelFilter(Map.of("com.docker.swarm.service.name", "pgherd-" + old)).exec()) {
        engine.killContainerCmd(c.getId()).exec();
        killed = true;
      }
    }
    assertThat(killed).as("the primary's task container was found on a node").isTrue();

    JsonNode after = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .until(SwarmClusterIT::status, s -> !old.equals(s.path("primary").asText()) && s.path("timeline").asInt() >= 2);
    String now = after.path("primary").asText();
    awaitEveryCopyRoutes(now, nodes);
    for (int host = 1; host <= SwarmLab.NODES; host++) { // every node's read-write port: the new primary, writable
      int via = host;
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
        try (Connection c = connect(via, 15432, password); Statement st = c.createStatement()) {
          st.execute("insert into t values (" + (10 + via) + ")");
        }
      });
    }
    // the old primary comes back by itself, as a replica of the new one, streaming through its slot
    JsonNode healed = await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .until(SwarmClusterIT::status, s -> "Healthy".equals(s.path("phase").asText()));
    assertThat(healed.path("primary").asText()).isEqualTo(now);
    for (JsonNode m : healed.path("members")) {
      if (m.path("name").asText().equals(old)) {
        assertThat(m.path("role").asText()).isEqualTo("replica");
        assertThat(m.path("state").asText()).isEqualTo("streaming");
      }
    }
    String log = exec(operator, "pgherd", "logs", CLUSTER);
    System.out.println(log); // what the operator did, for whoever reads this test's output
    assertThat(log).contains("failover");
  }

  @Test
  @org.junit.jupiter.api.Order(3)
  void aSwitchoverMovesThePrimaryToAnotherNodeAndTheOldOneStreamsFromIt() throws Exception {
    assertThat(operator).as("the cluster of the first test").isNotNull();
    JsonNode before = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .until(SwarmClusterIT::status, s -> "Healthy".equals(s.path("phase").asText()));
    String old = before.path("primary").asText();
    Set<String> nodes = new HashSet<>();
    before.path("members").forEach(m -> nodes.add(m.path("node").asText()));
    ItSupport.Run out = cli("switchover", CLUSTER);
    assertThat(out.exitCode()).as(out.output()).isZero();
    JsonNode after = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .until(SwarmClusterIT::status, s -> !old.equals(s.path("primary").asText())
            && "Healthy".equals(s.path("phase").asText()));
    String now = after.path("primary").asText();
    awaitEveryCopyRoutes(now, nodes);
    for (JsonNode m : after.path("members")) {
      if (m.path("name").asText().equals(old)) {
        assertThat(m.path("role").asText()).isEqualTo("replica");
        assertThat(m.path("state").asText()).isEqualTo("streaming");
      }
    }
    try (Connection c = connect(1, 15432, password); Statement st = c.createStatement()) {
      st.execute("insert into t values (100)");
    }
    String log = exec(operator, "pgherd", "logs", CLUSTER);
    System.out.println(log);
    assertThat(log).contains("switchover: " + old + " → " + now,
        "rejoined: " + old + " streams from " + now + " on timeline 3 after its data as it was");
  }

  @Test
  @org.junit.jupiter.api.Order(4)
  void theOperatorMovedToAnotherManagerResumesFromTheHomeKeptInTheSwarmWithoutAFailover() throws Exception {
    assertThat(operator).as("the cluster of the first test").isNotNull();
    JsonNode before = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .until(SwarmClusterIT::status, s -> "Healthy".equals(s.path("phase").asText()));
    String primary = before.path("primary").asText();
    // the home in the Swarm is sealed: no password in any Swarm config, no key in the operator's service
    for (com.github.dockerjava.api.model.Config c : manager.listConfigsCmd().exec()) {
      String data = String.valueOf(((Map<?, ?>) c.getRawValues().get("Spec")).get("Data"));
      assertThat(new String(java.util.Base64.getDecoder().decode(data), StandardCharsets.ISO_8859_1))
          .doesNotContain(password);
    }
    String key = exec(operator, "cat", "/run/secrets/pgherd-operator-key").trim();
    assertThat(key).hasSizeGreaterThan(32);
    assertThat(manager.inspectServiceCmd(OPERATOR).exec().toString()).doesNotContain(key);

    String old = operator;
    ItSupport.Run moved = deploy("h2"); // another manager: its own, empty home volume
    assertThat(moved.exitCode()).as(moved.output()).isZero();
    assertThat(moved.output()).contains("updated the service " + OPERATOR);
    operator = await().atMost(Duration.ofSeconds(90)).until(() -> onHost(2), c -> !c.isEmpty());
    await().atMost(Duration.ofSeconds(60)).until(() -> operatorContainer().isEmpty() || !operatorContainer().equals(old));
    DockerClient second = lab.engine(2);
    String logs = await().atMost(Duration.ofSeconds(60)).until(() -> logsOf(second, operator),
        l -> l.contains("home restored from the Swarm: generation "));
    // the same cluster, seen and kept by the new operator: same primary, same password, no failover
    JsonNode after = await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .until(() -> statusVia(second), s -> "Healthy".equals(s.path("phase").asText()));
    assertThat(after.path("primary").asText()).isEqualTo(primary);
    assertThat(execOn(second, operator, "cat", "/var/lib/pgherd/secrets/" + CLUSTER + "/superuser-password").trim())
        .isEqualTo(password);
    try (Connection c = connect(2, 15432, password); Statement st = c.createStatement()) {
      st.execute("insert into t values (200)");
    }
    Thread.sleep(3000); // a few passes of the new operator
    String since = execOn(second, operator, "pgherd", "logs", CLUSTER);
    System.out.println(logs + since);
    // (the cluster log is the new operator's own: logs are not part of the home kept in the Swarm)
    assertThat(since).doesNotContain("failover:", "switchover:", "create-member", "recreate", "fence", "promoted");
    assertThat(statusVia(second).path("primary").asText()).isEqualTo(primary);
    // the command line on the host reaches the operator where it runs now
    ItSupport.Run get = cli("get", CLUSTER);
    assertThat(get.exitCode()).as(get.output()).isZero();
    assertThat(get.output()).containsPattern(CLUSTER + " .*Healthy +" + primary);
  }

  @Test
  @org.junit.jupiter.api.Order(5)
  void aReplicaOnADrainedNodeWaitsSayingSoAndStreamsAgainWhenTheNodeIsActive() throws Exception {
    assertThat(operator).as("the cluster of the first test").isNotNull();
    DockerClient second = lab.engine(2); // the operator runs on lab host 2 since the last test
    JsonNode before = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .until(() -> statusVia(second), s -> "Healthy".equals(s.path("phase").asText()));
    String primary = before.path("primary").asText();
    String member = null;
    String node = null;
    for (JsonNode m : before.path("members")) {
      String n = m.path("node").asText();
      String host = manager.listSwarmNodesCmd().withIdFilter(List.of(n)).exec().get(0).getSpec().getLabels()
          .get("pgherd.lab.host");
      if ("replica".equals(m.path("role").asText()) && !"h2".equals(host)) {
        member = m.path("name").asText();
        node = n;
      }
    }
    assertThat(member).as(before.toString()).isNotNull();
    String drained = member;
    ItSupport.Run drain = ItSupport.run(null, List.of("docker", "node", "update", "--availability", "drain", node),
        Map.of("DOCKER_HOST", "unix:///run/pgsw/docker1.sock"));
    assertThat(drain.exitCode()).as(drain.output()).isZero();
    try {
      // not moved elsewhere (its data is on that node): it waits, and status says why
      JsonNode waiting = await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
          .until(() -> statusVia(second), s -> memberState(s, drained).contains("is drained"));
      assertThat(memberState(waiting, drained)).contains("waiting for a node: ", node, "drained");
      assertThat(waiting.path("primary").asText()).isEqualTo(primary);
    } finally {
      ItSupport.Run active = ItSupport.run(null, List.of("docker", "node", "update", "--availability", "active", node),
          Map.of("DOCKER_HOST", "unix:///run/pgsw/docker1.sock"));
      assertThat(active.exitCode()).as(active.output()).isZero();
    }
    JsonNode back = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .until(() -> statusVia(second), s -> "Healthy".equals(s.path("phase").asText())
            && "streaming".equals(memberState(s, drained)));
    assertThat(back.path("primary").asText()).isEqualTo(primary);
    for (JsonNode m : back.path("members")) {
      if (m.path("name").asText().equals(drained)) {
        assertThat(m.path("node").asText()).as("on its own node again").isEqualTo(node);
      }
    }
  }

  @Test
  @org.junit.jupiter.api.Order(6)
  void aReplicaServiceRemovedByHandIsMadeAgainOnItsNodeAndScalingInAndOutKeepsOneMemberPerNode() throws Exception {
    assertThat(operator).as("the cluster of the first test").isNotNull();
    DockerClient second = lab.engine(2);
    JsonNode before = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .until(() -> statusVia(second), s -> "Healthy".equals(s.path("phase").asText()));
    String primary = before.path("primary").asText();
    String replica = null;
    String node = null;
    for (JsonNode m : before.path("members")) {
      if ("replica".equals(m.path("role").asText())) {
        replica = m.path("name").asText();
        node = m.path("node").asText();
      }
    }
    String removed = replica;
    // drift: the replica's service removed by hand; made again on the node its data is on
    manager.removeServiceCmd("pgherd-" + removed).exec();
    JsonNode healed = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .until(() -> statusVia(second), s -> "Healthy".equals(s.path("phase").asText())
            && "streaming".equals(memberState(s, removed)) && manager.listServicesCmd()
                .withNameFilter(List.of("pgherd-" + removed)).exec().size() == 1);
    assertThat(healed.path("primary").asText()).isEqualTo(primary);
    for (JsonNode m : healed.path("members")) {
      if (m.path("name").asText().equals(removed)) {
        assertThat(m.path("node").asText()).as("made again where its data is").isEqualTo(node);
      }
    }

    // scale in to 2, then out to 3 again: one member per node throughout
    Path spec = Files.createTempFile("swc", ".yaml");
    Files.writeString(spec, SPEC.replace("instances: 3", "instances: 2"));
    ItSupport.Run in = cli("apply", "-f", spec.toString());
    assertThat(in.exitCode()).as(in.output()).isZero();
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .until(() -> statusVia(second), s -> "Healthy".equals(s.path("phase").asText()) && s.path("members").size() == 2);
    assertThat(manager.listServicesCmd().withNameFilter(List.of("pgherd-" + CLUSTER + "-3")).exec()).isEmpty();
    Files.writeString(spec, SPEC);
    ItSupport.Run out = cli("apply", "-f", spec.toString());
    assertThat(out.exitCode()).as(out.output()).isZero();
    JsonNode three = await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .until(() -> statusVia(second), s -> "Healthy".equals(s.path("phase").asText()) && s.path("members").size() == 3);
    Set<String> nodes = new HashSet<>();
    three.path("members").forEach(m -> nodes.add(m.path("node").asText()));
    assertThat(nodes).hasSize(3);
    assertThat(three.path("primary").asText()).isEqualTo(primary);
  }

  private static String memberState(JsonNode status, String member) {
    for (JsonNode m : status.path("members")) {
      if (m.path("name").asText().equals(member)) {
        return m.path("state").asText();
      }
    }
    return "";
  }

  private static String onHost(int host) {
    List<Container> c = lab.engine(host).listContainersCmd()
        .withLabelFilter(Map.of("com.docker.swarm.service.name", OPERATOR)).exec();
    return c.isEmpty() ? "" : c.get(0).getId();
  }

  private static JsonNode statusVia(DockerClient engine) throws Exception {
    return new ObjectMapper().readTree(execOn(engine, operator, "pgherd", "status", CLUSTER, "-o", "json"));
  }

  private static String logsOf(DockerClient engine, String container) throws InterruptedException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    engine.logContainerCmd(container).withStdOut(true).withStdErr(true)
        .exec(new com.github.dockerjava.core.command.LogContainerResultCallback() {
          @Override
          public void onNext(com.github.dockerjava.api.model.Frame frame) {
            out.writeBytes(frame.getPayload());
          }
        }).awaitCompletion(10, TimeUnit.SECONDS);
    return out.toString(StandardCharsets.UTF_8);
  }

  /** Every copy of the load balancer (one per node) reads its servers, with {@code primary} UP alone in read-write. */
  private static void awaitEveryCopyRoutes(String primary, Set<String> nodes) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions().untilAsserted(() -> {
      JsonNode instances = status().path("endpoints").path("instances");
      Set<String> on = new HashSet<>();
      for (JsonNode i : instances) {
        on.add(i.path("node").asText());
        assertThat(i.path("readWriteServers").toString()).as(i.toString())
            .isEqualTo("[{\"member\":\"" + primary + "\",\"state\":\"UP\"}]");
        assertThat(i.path("readOnlyServers")).as(i.toString()).hasSize(3);
      }
      assertThat(on).as(instances.toString()).isEqualTo(nodes);
    });
  }

  private static JsonNode status() throws Exception {
    return new ObjectMapper().readTree(exec(operator, "pgherd", "status", CLUSTER, "-o", "json"));
  }

  private static Connection connect(int host, int port, String password) throws Exception {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("password", password);
    p.setProperty("connectTimeout", "5");
    p.setProperty("socketTimeout", "20");
    p.setProperty("sslmode", "disable");
    return DriverManager.getConnection("jdbc:postgresql://" + SwarmLab.address(host) + ":" + port + "/postgres", p);
  }

  private static String operatorContainer() {
    List<Container> c = manager.listContainersCmd().withLabelFilter(Map.of("com.docker.swarm.service.name", OPERATOR)).exec();
    return c.isEmpty() ? "" : c.get(0).getId();
  }

  private static String exec(String container, String... command) throws InterruptedException {
    return execOn(manager, container, command);
  }

  private static String execOn(DockerClient engine, String container, String... command) throws InterruptedException {
    ExecCreateCmdResponse e = engine.execCreateCmd(container).withCmd(command).withAttachStdout(true)
        .withAttachStderr(true).exec();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    engine.execStartCmd(e.getId()).exec(new ExecStartResultCallback(out, out)).awaitCompletion(60, TimeUnit.SECONDS);
    return out.toString(StandardCharsets.UTF_8);
  }

  private static void remove(String service) {
    try {
      manager.removeServiceCmd(service).exec();
    } catch (NotFoundException e) {
      // not there
    }
  }
}
