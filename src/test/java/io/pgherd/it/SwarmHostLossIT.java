package io.pgherd.it;

import static io.pgherd.it.SwarmLab.memberState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Task;
import io.pgherd.model.Names;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Losing a host of the three-node Swarm (issue 23), as a user runs pgherd there: {@code pgherd
 * operator deploy} (three replicas: one acts, two stand by) and a synchronous cluster of three, one
 * member per node, with a 5 s isolation timeout. In order: the primary's host crashed under a
 * write loop — a replica on another node promoted, every acknowledged row on it, every surviving
 * node's load balancer leading to it, the host back and its member rejoining; the acting
 * operator's host crashed — the standby takes over, no failover, nothing done twice; the primary's
 * host cut off — its agent fences it before a replica is promoted, no load balancer ever has two
 * writable servers behind it, and the old primary rejoins when the link is back; a replica's host
 * cut off and back — it streams again from the slot the primary kept for it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@org.junit.jupiter.api.Tag("host-loss") // -Dit.excludedGroups=host-loss leaves it out of `mvn -B verify`: README, "Test"
class SwarmHostLossIT {
  private static final String OPERATOR = "pgherd-operator";
  private static final String CLUSTER = "hostloss";
  private static final int RW = 17432;
  private static final int RO = 17433;
  private static final String SPEC = String.join("\n", "apiVersion: pgherd.io/v1", "kind: PostgresCluster",
      "metadata:", "  name: " + CLUSTER, "spec:", "  instances: 3", "  loadBalancer:", "    bindAddress: 0.0.0.0",
      "    readWritePort: " + RW, "    readOnlyPort: " + RO, "  replication:", "    mode: sync", "  failover:",
      "    isolationTimeout: 5s", "  postgres:", "    parameters:",
      // a bound a test can write past in seconds (the product's default is 4GB); a walsender whose replica's
      // host is cut off gives up within 10 s (default 60 s), so that its slot is inactive and can be given up
      "      max_slot_wal_keep_size: \"64MB\"", "      wal_sender_timeout: \"10s\"", "");
  private static SwarmLab lab;
  private static String password;

  @BeforeAll
  static void up() throws Exception {
    ItSupport.buildOperatorImages();
    lab = SwarmLab.up();
    lab.load("pgherd/operator:latest");
    lab.rememberNodes(); // node id → lab host, taken while every host is up (a crashed one cannot say its id)
    ItSupport.Run deploy = ItSupport.run(null, List.of(ItSupport.repo().resolve("bin/pgherd").toString(), "operator",
        "deploy", "--docker-socket", SwarmLab.NODE_SOCKET), Map.of("DOCKER_HOST", SwarmLab.socket(1)));
    assertThat(deploy.exitCode()).as(deploy.output()).isZero();
    assertThat(deploy.output()).contains("3 replicas on as many managers: one acts, the others stand by");
    Path spec = Files.createTempFile(CLUSTER, ".yaml");
    Files.writeString(spec, SPEC);
    ItSupport.Run apply = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2))
        .until(() -> cli(1, "apply", "-f", spec.toString()), r -> r.exitCode() == 0);
    assertThat(apply.output()).contains("postgrescluster/" + CLUSTER);
  }

  private static Instant testStarted;

  @org.junit.jupiter.api.BeforeEach
  void started() {
    testStarted = Instant.now();
  }

  /** When a test failed: what every operator replica said during it, stamped, and the running ones' threads (the lab is gone afterwards). */
  @org.junit.jupiter.api.extension.RegisterExtension
  static final org.junit.jupiter.api.extension.TestWatcher DIAGNOSIS = new org.junit.jupiter.api.extension.TestWatcher() {
    @Override
    public void testFailed(org.junit.jupiter.api.extension.ExtensionContext context, Throwable cause) {
      diagnose(context.getDisplayName());
    }
  };

  private static void diagnose(String test) {
    try { // the status and the cluster's log as the acting operator has them
      int via = lab.managerHost();
      System.out.println("---- " + test + " failed; status through host " + via + ":\n" + cli(via, "status", CLUSTER).output());
      String[] log = cli(via, "logs", CLUSTER).output().split("\n");
      System.out.println("---- the cluster log's last lines:");
      for (int i = Math.max(0, log.length - 80); i < log.length; i++) {
        System.out.println(log[i].length() > 400 ? log[i].substring(0, 400) : log[i]);
      }
    } catch (Exception e) {
      System.out.println("---- status: " + e.getMessage());
    }
    try { // the Swarm's word on every task of the cluster's services (a task stuck starting shows here)
      DockerClient m = lab.engine(lab.managerHost());
      for (var service : m.listServicesCmd().withLabelFilter(Map.of("io.pgherd.cluster", CLUSTER)).exec()) {
        for (Task t : m.listTasksCmd().withServiceFilter(service.getSpec().getName()).exec()) {
          System.out.println("---- task of " + service.getSpec().getName() + " on host "
              + (t.getNodeId() == null ? null : lab.host(t.getNodeId()))
              + ": desired " + t.getDesiredState() + ", " + (t.getStatus() == null ? "no status" : t.getStatus().getState()
              + " since " + t.getStatus().getTimestamp() + (t.getStatus().getErr() == null ? "" : ": " + t.getStatus().getErr())
              + (t.getStatus().getContainerStatus() == null ? "" : ", container " + t.getStatus().getContainerStatus().getContainerID())));
        }
      }
    } catch (RuntimeException e) {
      System.out.println("---- tasks: " + e.getMessage());
    }
    for (int h = 1; h <= SwarmLab.NODES; h++) {
      try {
        for (Container c : lab.engine(h).listContainersCmd().withShowAll(true)
            .withLabelFilter(Map.of("com.docker.swarm.service.name", OPERATOR)).exec()) {
          if ("running".equals(c.getState())) { // a thread dump on its stdout: where a pass may hang
            SwarmLab.exec(lab.engine(h), c.getId(), "sh", "-c", "kill -QUIT 1; sleep 1"); // tini hands it to the JVM
          }
          String[] lines = SwarmLab.logsOf(lab.engine(h), c.getId(), testStarted.getEpochSecond()).split("\n");
          System.out.println("---- " + test + " failed: operator container " + c.getId().substring(0, 12)
              + " on host " + h + " (" + c.getState() + "), since the test began:");
          for (int i = Math.max(0, lines.length - 600); i < lines.length; i++) {
            System.out.println(lines[i].length() > 300 ? lines[i].substring(0, 300) : lines[i]);
          }
        }
      } catch (RuntimeException | InterruptedException e) {
        System.out.println("---- host " + h + ": " + e.getMessage());
      }
    }
  }

  @AfterAll
  static void cleanUp() throws Exception {
    if (lab == null) {
      return;
    }
    for (int h = 1; h <= SwarmLab.NODES; h++) {
      try {
        lab.heal(h);
      } catch (RuntimeException | java.io.IOException e) {
        // up already
      }
    }
    SwarmLab.removeClusterAndOperator(lab.engine(1), OPERATOR, CLUSTER);
  }

  @Test
  @Order(0)
  void aPrimaryOnTheNodeOfTheSwarmsRaftLeaderIsSwitchedOverToAnotherNode() throws Exception {
    JsonNode healthy = awaitHealthy(lab.managerHost(), 3, Duration.ofMinutes(4));
    assertThat(password()).hasSizeGreaterThan(16);
    int raft = lab.raftLeaderHost();
    if (hostOf(healthy) != raft) { // a person puts it there (the operator moves it on its own when it starts there)
      String there = null;
      for (JsonNode m : healthy.path("members")) {
        if (lab.host(m.path("node").asText()) == raft) {
          there = m.path("name").asText();
        }
      }
      ItSupport.Run sw = cli(lab.managerHost(), "switchover", CLUSTER, "--to", there);
      assertThat(sw.exitCode()).as(sw.output()).isZero();
    }
    JsonNode moved = awaitOneRolePerHost();
    assertThat(hostOf(moved)).as("the primary's host, not the raft leader's").isNotEqualTo(lab.raftLeaderHost());
    assertThat(cli(lab.managerHost(), "logs", CLUSTER).output()).contains("placement: switchover asked for: the primary",
        "the Swarm's raft leader");
  }

  @Test
  @Order(1)
  void thePrimarysHostCrashedUnderAWriteLoopAReplicaElsewhereTakesOverWithEveryAcknowledgedRow() throws Exception {
    // the acting operator keeps off the primary's node while a standby waits on a node without one
    JsonNode healthy = awaitOneRolePerHost();
    int primaryHost = hostOf(healthy);
    String oldPrimary = healthy.path("primary").asText();
    int via = primaryHost == 1 ? 2 : 1;
    Instant t0 = Instant.now();
    WriteLoop loop = new WriteLoop(() -> connect(via, RW), Duration.ofMinutes(3), 1_000_000);
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> loop.count() > 20);
      Instant crashed = Instant.now();
      lab.crash(primaryHost);
      JsonNode after = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
          .until(() -> status(via), s -> !s.path("primary").asText().equals(oldPrimary)
              && "running".equals(memberState(s, s.path("primary").asText())));
      String newPrimary = after.path("primary").asText();
      await().atMost(Duration.ofSeconds(30)).until(() -> loop.acknowledgedAfter(Instant.now().minusSeconds(1)) > 0);
      loop.close();
      System.out.println("primary's host crashed: write outage " + loop.longestGap().toMillis() + " ms, "
          + loop.count() + " rows acknowledged, " + loop.errors.get() + " errors");
      // sync: every acknowledged row is on the new primary
      try (Connection c = connect(via, RW); Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("select id from cinsert")) {
        Set<Long> there = new HashSet<>();
        while (rs.next()) {
          there.add(rs.getLong(1));
        }
        assertThat(there).as("every acknowledged insert").containsAll(loop.acknowledged);
      }
      assertThat(hostOf(after)).isNotEqualTo(primaryHost);
      // every surviving node's load balancer leads to the new primary
      for (int h = 1; h <= SwarmLab.NODES; h++) {
        if (h != primaryHost) {
          int host = h;
          await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
            try (Connection c = connect(host, RW); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select pg_is_in_recovery()")) {
              rs.next();
              assertThat(rs.getBoolean(1)).as("host " + host + "'s read-write port").isFalse();
            }
          });
        }
      }
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(2)).ignoreExceptions().untilAsserted(() ->
          assertThat(memberState(status(via), oldPrimary)).as("the old primary waits for its node")
              .contains("waiting for a node", "down"));
      String log = cli(via, "logs", CLUSTER).output();
      assertThat(log).contains("failover: " + oldPrimary + " → " + newPrimary);
      System.out.println("failover " + Duration.between(crashed, Instant.now()).toSeconds() + " s or less after the crash");
    } finally {
      loop.close();
      lab.boot(primaryHost);
    }
    // back: the old primary rejoins as a replica of the new one, and its node's load balancer is there again
    JsonNode healed = awaitHealthy(via, 3, Duration.ofMinutes(3));
    assertThat(memberState(healed, oldPrimary)).as("the old primary, a replica again").isEqualTo("streaming");
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
      try (Connection c = connect(primaryHost, RW); Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("select pg_is_in_recovery()")) {
        rs.next();
        assertThat(rs.getBoolean(1)).isFalse();
      }
    });
    System.out.println("from the crash to healthy again with the host back: " + Duration.between(t0, Instant.now()).toSeconds() + " s");
  }

  @Test
  @Order(2)
  void theActingOperatorsHostCrashedTheStandbyTakesOverWithoutAFailover() throws Exception {
    JsonNode before = awaitOneRolePerHost();
    int leader = leaderHost();
    int primaryHost = hostOf(before);
    assertThat(leader).as("the acting operator is off the primary's node").isNotEqualTo(primaryHost);
    assertThat(leader).as("the acting operator is off the raft leader's node").isNotEqualTo(lab.raftLeaderHost());
    String primary = before.path("primary").asText();
    long token = lab.leaseToken(primaryHost);
    int via = primaryHost;
    Instant crashed = Instant.now();
    lab.crash(leader);
    try {
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
          .until(() -> lab.leaseToken(via) > token && lab.leaseHolderHost(via) != leader);
      Duration takeover = Duration.between(crashed, Instant.now());
      System.out.println("the acting operator's host crashed: a standby acts " + takeover.toMillis() + " ms later");
      JsonNode st = await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
          .until(() -> status(via), s -> s.path("members").size() == 3);
      assertThat(st.path("primary").asText()).as("no failover").isEqualTo(primary);
      SwarmLab.Holder standby = lab.leaseHolder(via);
      String standbyLog = SwarmLab.logsOf(lab.engine(standby.host()), standby.container());
      assertThat(standbyLog).contains("took the operator lease", "home restored from the Swarm");
      // the cluster's history came with the home: its log on the new holder's node has the lines from before
      String history = cli(via, "logs", CLUSTER).output();
      List<String> earlier = new ArrayList<>(List.of(history.split("\n")));
      earlier.removeAll(linesSince(history, crashed));
      assertThat(earlier).as("the cluster's creation, logged by an operator before this one")
          .anyMatch(l -> l.contains(" create-member: "));
    } finally {
      lab.boot(leader);
    }
    JsonNode back = awaitHealthy(via, 3, Duration.ofMinutes(3));
    assertThat(back.path("primary").asText()).isEqualTo(primary);
    assertThat(linesSince(cli(via, "logs", CLUSTER).output(), crashed))
        .noneMatch(l -> l.contains("failover:") || l.contains("promoted:") || l.contains("create-member:"));
  }

  @Test
  @Order(3)
  void thePrimarysHostCutOffFencesItselfBeforeAReplicaIsPromotedAndRejoinsWhenHealed() throws Exception {
    JsonNode before = awaitOneRolePerHost();
    String oldPrimary = before.path("primary").asText();
    int cut = hostOf(before);
    int via = cut == 1 ? 2 : 1;
    List<LbSampler> samplers = new ArrayList<>();
    for (int h = 1; h <= SwarmLab.NODES; h++) {
      samplers.add(new LbSampler(h, RW, password()));
    }
    Instant cutAt = Instant.now();
    lab.cut(cut);
    try {
      JsonNode after = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
          .until(() -> status(via), s -> !s.path("primary").asText().equals(oldPrimary)
              && "running".equals(memberState(s, s.path("primary").asText())));
      System.out.println("primary's host cut off: promoted " + Duration.between(cutAt, Instant.now()).toMillis()
          + " ms or less after the cut");
      // the old primary's agent fenced it (its engine's socket is on this machine: read through the cut)
      DockerClient engine = lab.engine(cut);
      String agentLog = SwarmLab.logsOf(engine, SwarmLab.newestContainer(engine, "pgherd-" + oldPrimary));
      assertThat(agentLog).as(agentLog).contains("no word from the operator");
      assertThat(after.path("primary").asText()).isNotEqualTo(oldPrimary);
      Thread.sleep(3000); // the samplers see both sides a while longer
    } finally {
      lab.heal(cut);
    }
    JsonNode healed = awaitHealthy(via, 3, Duration.ofMinutes(3));
    for (LbSampler s : samplers) {
      s.close();
    }
    // at no instant two servers writable through the load balancers
    assertThat(LbSampler.dualWritable(samplers)).as("instants with two writable servers").isEmpty();
    assertThat(samplers.stream().mapToInt(s -> s.samples.size()).sum()).isGreaterThan(50);
    assertThat(memberState(healed, oldPrimary)).as("the old primary, a replica again").isEqualTo("streaming");
    // the log names it, whichever operator replica acts now (it moves with the home)
    assertThat(cli(via, "logs", CLUSTER).output()).contains("failover: " + oldPrimary + " → ");
  }

  @Test
  @Order(4)
  void theActingOperatorsHostCutOffItStopsActingAStandbyTakesOverItsReplicasSlotIsGivenUpAndItIsClonedAgainWhenHealed() throws Exception {
    JsonNode before = awaitOneRolePerHost();
    int primaryHost = hostOf(before);
    SwarmLab.Holder holder = lab.leaseHolder(lab.managerHost());
    int cut = holder.host(); // it runs a replica: the acting operator is off the primary's node
    String oldLeader = holder.container();
    long token = lab.leaseToken(primaryHost);
    String replica = null;
    for (JsonNode m : before.path("members")) {
      if (lab.host(m.path("node").asText()) == cut) {
        replica = m.path("name").asText();
      }
    }
    assertThat(replica).as(before.toString()).isNotNull();
    String member = replica;
    String slot = Names.slot(member);
    int saidBefore = SwarmLab.logsOf(lab.engine(cut), oldLeader).length(); // it may have paused and resumed before
    Instant cutAt = Instant.now();
    lab.cut(cut);
    try {
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
          .until(() -> lab.leaseToken(primaryHost) > token && lab.leaseHolderHost(primaryHost) != cut);
      // the old one, behind the cut, could not renew its lease and paused: it acts on nothing (its engine's
      // socket is on this machine)
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
          .until(() -> SwarmLab.logsOf(lab.engine(cut), oldLeader), l -> l.contains("pgherd operator: pausing:"));
      JsonNode degraded = await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
          .until(() -> status(primaryHost), s -> !"streaming".equals(memberState(s, member)));
      assertThat(degraded.path("primary").asText()).as("no failover").isEqualTo(before.path("primary").asText());
      // the primary writes past the cut replica's slot's bound: the slot is given up, not the primary's disk
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
          .until(() -> slotColumn(primaryHost, slot, "active::text"), "false"::equals); // its walsender gave up
      try (Connection c = connect(primaryHost, RW); Statement st = c.createStatement()) {
        c.setNetworkTimeout(Runnable::run, 120_000); // a new segment is zero-filled: slow on a busy lab
        try (ResultSet rs = st.executeQuery("select setting from pg_settings where name = 'max_slot_wal_keep_size'")) {
          rs.next();
          assertThat(rs.getString(1)).as("the replica's slot cannot fill the primary's disk").isEqualTo("64");
        }
        st.execute("create table if not exists whilecut(id int)");
        for (int i = 0; i < 12; i++) { // 12 segments of 16MB: past the bound and wal_keep_size (128MB) alike
          st.execute("insert into whilecut values (" + i + ")");
          st.execute("select pg_switch_wal()");
        }
        st.execute("checkpoint"); // gives the slot up and removes the WAL it held
      }
      assertThat(slotColumn(primaryHost, slot, "wal_status")).isEqualTo("lost");
    } finally {
      lab.heal(cut);
    }
    // healed: the old one stops without having acted again. Which of three it sees first is a race, each a
    // right stop: the lease another holds now (its renewal), a newer home in the Swarm (its home's loop), or
    // the Swarm stopping its task (replaced while its node was down)
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .until(() -> !lab.engine(cut).inspectContainerCmd(oldLeader).exec().getState().getRunning());
    String sinceCut = SwarmLab.logsOf(lab.engine(cut), oldLeader).substring(saidBefore);
    assertThat(sinceCut).contains("pgherd operator: pausing:");
    String sincePause = sinceCut.substring(sinceCut.indexOf("pgherd operator: pausing:"));
    assertThat(sincePause).as("it never resumed").doesNotContain("resumed:");
    if (lab.engine(cut).inspectContainerCmd(oldLeader).exec().getState().getExitCodeLong() != 137) { // not SIGKILLed
      assertThat(sincePause).as("it stopped, and said why")
          .containsAnyOf("lost the operator lease", "this operator's view is stale and it stops acting",
              "the operator lease was not this replica's to give up", "could not give the operator lease up");
    }
    assertThat(sincePause.lines()).as("it acted on nothing once paused")
        .noneMatch(l -> l.contains("failover:") || l.contains("promoted:") || l.contains("create-member:")
            || l.contains("fence:") || l.contains("gave the operator lease up"));
    JsonNode back = awaitHealthy(primaryHost, 3, Duration.ofMinutes(3));
    assertThat(memberState(back, member)).isEqualTo("streaming");
    assertThat(back.path("primary").asText()).isEqualTo(before.path("primary").asText());
    // healed, it could not stream through its lost slot: cloned again, by itself, and the status says why
    JsonNode reclone = memberOf(back, member).path("lastReclone");
    assertThat(reclone.path("reason").asText()).as(back.toString())
        .startsWith("replication slot " + slot + " invalidated on the primary " + back.path("primary").asText())
        .contains("max_slot_wal_keep_size = 64MB");
    assertThat(Instant.parse(reclone.path("at").asText())).isAfter(cutAt);
    assertThat(cli(primaryHost, "status", CLUSTER).output()).contains(member + " re-cloned at ");
    List<String> said = linesSince(cli(primaryHost, "logs", CLUSTER).output(), cutAt);
    assertThat(said).noneMatch(l -> l.contains("failover:") || l.contains("promoted:"));
    // (its volume emptied: "cloning", or "existing data volume kept" by an operator that took over meanwhile
    // and knew the volume, which its entrypoint then finds empty and clones into)
    assertThat(said).filteredOn(l -> l.contains("create-member:")).as("only the re-clone")
        .allMatch(l -> l.contains("create-member: " + member + ": replica, "));
    try (Connection c = connect(primaryHost, RW); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("select count(*) from whilecut")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(12);
    }
  }

  // ---- helpers

  /** pgherd's command line on this machine, a client of host {@code host}'s manager (runtime auto: to the operator). */
  private static ItSupport.Run cli(int host, String... args) throws Exception {
    return SwarmLab.pgherd(EMPTY_HOME, Map.of("DOCKER_HOST", SwarmLab.socket(host)), args);
  }

  private static final Path EMPTY_HOME = SwarmLab.emptyHome();

  private static String lastStatusError = "";

  /** The status through host {@code host}'s manager; a failure said (once per kind) on stdout, for a timeout's diagnosis. */
  private static JsonNode status(int host) throws Exception {
    ItSupport.Run r = cli(host, "status", CLUSTER, "-o", "json");
    if (r.exitCode() != 0) {
      String first = r.output().strip().split("\n")[0];
      if (!first.equals(lastStatusError)) {
        System.out.println(Instant.now() + " status through host " + host + " failed (" + r.exitCode() + "): " + first);
        lastStatusError = first;
      }
      throw new IllegalStateException(r.output());
    }
    lastStatusError = ""; // said again should it come back
    return new ObjectMapper().readTree(r.output());
  }

  private static String lastWaitError = "";

  /** A condition that failed with an exception says so (once per kind) on stdout and counts as not met. */
  private static boolean saying(java.util.concurrent.Callable<Boolean> condition) {
    try {
      boolean met = condition.call();
      lastWaitError = "";
      return met;
    } catch (Exception | AssertionError e) {
      String why = String.valueOf(e).split("\n")[0];
      if (!why.equals(lastWaitError)) {
        System.out.println(Instant.now() + " waiting: " + why);
        lastWaitError = why;
      }
      return false;
    }
  }

  private static JsonNode awaitHealthy(int host, int streaming, Duration within) {
    return await().atMost(within).pollInterval(Duration.ofSeconds(2)).ignoreExceptions()
        .until(() -> status(host), s -> "Healthy".equals(s.path("phase").asText())
            && countStreaming(s) == streaming - 1);
  }

  /**
   * Healthy, all streaming, and one host for each of the primary, the acting operator and the raft
   * leader: the operator steps off the primary's node and the raft leader's within ~35 s, and the
   * primary is switched over off the raft leader's within ~35 s.
   */
  private static JsonNode awaitOneRolePerHost() {
    return await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).ignoreExceptions()
        .until(() -> status(lab.managerHost()), s -> saying(() -> {
          int operator = leaderHost();
          int raft = lab.raftLeaderHost();
          return "Healthy".equals(s.path("phase").asText()) && countStreaming(s) == 2 && hostOf(s) != operator
              && hostOf(s) != raft && operator != raft;
        }));
  }

  /** The lines of a cluster log stamped at or after {@code t}. */
  private static List<String> linesSince(String log, Instant t) {
    List<String> out = new ArrayList<>();
    for (String line : log.split("\n")) {
      int sp = line.indexOf(' ');
      try {
        if (sp > 0 && !Instant.parse(line.substring(0, sp)).isBefore(t)) {
          out.add(line);
        }
      } catch (java.time.format.DateTimeParseException e) {
        // a continuation line
      }
    }
    return out;
  }

  private static int countStreaming(JsonNode s) {
    int n = 0;
    for (JsonNode m : s.path("members")) {
      n += "streaming".equals(m.path("state").asText()) ? 1 : 0;
    }
    return n;
  }

  /** The lab host of the primary, by its node in the status. */
  private static int hostOf(JsonNode status) {
    for (JsonNode m : status.path("members")) {
      if ("primary".equals(m.path("role").asText())) {
        return lab.host(m.path("node").asText());
      }
    }
    throw new IllegalStateException("no primary in " + status);
  }

  /** The host of the operator replica that holds the lease, as the Swarm (asked through a manager) says. */
  private static int leaderHost() {
    return lab.leaseHolderHost(lab.managerHost());
  }

  /** Member {@code name}'s entry in a status, or a missing node. */
  private static JsonNode memberOf(JsonNode status, String name) {
    for (JsonNode m : status.path("members")) {
      if (m.path("name").asText().equals(name)) {
        return m;
      }
    }
    return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }

  /** One column of slot {@code slot} on the primary, through host {@code host}'s read-write port. */
  private static String slotColumn(int host, String slot, String column) throws Exception {
    try (Connection c = connect(host, RW); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("select " + column + " from pg_replication_slots where slot_name = '" + slot + "'")) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  private static Connection connect(int host, int port) throws Exception {
    return SwarmLab.connect(host, port, password(), 3, 10);
  }

  /** The cluster's superuser password, as the acting operator's home has it (read once; each test can run alone). */
  private static synchronized String password() throws InterruptedException {
    if (password == null) {
      SwarmLab.Holder acting = lab.leaseHolder(lab.managerHost());
      password = SwarmLab.exec(lab.engine(acting.host()), acting.container(), "cat",
          "/var/lib/pgherd/secrets/" + CLUSTER + "/superuser-password").trim();
    }
    return password;
  }
}
