package io.pgherd.it;

import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgherd.model.Names;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/** replication.mode: sync on a real three-member cluster: no acknowledged commit is ever lost. */
class SyncFailoverIT extends ClusterTestBase {
  SyncFailoverIT() {
    super("its", 48432, 48433, 3, "  replication:\n    mode: sync\n");
  }

  /** The engine's calls into the cluster's containers, from the moment it is healthy to the last test. */
  EngineWatch watch;

  @BeforeAll
  void watchTheEngine() throws Exception {
    watch = new EngineWatch(name);
  }

  @AfterAll
  void stopWatching() throws Exception {
    if (watch != null) {
      watch.close();
    }
  }

  String primaryAfterChange() {
    awaitHealthy(instances);
    return memberName(home.readState(name).orElseThrow().primary());
  }

  @Test
  @Order(1)
  void commitsWaitForAQuorumOfOneStandbyNamedForEveryReplica() throws Exception {
    String p = primary();
    assertThat(column(member(p), "show synchronous_standby_names")).containsExactly("ANY 1 (\"its-2\",\"its-3\")");
    await().atMost(ofSeconds(30)).untilAsserted(() -> assertThat(
        column(member(p), "select application_name || ' ' || sync_state from pg_stat_replication order by 1"))
        .containsExactly("its-2 quorum", "its-3 quorum"));
  }

  @Test
  @Order(2)
  void killingThePrimaryUnderWritesLosesNoAcknowledgedCommit() throws Exception {
    String old = primary();
    try (WriteLoop writes = new WriteLoop(home, name, rw, Duration.ofSeconds(120), 100_000)) {
      await().atMost(ofSeconds(20)).until(() -> writes.count() >= 100);
      Instant kill = Instant.now();
      disrupt("docker", "kill", "pgherd-" + old);
      await().atMost(ofSeconds(60)).until(() -> writes.acknowledgedAfter(kill) >= 50);
      writes.close();
      Set<Long> rows = column(ItSupport.connect(home, name, rw), "select id::text from cinsert").stream()
          .map(Long::valueOf).collect(Collectors.toSet());
      List<Long> lost = writes.acknowledged.stream().filter(id -> !rows.contains(id)).toList();
      System.out.printf("sync failover under writes: %d acknowledged, %d lost, %d errors, longest gap %d ms%n",
          writes.acknowledged.size(), lost.size(), writes.errors.get(), writes.longestGap().toMillis());
      assertThat(lost).as("acknowledged commits lost in sync mode").isEmpty();
    }
    String now = primaryAfterChange();
    assertThat(now).isNotEqualTo(old);
    await().atMost(ofSeconds(60)).untilAsserted(() -> assertThat(io.pgherd.store.ClusterLog.readAll(home, name))
        .contains("rejoined: " + old + " streams from " + now));
    // the standby list follows the change of primary: the old primary is a standby now
    List<String> standbys = List.of(memberName(1), memberName(2), memberName(3)).stream().filter(m -> !m.equals(now))
        .map(m -> "\"" + m + "\"").toList();
    await().atMost(ofSeconds(30)).untilAsserted(() -> {
      assertThat(column(member(now), "show synchronous_standby_names"))
          .containsExactly("ANY 1 (" + String.join(",", standbys) + ")");
    });
  }

  @Test
  @Order(3)
  void aSwitchoverInSyncModeLosesNothingEither() throws Exception {
    String old = primary();
    try (WriteLoop writes = new WriteLoop(home, name, rw, Duration.ofSeconds(120), 100_000)) {
      await().atMost(ofSeconds(20)).until(() -> writes.count() >= 50);
      changed = Instant.now();
      assertThat(cli("switchover", name)).isZero();
      Instant done = Instant.now();
      await().atMost(ofSeconds(60)).until(() -> writes.acknowledgedAfter(done) >= 50);
      writes.close();
      Set<Long> rows = column(ItSupport.connect(home, name, rw), "select id::text from cinsert").stream()
          .map(Long::valueOf).collect(Collectors.toSet());
      assertThat(writes.acknowledged.stream().filter(id -> !rows.contains(id)).toList()).isEmpty();
    }
    assertThat(primaryAfterChange()).isNotEqualTo(old);
    // stopped and started again by its agent, not by a signal to its container: no fallback to the engine
    // (a probe over SQL while the demoted member starts as a standby is the observer's, not a fallback of these)
    String log = io.pgherd.store.ClusterLog.readAll(home, name);
    assertThat(log).contains("demote: " + old + ": fast shutdown through its agent");
    assertThat(log.lines().filter(l -> l.contains("agent-fallback") && !l.contains("is probed over SQL")).toList()).isEmpty();
    assertThat(docker.logs(Names.container(old), 2000)).contains("stop (fast) asked by the operator: SIGINT")
        .doesNotContain("cannot send SIG");
  }

  @Test
  @Order(4)
  void aPrimaryCutOffFromTheClusterNetworkFencesItselfBeforeAReplicaIsPromotedAndLosesNothing() throws Exception {
    String old = primary();
    String oldAddress = docker.address(Names.container(old), Names.network(name)).orElseThrow();
    Instant cut;
    try (WriteLoop writes = new WriteLoop(home, name, rw, Duration.ofSeconds(120), 100_000)) {
      await().atMost(ofSeconds(20)).until(() -> writes.count() >= 100);
      cut = Instant.now();
      disrupt("docker", "network", "disconnect", Names.network(name), Names.container(old));
      await().atMost(ofSeconds(60)).until(() -> !primaryAfterChangeOrOld(old).equals(old));
      await().atMost(ofSeconds(60)).until(() -> writes.acknowledgedAfter(cut) >= 50);
      writes.close();
      Set<Long> rows = column(ItSupport.connect(home, name, rw), "select id::text from cinsert").stream()
          .map(Long::valueOf).collect(Collectors.toSet());
      assertThat(writes.acknowledged.stream().filter(id -> !rows.contains(id)).toList())
          .as("acknowledged commits lost in sync mode").isEmpty();
      // the read-write port never led to the old primary again once another server had taken writes
      List<String> by = writes.acknowledgedBy;
      int firstElsewhere = java.util.stream.IntStream.range(0, by.size()).filter(i -> !by.get(i).equals(oldAddress))
          .findFirst().orElseThrow();
      assertThat(by.subList(firstElsewhere, by.size())).as("writes after the change of primary").doesNotContain(oldAddress);
    }
    String now = primaryAfterChange();
    // its agent fenced it (no word from the operator, no majority reachable) before the promotion; the
    // failover made its container again and kept the old one's last log lines (engine timestamps) in the home
    Path kept;
    try (var files = Files.list(homeDir.resolve("logs").resolve(name))) {
      kept = files.filter(f -> f.getFileName().toString().startsWith(old + ".")).max(java.util.Comparator.naturalOrder())
          .orElseThrow(() -> new AssertionError("no kept log of " + old + "'s replaced container"));
    }
    String fenced = Files.readString(kept).lines().filter(l -> l.contains("pgherd-agent: FENCED: no word from the operator"))
        .reduce((a, b) -> b).orElseThrow(() -> new AssertionError("no FENCED line in " + kept));
    Instant fencedAt = Instant.parse(fenced.substring(0, fenced.indexOf(' ')));
    Instant promotedAt = Instant.parse(status().getLastFailover().completedAt());
    assertThat(fencedAt).as("fenced itself before the promotion").isAfter(cut).isBefore(promotedAt);
    assertThat(fenced).contains("only 1 of 3 members reachable (no majority)");
    // and PostgreSQL did stop: its immediate shutdown follows the FENCED line
    String afterFence = Files.readString(kept).substring(Files.readString(kept).indexOf(fenced));
    assertThat(afterFence).as("the kept log after the FENCED line").contains("received immediate shutdown request")
        .doesNotContain("cannot send SIG");
    assertThat(status().getLastFailover().reason()).contains("it has fenced itself by now (isolation timeout");
    System.out.printf("cut-off primary: fenced %d ms after the cut, promotion %d ms after the fence%n",
        Duration.between(cut, fencedAt).toMillis(), Duration.between(fencedAt, promotedAt).toMillis());
    // reconnected by the operator, it rejoins as a replica
    await().atMost(ofSeconds(90)).untilAsserted(() -> assertThat(io.pgherd.store.ClusterLog.readAll(home, name))
        .contains("rejoined: " + old + " streams from " + now));
  }

  /** The primary the stored state names (it changes before the cluster is healthy again). */
  private String primaryAfterChangeOrOld(String old) {
    return home.readState(name).map(t -> memberName(t.primary())).orElse(old);
  }

  @Test
  @Order(5)
  void scalingInRemovesTheMemberFromTheStandbyList() throws Exception {
    String p = primary();
    changed = Instant.now();
    assertThat(cli("apply", "-f", ItSupport.writeSpec(tmp, name, spec.replace("instances: 3", "instances: 2")).toString()))
        .isZero();
    awaitHealthy(2);
    String replica = status().getMembers().stream().map(m -> m.getName()).filter(m -> !m.equals(p)).findFirst()
        .orElseThrow();
    await().atMost(ofSeconds(30)).untilAsserted(() -> {
      assertThat(column(member(p), "show synchronous_standby_names")).containsExactly("ANY 1 (\"" + replica + "\")");
    });
  }

  @Test
  @Order(6)
  void throughKillsAFailoverAFenceASwitchoverAScaleInAndAnIdleMinuteNothingWasExecutedInOrCopiedIntoARunningContainer()
      throws Exception {
    // (the operator made containers again and gave the new ones their files at creation: not counted)
    // and an idle minute after them: the operator's passes, the load balancer's stats, the probes
    int before = watch.all().size();
    Thread.sleep(60_000);
    awaitHealthy(2);
    System.out.println("engine events seen: " + watch.all().size() + " (" + (watch.all().size() - before)
        + " in the idle minute)");
    assertThat(watch.all()).as("the watch saw the cluster's events").anyMatch(e -> e.action().equals("kill"));
    assertThat(watch.intrusions()).as("exec or archive calls into a started container").isEmpty();
    // and the watch does see one when there is one
    String p = memberName(home.readState(name).orElseThrow().primary()); // (two members now: not primary())
    ItSupport.run(null, List.of("docker", "exec", Names.container(p), "true"));
    await().atMost(ofSeconds(10)).untilAsserted(() -> assertThat(watch.intrusions()).isNotEmpty()
        .allMatch(e -> e.action().startsWith("exec_")));
  }
}
