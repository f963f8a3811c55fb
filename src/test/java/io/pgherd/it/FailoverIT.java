package io.pgherd.it;

import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgherd.api.MemberStatus;
import io.pgherd.api.PostgresClusterStatus;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.model.Names;
import io.pgherd.model.Topology;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/** Automatic failover, fencing and rejoin on one real three-member cluster. */
class FailoverIT extends ClusterTestBase {
  FailoverIT() {
    super("itf", 46432, 46433, 3, "");
  }

  PostgresClusterStatus status() {
    return home.readStatus(name).orElseThrow();
  }

  /** The primary the status names, once it is Healthy after the last change. */
  /** Every member that accepts writes, asked directly. */
  Set<String> writableMembers() throws Exception {
    Set<String> out = new HashSet<>();
    for (int n = 1; n <= 3; n++) {
      try {
        if (column(member(memberName(n)), "select pg_is_in_recovery()::text").equals(List.of("false"))) {
          out.add(memberName(n));
        }
      } catch (Exception e) {
        // not reachable: not writable either
      }
    }
    return out;
  }

  /** After a failover: one primary, every replica streaming from it, exactly one slot per replica. */
  void assertConsistent(String primary) throws Exception {
    awaitHealthy(instances);
    assertThat(writableMembers()).containsExactly(primary);
    List<String> replicas = status().getMembers().stream().map(MemberStatus::getName).filter(m -> !m.equals(primary))
        .sorted().toList();
    await().ignoreExceptions().atMost(ofSeconds(30)).untilAsserted(() -> {
      assertThat(column(member(primary), "select application_name from pg_stat_replication where state = 'streaming'"
          + " order by 1")).containsExactlyElementsOf(replicas);
      assertThat(column(member(primary), "select slot_name from pg_replication_slots where active order by 1"))
          .containsExactlyElementsOf(replicas.stream().map(r -> r.replace('-', '_')).toList());
      assertThat(column(member(primary), "select slot_name from pg_replication_slots order by 1"))
          .containsExactlyElementsOf(replicas.stream().map(r -> r.replace('-', '_')).toList());
    });
    for (int i = 0; i < 5; i++) {
      assertThat(column(ItSupport.connect(home, name, rw), "select inet_server_addr()::text || ' ' || pg_is_in_recovery()"))
          .singleElement().asString().endsWith("false");
    }
  }

  String log() throws Exception {
    return io.pgherd.store.ClusterLog.readAll(home, name);
  }

  @Test
  @Order(1)
  void killingThePrimaryUnderWritesPromotesTheMostAdvancedReplicaWithoutLosingAcknowledgedWrites() throws Exception {
    assertThat(primary()).isEqualTo("itf-1");
    Map<String, String> replicaIds = containers().values().stream()
        .filter(c -> c.name().equals("pgherd-itf-2") || c.name().equals("pgherd-itf-3"))
        .collect(Collectors.toMap(ContainerInfo::name, ContainerInfo::id));
    // itf-2 stops receiving WAL (an override in postgresql.auto.conf), so itf-3 is the most advanced
    try (Connection c = member("itf-2"); Statement st = c.createStatement()) {
      st.execute("alter system set primary_conninfo = ''");
      st.execute("select pg_reload_conf()");
    }
    Instant kill;
    try (WriteLoop writes = new WriteLoop(home, name, rw, Duration.ofSeconds(120), 100_000)) {
      await().atMost(ofSeconds(20)).until(() -> writes.count() >= 50);
      kill = Instant.now();
      disrupt("docker", "kill", "pgherd-itf-1");
      await().atMost(ofSeconds(60)).until(() -> writes.acknowledgedAfter(kill) >= 50);
      writes.close();
      List<Long> acked = new ArrayList<>(writes.acknowledged);
      assertThat(statePrimary()).isEqualTo("itf-3");
      List<String> present = column(ItSupport.connect(home, name, rw), "select id::text from cinsert");
      Set<Long> rows = present.stream().map(Long::valueOf).collect(Collectors.toSet());
      List<Long> lost = acked.stream().filter(id -> !rows.contains(id)).toList();
      System.out.printf("failover under writes: %d acknowledged, %d lost, %d errors while failing over%n",
          acked.size(), lost.size(), writes.errors.get());
      // async mode: a loss is possible but bounded by the lag limit (16MB); rows are ~50 bytes
      assertThat(lost.size() * 50L).isLessThanOrEqualTo(16L << 20);
    } finally {
      try (Connection c = member("itf-2"); Statement st = c.createStatement()) {
        st.execute("alter system reset primary_conninfo");
        st.execute("select pg_reload_conf()");
      }
    }
    assertThat(log()).contains("failover: itf-1 → itf-3", "itf-3 has the most advanced WAL", "fence: itf-1",
        "promoted: itf-3 is the primary on timeline 2");
    await().atMost(ofSeconds(60)).untilAsserted(() -> assertThat(log()).contains("rejoined: itf-1 streams from itf-3"));
    assertThat(log()).contains("rejoined: itf-1 streams from itf-3 on timeline 2 after pg_rewind");
    assertConsistent("itf-3");
    PostgresClusterStatus s = status();
    assertThat(s.getTimeline()).isEqualTo(2L);
    assertThat(s.getLastFailover().from()).isEqualTo("itf-1");
    assertThat(s.getLastFailover().to()).isEqualTo("itf-3");
    // from the Docker event stream (or, if the listing caught up first, from the container's state)
    assertThat(s.getLastFailover().reason()).containsAnyOf("container died (Docker event at", "container is exited");
    // the other replica was repointed, not re-cloned
    assertThat(containers().get("pgherd-itf-2").id()).isEqualTo(replicaIds.get("pgherd-itf-2"));
  }

  @Test
  @Order(2)
  void aFrozenPrimaryIsFencedAndReplacedAndNeverAcceptsWritesAgain() throws Exception {
    String old = primary();
    disrupt("docker", "pause", Names.container(old));
    await().atMost(ofSeconds(60)).untilAsserted(() -> assertThat(statePrimary()).isNotEqualTo(old));
    assertThat(log()).contains("primary " + old + " is paused (frozen)", "fence-lb: pgherd-itf-lb: " + old
        + " out of the read-write listener, its sessions cut");
    // unpausing does not bring a writable old primary back: it was killed while frozen
    ItSupport.run(null, List.of("docker", "unpause", Names.container(old)));
    String now = primary();
    assertThat(now).isNotEqualTo(old);
    await().atMost(ofSeconds(60)).untilAsserted(() -> assertThat(log()).contains("rejoined: " + old + " streams from " + now));
    assertConsistent(now);
  }

  @Test
  @Order(3)
  void aPrimaryCutOffFromTheClusterNetworkIsReplacedAndRejoinsWhenReconnected() throws Exception {
    String old = primary();
    disrupt("docker", "network", "disconnect", "pgherd-" + name, Names.container(old));
    await().atMost(ofSeconds(60)).untilAsserted(() -> assertThat(statePrimary()).isNotEqualTo(old));
    assertThat(log()).contains("primary " + old + " does not answer SQL");
    String now = primary();
    await().atMost(ofSeconds(60)).untilAsserted(() -> assertThat(log()).contains("rejoined: " + old + " streams from " + now));
    // killed, and its container made again on the cluster network as a replica (no reconnection needed)
    assertThat(log()).contains("fence: " + old + ": container killed (it was running); its container made again");
    assertConsistent(now);
  }

  @Test
  @Order(4)
  void anOperatorThatCrashedMidFailoverFinishesItOnRestart() throws Exception {
    String old = primary();
    Topology t = home.readState(name).orElseThrow();
    int to = t.replicas().get(0);
    operator.close();
    // what a crash right after recording the intent leaves behind: the intent, nothing done yet
    home.writeState(name, t.withFailover(new Topology.Failover(t.primary(), to, "test: operator crashed mid-failover",
        Instant.now().toString(), null, null, null, null)));
    changed = Instant.now();
    operator = startOperator();
    String now = primary();
    assertThat(now).isEqualTo(memberName(to));
    await().atMost(ofSeconds(60)).untilAsserted(() -> assertThat(log()).contains("rejoined: " + old + " streams from " + now));
    assertConsistent(now);
    assertThat(home.readState(name).orElseThrow().failover()).isNull();
  }

  @Test
  @Order(5)
  void theOriginalCrashOfTheMasterProcedureRunsByItself() throws Exception {
    primary();
    changed = Instant.now();
    ProcessBuilder pb = new ProcessBuilder("bash", ItSupport.repo().resolve("test-scenarios/crash-master.sh").toString(),
        name).redirectErrorStream(true);
    pb.environment().put("PGHERD_HOME", homeDir.toString());
    pb.environment().put("LOOP_SECONDS", "40");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor(3, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
    System.out.println(out);
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("PASS: failover from", "clients saw: writes", "acknowledged writes missing after the failover");
    assertConsistent(primary());
  }

  /** Acknowledged writes that are not in the table now (asked through the read-write port). */
  List<Long> lost(WriteLoop writes) throws Exception {
    Set<Long> rows = column(ItSupport.connect(home, name, rw), "select id::text from cinsert").stream()
        .map(Long::valueOf).collect(Collectors.toSet());
    return writes.acknowledged.stream().filter(id -> !rows.contains(id)).toList();
  }

  @Test
  @Order(6)
  void aSwitchoverUnderWritesLosesNothingAndTheOldPrimaryRejoinsWithoutAClone() throws Exception {
    String old = primary();
    Map<String, String> ids = containers().values().stream().collect(Collectors.toMap(ContainerInfo::name,
        ContainerInfo::id));
    try (WriteLoop writes = new WriteLoop(home, name, rw, Duration.ofSeconds(120), 100_000)) {
      await().atMost(ofSeconds(20)).until(() -> writes.count() >= 50);
      changed = Instant.now();
      ItSupport.Run run = pgherd("switchover", name);
      assertThat(run.exitCode()).as(run.output()).isZero();
      Instant done = Instant.now();
      String now = statePrimary();
      assertThat(now).isNotEqualTo(old);
      assertThat(run.output()).contains(now + " is the primary on timeline");
      await().atMost(ofSeconds(60)).until(() -> writes.acknowledgedAfter(done) >= 50);
      writes.close();
      List<Long> lost = lost(writes);
      System.out.printf("switchover under writes: %d acknowledged, %d lost, %d errors, longest gap %d ms%n",
          writes.acknowledged.size(), lost.size(), writes.errors.get(), writes.longestGap().toMillis());
      assertThat(lost).as("acknowledged writes lost by a switchover").isEmpty();
    }
    String now = primary();
    await().atMost(ofSeconds(60)).untilAsserted(() -> assertThat(log()).contains("rejoined: " + old + " streams from " + now));
    assertThat(log()).contains("switchover: " + old + " → " + now, "demote: " + old + ": fast shutdown",
        "caught-up: " + now + " received", "was shut down cleanly and will rejoin as a replica");
    assertConsistent(now);
    // nobody was re-cloned: every member container is the one it was
    containers().values().stream().filter(c -> c.name().startsWith("pgherd-" + name + "-") && !c.name().endsWith("-lb"))
        .forEach(c -> assertThat(c.id()).as(c.name()).isEqualTo(ids.get(c.name())));
    assertThat(status().getLastFailover().kind()).isEqualTo("switchover");
    assertThat(status().getLastFailover().from()).isEqualTo(old);
  }

  @Test
  @Order(7)
  void requestsThatWouldHurtAreRefusedWithTheReasonAndChangeNothing() throws Exception {
    String p = primary();
    String replica = status().getMembers().stream().map(MemberStatus::getName).filter(m -> !m.equals(p)).sorted()
        .findFirst().orElseThrow();
    ItSupport.Run toPrimary = pgherd("switchover", name, "--to", p);
    assertThat(toPrimary.exitCode()).isEqualTo(1);
    assertThat(toPrimary.output()).contains("switchover refused: " + p + " is already the primary");
    // a member the cluster does not have: refused by the command line (exit 2) before any request
    ItSupport.Run unknown = pgherd("switchover", name, "--to", name + "-99");
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(unknown.output()).contains("--to: " + name + " has no member " + name + "-99 (its members: ");
    ItSupport.Run healthy = pgherd("failover", name, "--to", replica);
    assertThat(healthy.exitCode()).isEqualTo(1);
    assertThat(healthy.output()).contains("failover refused: the primary " + p + " is healthy",
        "pgherd switchover NAME --to " + replica);
    ItSupport.Run noTarget = pgherd("failover", name);
    assertThat(noTarget.exitCode()).isEqualTo(2);
    assertThat(noTarget.output()).contains("--to");
    ItSupport.Run noCluster = pgherd("switchover", "nosuch");
    assertThat(noCluster.exitCode()).isEqualTo(2);
    assertThat(noCluster.output()).contains("no cluster named 'nosuch'");
    assertThat(statePrimary()).isEqualTo(p);
    assertThat(writableMembers()).containsExactly(p);
    assertThat(log()).contains("switchover-refused: " + p + " is already the primary");
  }

  @Test
  @Order(8)
  void aNamedSwitchoverAndAForcedManualFailoverBothEndWithOnePrimaryAndARejoin() throws Exception {
    String first = primary();
    String target = status().getMembers().stream().map(MemberStatus::getName).filter(m -> !m.equals(first)).sorted()
        .reduce((a, b) -> b).orElseThrow();
    changed = Instant.now();
    ItSupport.Run run = pgherd("switchover", name, "--to", target);
    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(statePrimary()).isEqualTo(target);
    await().atMost(ofSeconds(60)).untilAsserted(() -> assertThat(log()).contains("rejoined: " + first + " streams from " + target));
    assertConsistent(target);

    String forced = status().getMembers().stream().map(MemberStatus::getName).filter(m -> !m.equals(target)).sorted()
        .findFirst().orElseThrow();
    changed = Instant.now();
    ItSupport.Run force = pgherd("failover", name, "--to", forced, "--force");
    assertThat(force.exitCode()).as(force.output()).isZero();
    assertThat(statePrimary()).isEqualTo(forced);
    assertThat(log()).contains("manual failover: " + target + " → " + forced, "forced failover to " + forced,
        "fence: " + target);
    await().atMost(ofSeconds(60)).untilAsserted(() -> assertThat(log()).contains("rejoined: " + target + " streams from " + forced));
    assertConsistent(forced);
    assertThat(status().getLastFailover().kind()).isEqualTo("manual failover");
  }

  @Test
  @Order(9)
  @org.junit.jupiter.api.Disabled("the CHECKPOINT that invalidates a frozen (docker pause) replica's active slot waits"
      + " on its walsender, which a frozen peer holds (seen > 2 min, also with wal_sender_timeout 5s): a freeze is no"
      + " way to show it on one engine; SwarmHostLossIT shows it on real engines with a replica's host cut off (its"
      + " walsender gone after wal_sender_timeout), FakeClusterLostSlotTest step by step")
  void aReplicaFrozenWhileThePrimaryWritesPastItsSlotsBoundIsClonedAgainByItselfAndTheStatusSaysWhy()
      throws Exception {
    // (a checkpoint that gives up the frozen replica's slot first ends the walsender holding it, which
    // a frozen peer keeps until wal_sender_timeout: seen holding the checkpoint past 2 minutes with the default)
    String bounded = spec.replace("  loadBalancer:\n", "  postgres:\n    parameters:\n      max_slot_wal_keep_size:"
        + " \"64MB\"\n      wal_sender_timeout: \"5s\"\n  loadBalancer:\n");
    assertThat(cli("apply", "-f", ItSupport.writeSpec(tmp, name, bounded).toString())).isZero();
    try {
      String p = primary();
      String away = status().getMembers().stream().map(MemberStatus::getName).filter(m -> !m.equals(p)).sorted()
          .findFirst().orElseThrow();
      String slot = Names.slot(away);
      await().ignoreExceptions().atMost(ofSeconds(30)).untilAsserted(() -> assertThat(column(member(p),
          "show max_slot_wal_keep_size")).containsExactly("64MB"));
      String oldId = containers().get(Names.container(away)).id();
      int logMark = logLines();

      disrupt("docker", "pause", Names.container(away)); // frozen: the operator waits for it, its slot holds WAL
      try (Connection c = member(p); Statement st = c.createStatement()) {
        // a new segment is zero-filled (16MB): slow on a busy machine (seen: one statement past 20 s)
        c.setNetworkTimeout(Runnable::run, 120_000);
        st.execute("create table slot_bound (x int)");
        for (int i = 0; i < 12; i++) { // 12 segments of 16MB: past the bound and wal_keep_size (128MB) alike
          st.execute("insert into slot_bound values (" + i + ")");
          st.execute("select pg_switch_wal()");
        }
        st.execute("checkpoint"); // gives the slot up and removes the WAL it held
      }
      assertThat(column(member(p), "select wal_status from pg_replication_slots where slot_name = '" + slot + "'"))
          .containsExactly("lost");
      assertThat(io.pgherd.store.ClusterLog.readAll(home, name).lines().toList().subList(logMark, logLines()))
          .as("nothing re-cloned while it is paused").noneMatch(l -> l.contains("reclone"));

      changed = Instant.now();
      ItSupport.run(null, List.of("docker", "unpause", Names.container(away)));
      await().atMost(ofSeconds(90)).untilAsserted(() -> assertThat(log()).contains("reclone: replication slot "
          + slot + " invalidated on the primary " + p + " (the WAL it held went past max_slot_wal_keep_size = 64MB): "
          + away + " cannot catch up"));
      assertThat(log()).contains("re-cloning " + away + " (container and data volume removed",
          "create-member: " + away + ": replica, cloning with pg_basebackup from " + p);
      awaitHealthy(instances);
      assertThat(containers().get(Names.container(away)).id()).isNotEqualTo(oldId);
      MemberStatus m = status().getMembers().stream().filter(x -> x.getName().equals(away)).findFirst().orElseThrow();
      assertThat(m.getState()).isEqualTo("streaming");
      assertThat(m.getLastReclone()).isNotNull();
      assertThat(m.getLastReclone().reason()).startsWith("replication slot " + slot + " invalidated on the primary " + p)
          .contains("max_slot_wal_keep_size = 64MB", "has already been removed");
      ItSupport.Run shown = pgherd("status", name);
      assertThat(shown.output()).contains(away + " re-cloned at " + m.getLastReclone().at());
      assertThat(column(member(away), "select count(*)::text from slot_bound")).containsExactly("12");
      assertThat(column(member(p), "select wal_status from pg_replication_slots where slot_name = '" + slot + "'"))
          .containsExactly("reserved");
      assertConsistent(p);
    } finally {
      assertThat(cli("apply", "-f", ItSupport.writeSpec(tmp, name, fullSpec()).toString())).isZero();
    }
  }

  /** The primary the operator's stored intent names (it changes before the status does). */
  String statePrimary() {
    return memberName(home.readState(name).orElseThrow().primary());
  }
}
