package io.pgherd.it;

import static io.pgherd.it.SwarmLab.memberState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Service;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A whole cluster on the three-node Swarm, made by the operator itself (issue 22), driven as a
 * user would from the host: {@code pgherd operator deploy}, then {@code PGHERD_RUNTIME=swarm pgherd
 * apply/switchover/get} (and {@code status} with runtime auto). In order: one member per node, every replica streaming through its
 * slot over the overlay, the load balancer a task on every node (each copy routing to the primary,
 * a status line each) whose read-write port reaches the one primary and whose read-only port
 * balances over all three members, the overlay's encryption as probed and said in status, no password in
 * any service's definition; a killed primary
 * failed over to another node; a switchover across nodes (the old primary's task made anew from its template
 * still a replica); the operator killed, then its node drained,
 * running again and resuming from the home kept in the Swarm without a failover, the drained node's
 * replica waiting, then back; drift; a fourth member waiting for a node until a fourth joins, and
 * scaling in again; a Swarm without a quorum of managers refusing the command line, saying why.
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
    return SwarmLab.pgherd(null, Map.of("DOCKER_HOST", "unix:///run/pgsw/docker1.sock", "PGHERD_RUNTIME", "swarm"), args);
  }

  /** The same with runtime auto (no PGHERD_RUNTIME): a manager whose Swarm runs pgherd's operator is enough. */
  private static ItSupport.Run cliAuto(String... args) throws Exception {
    // (a home of its own, empty: a home with clusters keeps its commands on this machine)
    return SwarmLab.pgherd(EMPTY_HOME, Map.of("DOCKER_HOST", "unix:///run/pgsw/docker1.sock"), args);
  }

  private static final Path EMPTY_HOME = SwarmLab.emptyHome();

  /** {@code pgherd operator deploy}, from the host, against the lab's first manager, the operator on lab host {@code host}. */
  private static ItSupport.Run deploy(String... hosts) throws Exception {
    // one host: ==; several: != each of the others
    List<String> constraints = new java.util.ArrayList<>();
    for (int h = 1; h <= SwarmLab.NODES; h++) {
      boolean listed = List.of(hosts).contains("h" + h);
      if (hosts.length == 1 ? listed : !listed) {
        constraints.add("node.labels.pgherd.lab.host" + (hosts.length == 1 ? "==" : "!=") + "h" + h);
      }
    }
    // one replica: this test follows the one operator task as Swarm moves it (SwarmHostLossIT has a standby)
    List<String> cmd = new java.util.ArrayList<>(List.of(ItSupport.repo().resolve("bin/pgherd").toString(), "operator",
        "deploy", "--docker-socket", "/run/pgsw/docker1.sock", "--replicas", "1",
        "--primary-placement", "off")); // its tests change primaries themselves, and count on no other change
    constraints.forEach(c -> cmd.addAll(List.of("--constraint", c)));
    return ItSupport.run(null, cmd, Map.of("DOCKER_HOST", "unix:///run/pgsw/docker1.sock"));
  }

  @AfterAll
  static void cleanUp() throws Exception {
    if (manager != null) {
      SwarmLab.removeClusterAndOperator(manager, OPERATOR, CLUSTER);
    }
  }

  private static String operator;
  private static String password;

  @Test
  @org.junit.jupiter.api.Order(1)
  void threeMembersOnePerNodeStreamingOverTheOverlayBehindALoadBalancerOnEveryNode() throws Exception {
    operator = await().atMost(Duration.ofSeconds(60)).until(() -> onHost(1), c -> !c.isEmpty());
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
    ItSupport.Run text = cliAuto("status", CLUSTER);
    assertThat(text.exitCode()).as(text.output()).isZero();

    // the overlay: encrypted exactly when the probe found this Swarm's nodes carry IPsec (this kernel: not), said in status
    JsonNode net = status.path("network");
    assertThat(net.path("name").asText()).as(status.toString()).isEqualTo("pgherd-" + CLUSTER);
    assertThat(net.path("driver").asText()).isEqualTo("overlay");
    Map<String, String> options = manager.inspectNetworkCmd().withNetworkId("pgherd-" + CLUSTER).exec().getOptions();
    boolean encrypted = options != null && options.containsKey("encrypted");
    assertThat(net.path("encrypted").asBoolean()).as(net.toString()).isEqualTo(encrypted);
    assertThat(net.path("note").asText()).startsWith(encrypted ? "an encrypted overlay carried traffic between all 3 nodes"
        : "an encrypted overlay carried no traffic between the nodes");
    assertThat(text.output()).contains("Network:   pgherd-" + CLUSTER + " (overlay, " + (encrypted ? "encrypted" : "not encrypted: "));
    assertThat(manager.listServicesCmd().withNameFilter(List.of("pgherd-ipsec-probe")).exec()).as("the probe leaves nothing")
        .isEmpty();
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

    // from the host, a manager's client with runtime auto: psql through this manager's node's load balancer
    // (the password sealed to the call's own key on its way), status -w and logs -f asked again and again
    ItSupport.Run rw = cliAuto("psql", CLUSTER, "--", "-XAtc", "select pg_is_in_recovery(), count(*) from t");
    assertThat(rw.exitCode()).as(rw.output()).isZero();
    assertThat(rw.output().strip()).isEqualTo("f|3");
    ItSupport.Run ro = cliAuto("psql", CLUSTER, "--read-only", "--", "-XAtc", "select 1");
    assertThat(ro.exitCode()).as(ro.output()).isZero();
    assertThat(ro.output().strip()).isEqualTo("1");
    for (com.github.dockerjava.api.model.Config c : manager.listConfigsCmd().exec()) { // nothing readable left behind
      String data = String.valueOf(((Map<?, ?>) c.getRawValues().get("Spec")).get("Data"));
      assertThat(new String(java.util.Base64.getDecoder().decode(data), StandardCharsets.ISO_8859_1)).doesNotContain(password);
    }
    String pgherd = ItSupport.repo().resolve("bin/pgherd").toString();
    Map<String, String> env = Map.of("DOCKER_HOST", "unix:///run/pgsw/docker1.sock", "PGHERD_HOME", EMPTY_HOME.toString());
    ItSupport.Run watched = ItSupport.run(null, List.of("timeout", "8", pgherd, "status", CLUSTER, "-w", "--interval", "1"), env);
    assertThat(watched.exitCode()).as(watched.output()).isEqualTo(124); // still watching when stopped
    assertThat(watched.output().split("Every 1.0s: pgherd status", -1).length).as(watched.output()).isGreaterThan(2);
    assertThat(watched.output()).contains("Primary:   " + primary);
    ItSupport.Run followed = ItSupport.run(null, List.of("timeout", "6", pgherd, "logs", CLUSTER, "-f"), env);
    assertThat(followed.exitCode()).as(followed.output()).isEqualTo(124);
    assertThat(followed.output()).contains("create-member");
    String first = followed.output().lines().filter(l -> l.contains("create-member")).findFirst().orElseThrow();
    assertThat(followed.output().split(java.util.regex.Pattern.quote(first), -1)).as("each line once").hasSize(2);
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

    // a new task of the old primary's service, made from its template as when its node comes back after a
    // crash: it starts with the replica's files its agent was given, not the primary's it was created with
    String service = "pgherd-" + old;
    Set<String> tasksBefore = new HashSet<>();
    manager.listTasksCmd().withServiceFilter(service).exec().forEach(t -> tasksBefore.add(t.getId()));
    Service svc = manager.inspectServiceCmd(service).exec();
    com.github.dockerjava.api.model.ServiceSpec spec = svc.getSpec();
    Integer force = spec.getTaskTemplate().getForceUpdate();
    spec.getTaskTemplate().withForceUpdate(force == null ? 1 : force + 1);
    manager.updateServiceCmd(svc.getId(), spec).withVersion(svc.getVersion().getIndex()).exec();
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(() -> manager.listTasksCmd()
        .withServiceFilter(service).exec().stream().anyMatch(t -> !tasksBefore.contains(t.getId())
            && t.getStatus() != null && t.getStatus().getState() == com.github.dockerjava.api.model.TaskState.RUNNING));
    Thread.sleep(5000); // a pass or two on the new task
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .until(SwarmClusterIT::status, s -> "streaming".equals(memberState(s, old)) && now.equals(s.path("primary").asText()));
  }

  @Test
  @org.junit.jupiter.api.Order(4)
  void theOperatorKilledOrItsNodeDrainedRunsAgainAndResumesFromTheHomeKeptInTheSwarmWithoutAFailover() throws Exception {
    assertThat(operator).as("the cluster of the first test").isNotNull();
    JsonNode before = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .until(SwarmClusterIT::status, s -> "Healthy".equals(s.path("phase").asText()));
    // the home in the Swarm is sealed: no password in any Swarm config, no key in the operator's service
    for (com.github.dockerjava.api.model.Config c : manager.listConfigsCmd().exec()) {
      String data = String.valueOf(((Map<?, ?>) c.getRawValues().get("Spec")).get("Data"));
      assertThat(new String(java.util.Base64.getDecoder().decode(data), StandardCharsets.ISO_8859_1))
          .doesNotContain(password);
    }
    String key = exec(operator, "cat", "/run/secrets/pgherd-operator-key").trim();
    assertThat(key).hasSizeGreaterThan(32);
    assertThat(manager.inspectServiceCmd(OPERATOR).exec().toString()).doesNotContain(key);

    // 1. its task killed: Swarm starts another (on host 1, where it is constrained to), which resumes
    String killed = operator;
    java.time.Instant t0 = java.time.Instant.now();
    manager.killContainerCmd(killed).exec();
    operator = await().atMost(Duration.ofSeconds(90)).until(() -> onHost(1), c -> !c.isEmpty() && !c.equals(killed));
    awaitResumed(1, before.path("primary").asText(), t0);

    // 2. allowed on two managers, its node drained: Swarm runs it on the other, which resumes; the replica on
    // the drained node is not moved (its data is there): it waits, saying so, and streams again once the node is active
    ItSupport.Run widened = deploy("h1", "h2");
    assertThat(widened.exitCode()).as(widened.output()).isZero();
    String was = operator;
    java.time.Instant t1 = java.time.Instant.now();
    // (whether Swarm replaces a task whose node still meets the new constraints is its business: either is fine)
    await().atMost(Duration.ofSeconds(90)).until(() -> {
      com.github.dockerjava.api.model.ServiceUpdateStatus u = manager.inspectServiceCmd(OPERATOR).exec().getUpdateStatus();
      return (u == null || u.getState() == com.github.dockerjava.api.model.ServiceUpdateState.COMPLETED)
          && operatorHost() > 0;
    });
    int from = operatorHost();
    operator = onHost(from);
    JsonNode healthy = operator.equals(was)
        ? await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
            .until(() -> statusVia(lab.engine(from)), s -> "Healthy".equals(s.path("phase").asText()))
        : awaitResumed(from, before.path("primary").asText(), t1);
    String drainedNode = null;
    String drained = null;
    for (JsonNode m : healthy.path("members")) {
      if (lab.host(m.path("node").asText()) == from) {
        drainedNode = m.path("node").asText();
        drained = m.path("name").asText();
        if ("primary".equals(m.path("role").asText())) { // not the primary's node: that would be a failover
          String to = null;
          for (JsonNode o : healthy.path("members")) {
            to = o.path("name").asText().equals(drained) ? to : o.path("name").asText();
          }
          ItSupport.Run sw = cli("switchover", CLUSTER, "--to", to);
          assertThat(sw.exitCode()).as(sw.output()).isZero();
          String target = to;
          healthy = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
              .until(() -> statusVia(lab.engine(from)), s -> target.equals(s.path("primary").asText())
                  && "Healthy".equals(s.path("phase").asText()));
        }
      }
    }
    assertThat(drained).as(healthy.toString()).isNotNull();
    String primary = healthy.path("primary").asText();
    String member = drained;
    String node = drainedNode;
    int to = from == 1 ? 2 : 1;
    java.time.Instant t2 = java.time.Instant.now();
    ItSupport.Run drain = ItSupport.run(null, List.of("docker", "node", "update", "--availability", "drain", node),
        Map.of("DOCKER_HOST", "unix:///run/pgsw/docker1.sock"));
    assertThat(drain.exitCode()).as(drain.output()).isZero();
    try {
      operator = await().atMost(Duration.ofSeconds(90)).until(() -> onHost(to), c -> !c.isEmpty());
      awaitResumed(to, primary, t2);
      JsonNode waiting = await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
          .until(() -> statusVia(lab.engine(to)), s -> memberState(s, member).contains("is drained"));
      assertThat(memberState(waiting, member)).contains("waiting for a node: ", node, "drained");
      assertThat(waiting.path("primary").asText()).isEqualTo(primary);
    } finally {
      ItSupport.Run active = ItSupport.run(null, List.of("docker", "node", "update", "--availability", "active", node),
          Map.of("DOCKER_HOST", "unix:///run/pgsw/docker1.sock"));
      assertThat(active.exitCode()).as(active.output()).isZero();
    }
    JsonNode back = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .until(() -> statusVia(lab.engine(to)), s -> "Healthy".equals(s.path("phase").asText())
            && "streaming".equals(memberState(s, member)));
    assertThat(back.path("primary").asText()).isEqualTo(primary);
    for (JsonNode m : back.path("members")) {
      if (m.path("name").asText().equals(member)) {
        assertThat(m.path("node").asText()).as("on its own node again").isEqualTo(node);
      }
    }
    // the command line on the host reaches the operator where it runs now
    ItSupport.Run get = cli("get", CLUSTER);
    assertThat(get.exitCode()).as(get.output()).isZero();
    assertThat(get.output()).containsPattern(CLUSTER + " .*Healthy +" + primary);
  }

  @Test
  @org.junit.jupiter.api.Order(6)
  void withoutAQuorumOfManagersTheCommandLineSaysWhyAndNothingChanges() throws Exception {
    assertThat(operator).as("the cluster of the first test").isNotNull();
    Path spec = Files.createTempFile("swc", ".yaml");
    Files.writeString(spec, SPEC.replace("instances: 3", "instances: 2"));
    String before = operator;
    lab.cut(2); // two of the three managers cut off: host 1's manager is left without a majority, so no leader
    lab.cut(3);
    try {
      ItSupport.Run get = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(2))
          .until(() -> cliAuto("get", CLUSTER), r -> r.output().contains("has no leader"));
      assertThat(get.exitCode()).as(get.output()).isEqualTo(1);
      assertThat(get.output()).contains("error: the Swarm of the manager at unix:///run/pgsw/docker1.sock has no leader:"
          + " a majority of its managers cannot be reached");
      ItSupport.Run apply = cli("apply", "-f", spec.toString());
      assertThat(apply.exitCode()).as(apply.output()).isEqualTo(1);
      assertThat(apply.output()).contains("has no leader").doesNotContain("configured", "created");
    } finally {
      lab.heal(2);
      lab.heal(3);
    }
    // the Swarm back: nothing was changed meanwhile (the refused apply did not travel), the cluster as it was
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2)).ignoreExceptions()
        .until(() -> manager.listSwarmNodesCmd().exec().stream().filter(n -> n.getStatus().getState()
            == com.github.dockerjava.api.model.SwarmNodeState.READY).count() == SwarmLab.NODES);
    // an operator that could not renew its lease for its whole term without a quorum paused, saying so, and
    // resumed once its renewal went through (nobody else could take the lease over meanwhile)
    operator = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2)).ignoreExceptions()
        .until(() -> onHost(operatorHost()), c -> !c.isEmpty());
    assertThat(operator).as("the same operator: a Swarm without a quorum stops nobody").isEqualTo(before);
    String said = await().atMost(Duration.ofSeconds(30)).until(() -> SwarmLab.logsOf(lab.engine(operatorHost()), operator),
        l -> !l.contains("pgherd operator: pausing:") || l.contains("pgherd operator: resumed:"));
    System.out.println("the operator during the cut: " + (said.contains("pausing:") ? "paused and resumed" : "never paused"));
    JsonNode after = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2)).ignoreExceptions()
        .until(() -> statusVia(lab.engine(operatorHost())), s -> "Healthy".equals(s.path("phase").asText()));
    assertThat(after.path("members")).hasSize(3);
  }

  /**
   * The operator now on lab host {@code host} restored its home from the Swarm and keeps the same
   * cluster: same primary (running), same password, writes through the load balancer, and in its first
   * passes no failover, switchover or member made again (its cluster log is its own: logs are not
   * part of the home kept in the Swarm).
   */
  private static JsonNode awaitResumed(int host, String primary, java.time.Instant since) throws Exception {
    DockerClient engine = lab.engine(host);
    String logs = await().atMost(Duration.ofSeconds(60)).until(() -> SwarmLab.logsOf(engine, operator),
        l -> l.contains("home restored from the Swarm: generation "));
    // (not Healthy while a drained node's replica waits: the primary running is what counts here)
    await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .until(() -> statusVia(engine), s -> primary.equals(s.path("primary").asText())
            && "running".equals(memberState(s, primary)));
    assertThat(SwarmLab.exec(engine, operator, "cat", "/var/lib/pgherd/secrets/" + CLUSTER + "/superuser-password").trim())
        .isEqualTo(password);
    try (Connection c = connect(host, 15432, password); Statement st = c.createStatement()) {
      st.execute("insert into t values (200)");
    }
    Thread.sleep(3000); // a few passes of the new operator
    StringBuilder lines = new StringBuilder(); // what it logged since then (a home volume it finds again keeps older lines)
    for (String line : SwarmLab.exec(engine, operator, "pgherd", "logs", CLUSTER).split("\n")) {
      int space = line.indexOf(' ');
      try {
        if (space > 0 && !java.time.Instant.parse(line.substring(0, space)).isBefore(since)) {
          lines.append(line).append('\n');
        }
      } catch (java.time.format.DateTimeParseException e) {
        lines.append(line).append('\n'); // a continuation line
      }
    }
    System.out.println(logs + lines);
    assertThat(lines.toString()).doesNotContain("failover:", "switchover:", "create-member", "recreate", "fence", "promoted");
    JsonNode now = statusVia(engine);
    assertThat(now.path("primary").asText()).isEqualTo(primary);
    return now;
  }

  /** The lab host the operator's container runs on (0: none). */
  private static int operatorHost() {
    for (int h = 1; h <= SwarmLab.NODES; h++) {
      if (!onHost(h).isEmpty()) {
        return h;
      }
    }
    return 0;
  }

  @Test
  @org.junit.jupiter.api.Order(5)
  void aReplicaServiceRemovedByHandIsMadeAgainOnItsNodeAndAFourthMemberWaitsForAFourthNode() throws Exception {
    assertThat(operator).as("the cluster of the first test").isNotNull();
    DockerClient second = lab.engine(operatorHost());
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

    // scale out to 4 on 3 nodes: the fourth waits, saying why; a fourth node joins: it is placed there and
    // streams; scale in to 3 again: one member per node throughout, the same primary
    Path spec = Files.createTempFile("swc", ".yaml");
    Files.writeString(spec, SPEC.replace("instances: 3", "instances: 4"));
    ItSupport.Run out = cli("apply", "-f", spec.toString());
    assertThat(out.exitCode()).as(out.output()).isZero();
    String fourth = CLUSTER + "-4";
    JsonNode waiting = await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .until(() -> statusVia(second), s -> memberState(s, fourth).startsWith("waiting for a node"));
    assertThat(memberState(waiting, fourth)).startsWith("waiting for a node: no node for it (one member of a cluster per node)");
    assertThat(waiting.path("primary").asText()).isEqualTo(primary);
    try {
      String joined = lab.join(4);
      JsonNode four = await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
          .until(() -> statusVia(second), s -> "Healthy".equals(s.path("phase").asText()) && s.path("members").size() == 4
              && "streaming".equals(memberState(s, fourth)));
      for (JsonNode m : four.path("members")) {
        if (m.path("name").asText().equals(fourth)) {
          assertThat(m.path("node").asText()).as("on the node that joined").isEqualTo(joined);
          assertThat(m.path("slot").asText()).isNotBlank();
        }
      }
      Files.writeString(spec, SPEC);
      ItSupport.Run in = cli("apply", "-f", spec.toString());
      assertThat(in.exitCode()).as(in.output()).isZero();
      JsonNode three = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
          .until(() -> statusVia(second), s -> "Healthy".equals(s.path("phase").asText()) && s.path("members").size() == 3);
      assertThat(manager.listServicesCmd().withNameFilter(List.of("pgherd-" + fourth)).exec()).isEmpty();
      Set<String> nodes = new HashSet<>();
      three.path("members").forEach(m -> nodes.add(m.path("node").asText()));
      assertThat(nodes).hasSize(3).doesNotContain(joined);
      assertThat(three.path("primary").asText()).isEqualTo(primary);
    } finally {
      lab.leave(4);
    }
  }

  private static String onHost(int host) {
    List<Container> c = lab.engine(host).listContainersCmd()
        .withLabelFilter(Map.of("com.docker.swarm.service.name", OPERATOR)).exec();
    return c.isEmpty() ? "" : c.get(0).getId();
  }

  private static JsonNode statusVia(DockerClient engine) throws Exception {
    return new ObjectMapper().readTree(SwarmLab.exec(engine, operator, "pgherd", "status", CLUSTER, "-o", "json"));
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
    return SwarmLab.connect(host, port, password, 5, 20);
  }

  private static String exec(String container, String... command) throws InterruptedException {
    return SwarmLab.exec(manager, container, command);
  }
}
