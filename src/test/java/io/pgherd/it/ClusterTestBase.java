package io.pgherd.it;

import static java.time.Duration.ofMillis;
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

/**
 * A real cluster (real Docker, PostgreSQL and HAProxy) with its own operator home and an
 * in-process operator, shared by the ordered tests of one class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class ClusterTestBase {
  final String name;
  final int rw;
  final int ro;
  final int instances;
  final String spec;
  final String extraSpec;

  ClusterTestBase(String name, int rw, int ro, int instances, String extraSpec) {
    this.name = name;
    this.rw = rw;
    this.ro = ro;
    this.instances = instances;
    this.extraSpec = extraSpec;
    this.spec = "  instances: " + instances + "\n" + extraSpec + "  loadBalancer:\n    readWritePort: " + rw
        + "\n    readOnlyPort: " + ro + "\n";
  }

  String memberName(int n) {
    return name + "-" + n;
  }

  Path tmp;
  Path homeDir;
  Home home;
  DockerGateway docker;
  Operator operator;

  @BeforeAll
  void startClusterAndOperator() throws Exception {
    ItSupport.buildImages();
    tmp = Files.createTempDirectory("pgherd-it-");
    docker = DockerGateway.connect();
    ItSupport.purge(docker, name);
    homeDir = tmp.resolve("home");
    home = new Home(homeDir);
    operator = startOperator();
    assertThat(cli("apply", "-f", ItSupport.writeSpec(tmp, name, fullSpec()).toString())).isZero();
    awaitHealthy(instances);
  }

  /** The body of the spec applied at the start. */
  String fullSpec() {
    return spec;
  }

  @AfterAll
  void stop() throws Exception {
    if (operator != null) {
      operator.close();
    }
    if (docker != null) {
      ItSupport.purge(docker, name);
      docker.close();
    }
  }

  Operator startOperator() {
    Operator op = new Operator(home, docker, ImageBuilder.locate());
    op.start();
    return op;
  }

  int cli(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--home");
    all.add(homeDir.toString());
    return Main.run(all.toArray(String[]::new));
  }

  /** bin/pgherd in its own process, as a user runs it (output captured). */
  ItSupport.Run pgherd(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(ItSupport.repo().resolve("bin/pgherd").toString()));
    cmd.addAll(List.of(args));
    return ItSupport.run(homeDir, cmd);
  }

  PostgresClusterStatus status() {
    return home.readStatus(name).orElseThrow();
  }

  /** When the test last changed something; a status older than that says nothing. */
  java.time.Instant changed = java.time.Instant.EPOCH;

  /** Runs a command that disrupts the cluster (docker rm, stop, ...) and notes when. */
  void disrupt(String... command) throws Exception {
    changed = java.time.Instant.now();
    ItSupport.Run run = ItSupport.run(null, List.of(command));
    assertThat(run.exitCode()).as(String.join(" ", command) + ": " + run.output()).isZero();
  }

  /**
   * Healthy in a status written after the last disruption, with every member container and the
   * load balancer running in Docker.
   */
  void awaitHealthy(int members) {
    try {
      awaitHealthyOnce(members);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(e.getMessage() + "\n" + diagnosis(), e);
    }
  }

  /**
   * What a failed wait leaves to read once the containers are gone (CI shows the failure's message):
   * the status message and the last lines of the log of every member it names.
   */
  String diagnosis() {
    StringBuilder out = new StringBuilder();
    String message = home.readStatus(name).map(s -> s.getPhase() + ": " + s.getMessage()).orElse("no status");
    out.append("status: ").append(message).append('\n');
    for (int n = 1; n <= instances + 2; n++) {
      String member = memberName(n);
      if (!java.util.regex.Pattern.compile("\\b" + member + "\\b").matcher(message).find()) {
        continue;
      }
      try {
        ItSupport.Run logs = ItSupport.run(null, List.of("docker", "logs", "--tail", "25", Names.container(member)));
        out.append("docker logs --tail 25 ").append(Names.container(member)).append(":\n");
        logs.output().lines().forEach(l -> out.append("  | ").append(l).append('\n'));
      } catch (Exception e) {
        out.append(member).append(": its log cannot be read: ").append(e).append('\n');
      }
    }
    return out.toString();
  }

  private void awaitHealthyOnce(int members) {
    await().ignoreExceptions().atMost(ofSeconds(240)).pollInterval(ofSeconds(1)).untilAsserted(() -> {
      assertThat(home.readStatus(name)).as("status of " + name).isPresent();
      assertThat(Files.getLastModifiedTime(home.statusFile(name)).toInstant()).as("status written after the change")
          .isAfter(changed);
      PostgresClusterStatus s = home.readStatus(name).get();
      assertThat(s.getMembers()).as("members (%s: %s)", s.getPhase(), s.getMessage()).hasSize(members);
      assertThat(s.getPhase()).as("phase (%s)", s.getMessage()).isEqualTo("Healthy");
      Map<String, ContainerInfo> running = containers();
      for (MemberStatus m : s.getMembers()) {
        assertThat(running.get(m.getContainer())).as(m.getContainer()).isNotNull()
            .satisfies(c -> assertThat(c.running()).as(c.name() + " running").isTrue());
      }
      assertThat(running.get(Names.loadBalancer(name))).as("load balancer").isNotNull()
          .satisfies(c -> assertThat(c.running()).isTrue());
    });
  }

  /**
   * The primary, once the cluster is healthy and its status names the primary its stored state
   * does: the status is written at the end of a pass, so one written just before a change of
   * primary (by the pass before the one that makes it) can still look healthy for a moment.
   */
  String primary() {
    awaitHealthy(instances);
    await().ignoreExceptions().atMost(ofSeconds(60)).pollInterval(ofMillis(200)).untilAsserted(() ->
        assertThat(status().getPrimary()).isEqualTo(memberName(home.readState(name).orElseThrow().primary())));
    awaitHealthy(instances);
    return status().getPrimary();
  }

  Map<String, ContainerInfo> containers() {
    Map<String, ContainerInfo> out = new TreeMap<>();
    docker.containers(Names.LABEL_CLUSTER, name).forEach(c -> out.put(c.name(), c));
    return out;
  }

  Connection member(String member) throws Exception {
    ContainerInfo c = docker.container(Names.container(member)).orElseThrow();
    return ItSupport.connect(home, name, c.publishedPorts().get(5432));
  }

  static List<String> column(Connection c, String sql) throws Exception {
    try (c; Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      List<String> out = new ArrayList<>();
      while (rs.next()) {
        out.add(rs.getString(1));
      }
      return out;
    }
  }

  /** The first column of the first row, on a connection that stays open. */
  static String column0(Connection c, String sql) throws Exception {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  int logLines() throws Exception {
    return io.pgherd.store.ClusterLog.readAll(home, name).lines().toList().size();
  }

  String lbConfig() {
    return new String(docker.readFile(Names.loadBalancer(name), HaproxyConf.PATH).orElseThrow(), StandardCharsets.UTF_8);
  }

}
