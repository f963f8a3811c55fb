package io.pgherd.it;

import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgherd.api.MemberStatus;
import io.pgherd.api.PostgresClusterStatus;
import io.pgherd.cli.Main;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.docker.DockerGateway;
import io.pgherd.docker.ImageBuilder;
import io.pgherd.model.HaproxyConf;
import io.pgherd.model.Names;
import io.pgherd.reconcile.Operator;
import io.pgherd.store.Home;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.ExecConfig;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.images.builder.Transferable;

/**
 * One real three-member cluster (real Docker, PostgreSQL and HAProxy), shared by the tests in
 * order: each leaves the cluster healthy with three members for the next, except the last ones,
 * which scale and delete it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT extends ClusterTestBase {
  static final String NAME = "itc";
  static final int RW = 45432;
  static final int RO = 45433;
  static final String SPEC = "  instances: 3\n  loadBalancer:\n    readWritePort: " + RW + "\n    readOnlyPort: " + RO + "\n";

  ClusterIT() {
    super(NAME, RW, RO, 3, "");
  }

  /**
   * First the helper containers of an aborted run: a client left on the cluster's network would
   * keep the network from being purged.
   */
  @BeforeAll
  @Override
  void startClusterAndOperator() throws Exception {
    ItSupport.removeLeftoverHelpers();
    super.startClusterAndOperator();
  }

  @Test
  @Order(1)
  void replicasStreamFromThePrimaryThroughSlotsNamedAfterThem() throws Exception {
    PostgresClusterStatus s = status();
    assertThat(s.getPrimary()).isEqualTo("itc-1");
    assertThat(s.getMembers()).extracting(MemberStatus::getName, MemberStatus::getRole, MemberStatus::getState)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("itc-1", "primary", "running"),
            org.assertj.core.groups.Tuple.tuple("itc-2", "replica", "streaming"),
            org.assertj.core.groups.Tuple.tuple("itc-3", "replica", "streaming"));
    assertThat(column(member("itc-1"),
        "select application_name || ' ' || state from pg_stat_replication order by 1"))
        .containsExactly("itc-2 streaming", "itc-3 streaming");
    assertThat(column(member("itc-1"),
        "select slot_name || ' ' || active from pg_replication_slots order by 1"))
        .containsExactly("itc_2 true", "itc_3 true");
    assertThat(column(member("itc-1"), "select setting from pg_settings where name = 'password_encryption'"))
        .containsExactly("scram-sha-256");
  }

  @Test
  @Order(2)
  void aDatabaseCreatedThroughTheReadWritePortAppearsOnEveryReplica() throws Exception {
    try (Connection c = ItSupport.connect(home, NAME, RW); Statement st = c.createStatement()) {
      st.execute("drop database if exists db1");
      st.execute("create database db1");
    }
    for (String replica : List.of("itc-2", "itc-3")) {
      await().ignoreExceptions().atMost(ofSeconds(20)).untilAsserted(() ->
          assertThat(column(member(replica), "select datname from pg_database")).contains("db1"));
      assertThat(column(member(replica), "select pg_is_in_recovery()::text")).containsExactly("true");
    }
  }

  @Test
  @Order(3)
  void theReadWritePortOnlyReachesThePrimaryAndTheReadOnlyPortReachesSeveralMembers() throws Exception {
    for (int i = 0; i < 10; i++) {
      assertThat(column(ItSupport.connect(home, NAME, RW), "select pg_is_in_recovery()::text")).containsExactly("false");
    }
    Set<String> servers = new HashSet<>();
    for (int i = 0; i < 30; i++) {
      servers.addAll(column(ItSupport.connect(home, NAME, RO), "select inet_server_addr()::text"));
    }
    assertThat(servers).hasSizeGreaterThanOrEqualTo(2);
    // status shows which member is behind which listener, as HAProxy sees it, and pgherd status prints it
    String primary = status().getPrimary();
    await().atMost(ofSeconds(30)).untilAsserted(() -> {
      var e = status().getEndpoints();
      assertThat(e.getReadWriteServers()).extracting(v -> v.getMember() + " " + v.getState())
          .containsExactly(primary + " UP");
      assertThat(e.getReadOnlyServers()).extracting(v -> v.getMember() + " " + v.getState())
          .containsExactlyInAnyOrderElementsOf(status().getMembers().stream().map(m -> m.getName() + " UP").toList());
    });
    ItSupport.Run printed = pgherd("status", NAME);
    assertThat(printed.output()).contains("Load balancer: read-write → " + primary + " UP");
  }

  /**
   * The path of an application in a container: on the cluster's network, the load balancer by
   * its container name and its listeners' ports inside the network (not those published on the
   * host). The client is a container of its own on that network, started by the test.
   */
  @Test
  @Order(4)
  void aClientOnTheClusterNetworkReachesTheLoadBalancerByName() throws Exception {
    String lb = Names.loadBalancer(NAME);
    String password = home.secrets().secret(NAME, Home.SUPERUSER_PASSWORD);
    try (GenericContainer<?> client = ItSupport.helper().withNetworkMode(Names.network(NAME))) {
      client.start();
      // the password in a password file (0600, or libpq ignores it): not on a command line,
      // not in the container's or the exec's environment
      String pgpass = lb + ":*:*:postgres:" + password.replace("\\", "\\\\").replace(":", "\\:") + "\n";
      client.copyFileToContainer(Transferable.of(pgpass.getBytes(StandardCharsets.UTF_8), 0600), PGPASSFILE);
      assertThat(psql(client, lb, HaproxyConf.RW_PORT, "select pg_is_in_recovery()")).as("read-write port").isEqualTo("f");
      List<String> readOnly = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        readOnly.add(psql(client, lb, HaproxyConf.RO_PORT, "select pg_is_in_recovery()"));
      }
      // balanced (round robin) over the members: a replica answers, and maybe the primary
      assertThat(readOnly).as("read-only port").isSubsetOf("t", "f").contains("t");
      ItSupport.Run inspect = ItSupport.run(null, List.of("docker", "inspect", client.getContainerId()));
      assertThat(inspect.exitCode()).isZero();
      assertThat(inspect.output()).doesNotContain(password);
    }
  }

  static final String PGPASSFILE = "/root/.pgpass";

  /** One value through psql in the client container (its password from {@link #PGPASSFILE}). */
  static String psql(GenericContainer<?> client, String host, int port, String sql) throws Exception {
    Container.ExecResult r = client.execInContainer(ExecConfig.builder()
        .command(new String[] {"psql", "-X", "-w", "-A", "-t", "-h", host, "-p", Integer.toString(port), "-U", "postgres",
            "-d", "postgres", "-c", sql})
        .envVars(Map.of("PGPASSFILE", PGPASSFILE, "PGCONNECT_TIMEOUT", "5"))
        .build());
    assertThat(r.getExitCode()).as("psql -h %s -p %d: %s", host, port, r.getStderr()).isZero();
    return r.getStdout().strip();
  }

  @Test
  @Order(5)
  void theUsersScenarioScriptsPass() throws Exception {
    Path repo = ItSupport.repo();
    for (String script : List.of("replication.sh", "load-balancing.sh")) {
      ItSupport.Run run = ItSupport.run(homeDir, List.of("bash", repo.resolve("test-scenarios").resolve(script).toString(), NAME));
      System.out.println(run.output());
      assertThat(run.exitCode()).as(script + ":\n" + run.output()).isZero();
      assertThat(run.output()).contains("PASS");
    }
  }

  @Test
  @Order(6)
  void noSecretIsVisibleInDockerInspectOrTheStatus() throws Exception {
    String superuser = home.secrets().secret(NAME, Home.SUPERUSER_PASSWORD);
    String replication = home.secrets().secret(NAME, Home.REPLICATION_PASSWORD);
    for (String c : containers().keySet()) {
      ItSupport.Run inspect = ItSupport.run(null, List.of("docker", "inspect", c));
      assertThat(inspect.exitCode()).isZero();
      assertThat(inspect.output()).doesNotContain(superuser).doesNotContain(replication);
      ItSupport.Run ps = ItSupport.run(null, List.of("docker", "exec", c, "sh", "-c",
          "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done"));
      assertThat(ps.exitCode()).as(ps.output()).isZero();
      assertThat(ps.output()).as("command lines in " + c).containsAnyOf("postgres -D", "haproxy -W").doesNotContain(superuser).doesNotContain(replication);
    }
    String logs = io.pgherd.store.ClusterLog.readAll(home, NAME) + Files.readString(home.statusFile(NAME));
    assertThat(logs).doesNotContain(superuser).doesNotContain(replication);
    assertThat(Files.getPosixFilePermissions(home.secretsDir(NAME).resolve(Home.SUPERUSER_PASSWORD)))
        .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
  }

  @Test
  @Order(7)
  void aSlotThatBelongsToNoMemberIsDropped() throws Exception {
    column(member("itc-1"), "select 'x' from pg_create_physical_replication_slot('orphan_slot', true)");
    await().ignoreExceptions().atMost(ofSeconds(30)).untilAsserted(() -> {
      assertThat(column(member("itc-1"), "select slot_name from pg_replication_slots order by 1"))
          .containsExactly("itc_2", "itc_3");
      assertThat(io.pgherd.store.ClusterLog.readAll(home, NAME)).contains("drop-slot: orphan_slot on itc-1");
    });
  }

  @Test
  @Order(8)
  void aStoppedMemberIsStartedAgain() throws Exception {
    disrupt("docker", "stop", "pgherd-itc-3");
    awaitHealthy(3);
    assertThat(io.pgherd.store.ClusterLog.readAll(home, NAME)).contains("start-member: itc-3");
  }

  @Test
  @Order(9)
  void aMemberRemovedByHandComesBackAndAReplicaWithoutDataIsReCloned() throws Exception {
    String oldId = containers().get("pgherd-itc-2").id();
    disrupt("docker", "rm", "-f", "pgherd-itc-2");
    awaitHealthy(3);
    assertThat(containers().get("pgherd-itc-2").id()).isNotEqualTo(oldId);

    // now the container and its data: the replica is cloned again from the primary
    operator.close();
    disrupt("docker", "rm", "-f", "pgherd-itc-2");
    disrupt("docker", "volume", "rm", "pgherd-itc-2-data");
    operator = startOperator();
    awaitHealthy(3);
    assertThat(column(member("itc-2"), "select datname from pg_database")).contains("db1");
    assertThat(io.pgherd.store.ClusterLog.readAll(home, NAME)).contains("create-member: itc-2: replica, cloning with pg_basebackup");
  }

  @Test
  @Order(10)
  void aRemovedLoadBalancerComesBack() throws Exception {
    disrupt("docker", "rm", "-f", Names.loadBalancer(NAME));
    await().ignoreExceptions().atMost(ofSeconds(60)).untilAsserted(() ->
        assertThat(column(ItSupport.connect(home, NAME, RW), "select pg_is_in_recovery()::text")).containsExactly("false"));
    awaitHealthy(3);
  }

  @Test
  @Order(11)
  void anOperatorRestartedOnAHealthyClusterChangesNothing() throws Exception {
    awaitHealthy(3);
    Map<String, String> before = containers().values().stream()
        .collect(Collectors.toMap(ContainerInfo::name, c -> c.id() + c.status()));
    int lines = logLines();
    operator.close();
    operator = startOperator();
    Thread.sleep(10_000); // several passes of the new operator: there must be nothing for it to do
    Map<String, String> after = containers().values().stream()
        .collect(Collectors.toMap(ContainerInfo::name, c -> c.id() + c.status()));
    assertThat(after.keySet()).isEqualTo(before.keySet());
    containers().values().forEach(c -> assertThat(c.running()).as(c.name()).isTrue());
    assertThat(after).allSatisfy((name, v) -> assertThat(v.substring(0, 64)).isEqualTo(before.get(name).substring(0, 64)));
    List<String> newLines = io.pgherd.store.ClusterLog.readAll(home, NAME).lines().toList();
    assertThat(newLines.subList(lines, newLines.size())).as("actions after the restart").isEmpty();
    assertThat(status().getPhase()).isEqualTo("Healthy");
  }

  @Test
  @Order(12)
  void anInvalidSpecIsRefusedAndChangesNothing() throws Exception {
    String stored = home.readSpec(NAME).orElseThrow();
    Path bad = ItSupport.writeSpec(tmp, NAME, "  instances: 0\n  loadBalancer:\n    readWritePort: 5432\n    readOnlyPort: 5432\n");
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    java.io.PrintStream oldErr = System.err;
    System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
    int rc;
    try {
      rc = cli("apply", "-f", bad.toString());
    } finally {
      System.setErr(oldErr);
    }
    assertThat(rc).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("spec.instances: must be between 1 and 9, got 0")
        .contains("spec.loadBalancer.readOnlyPort");
    assertThat(home.readSpec(NAME)).contains(stored);
    assertThat(containers()).hasSize(4);
    awaitHealthy(3);
  }

  @Test
  @Order(13)
  void aReplicaTooFarBehindLeavesTheReadOnlyRotationUntilItCatchesUp() throws Exception {
    changed = java.time.Instant.now();
    assertThat(cli("apply", "-f", ItSupport.writeSpec(tmp, NAME, SPEC + "    maxReplicaLag: 64kB\n").toString())).isZero();
    awaitHealthy(3);
    column(member("itc-3"), "select pg_wal_replay_pause()::text");
    try {
      try (Connection c = ItSupport.connect(home, NAME, RW); Statement st = c.createStatement()) {
        st.execute("create table if not exists lag_test(x text)");
        st.execute("insert into lag_test select repeat('x', 1000) from generate_series(1, 2000)");
      }
      await().ignoreExceptions().atMost(ofSeconds(30)).untilAsserted(() -> {
        assertThat(lbConfig()).contains("server itc-2 ").doesNotContain("server itc-3 ");
        assertThat(io.pgherd.store.ClusterLog.readAll(home, NAME)).contains("itc-3 (out: lag");
      });
    } finally {
      column(member("itc-3"), "select pg_wal_replay_resume()::text");
    }
    await().ignoreExceptions().atMost(ofSeconds(30)).untilAsserted(() -> assertThat(lbConfig()).contains("server itc-3 "));
    try (Connection c = ItSupport.connect(home, NAME, RW); Statement st = c.createStatement()) {
      st.execute("drop table lag_test");
    }
  }

  @Test
  @Order(14)
  void scalingOutAddsReplicasSlotsAndLoadBalancerEntriesAndScalingInRemovesThem() throws Exception {
    // a session through the read-write port, open across the load balancer's reloads
    Connection session = ItSupport.connect(home, NAME, RW);
    String pid = column0(session, "select pg_backend_pid()::text");
    String five = SPEC.replace("instances: 3", "instances: 5");
    changed = java.time.Instant.now();
    assertThat(cli("apply", "-f", ItSupport.writeSpec(tmp, NAME, five).toString())).isZero();
    awaitHealthy(5);
    assertThat(io.pgherd.store.ClusterLog.readAll(home, NAME)).contains("reload-lb: pgherd-itc-lb: servers now: rw itc-1; ro itc-1,"
        + " itc-2, itc-3, itc-4, itc-5");
    assertThat(column0(session, "select pg_backend_pid()::text")).as("the session survived the reload").isEqualTo(pid);
    session.close();
    assertThat(column(member("itc-1"), "select slot_name from pg_replication_slots where active order by 1"))
        .containsExactly("itc_2", "itc_3", "itc_4", "itc_5");
    assertThat(lbConfig()).contains("server itc-4 ", "server itc-5 ");

    String two = SPEC.replace("instances: 3", "instances: 2");
    changed = java.time.Instant.now();
    assertThat(cli("apply", "-f", ItSupport.writeSpec(tmp, NAME, two).toString())).isZero();
    awaitHealthy(2);
    assertThat(containers().keySet()).containsExactlyInAnyOrder("pgherd-itc-1", "pgherd-itc-2", "pgherd-itc-lb");
    assertThat(docker.volumes(Names.LABEL_CLUSTER, NAME)).containsExactlyInAnyOrder("pgherd-itc-1-data", "pgherd-itc-2-data");
    await().ignoreExceptions().atMost(ofSeconds(30)).untilAsserted(() ->
        assertThat(column(member("itc-1"), "select slot_name from pg_replication_slots order by 1")).containsExactly("itc_2"));
    await().ignoreExceptions().atMost(ofSeconds(30)).untilAsserted(() -> assertThat(new String(
        docker.readFile(Names.loadBalancer(NAME), HaproxyConf.PATH).orElseThrow(), StandardCharsets.UTF_8))
        .doesNotContain("server itc-3 ", "server itc-4 ", "server itc-5 "));
    assertThat(column(ItSupport.connect(home, NAME, RW), "select datname from pg_database")).contains("db1");
  }

  @Test
  @Order(15)
  void deleteRemovesContainersAndNetworkButKeepsVolumesUnlessPurged() throws Exception {
    assertThat(cli("delete", NAME)).isZero();
    assertThat(containers()).isEmpty();
    assertThat(docker.networkExists(Names.network(NAME))).isFalse();
    assertThat(docker.volumes(Names.LABEL_CLUSTER, NAME)).hasSize(2);
    assertThat(home.readSpec(NAME)).isEmpty();
    assertThat(home.secrets().hasSecrets(NAME)).isTrue();

    // the same cluster again: it comes back on its kept data
    changed = java.time.Instant.now();
    assertThat(cli("apply", "-f", ItSupport.writeSpec(tmp, NAME, SPEC.replace("instances: 3", "instances: 2")).toString())).isZero();
    awaitHealthy(2);
    assertThat(column(ItSupport.connect(home, NAME, RW), "select datname from pg_database")).contains("db1");

    assertThat(cli("delete", NAME, "--purge")).isZero();
    assertThat(containers()).isEmpty();
    assertThat(docker.volumes(Names.LABEL_CLUSTER, NAME)).isEmpty();
    assertThat(home.secrets().hasSecrets(NAME)).isFalse();
  }
}
