package io.pgherd.it;

import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgherd.api.PostgresClusterStatus;
import io.pgherd.model.Names;
import java.sql.Connection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Point-in-time recovery into a new cluster (spec.bootstrap.recovery), from a source cluster's
 * backups in a real S3-compatible server: the original stack's scenario (databases aa and bb,
 * txid_current(), database cc; restored to that xid: aa and bb, no cc), a refused target that
 * creates nothing, and the latest state after a failover, whose last rows are only in the
 * partial segment of timeline 2; time, restore point, LSN and immediate targets. Then the same
 * cluster restored in place (`pgherd restore --yes`): the original scenario again, every member
 * replaced, replicas and backups working after; and a restore in place that fails (a corrupt
 * base backup), which leaves the cluster as it was.
 */
class RestoreIT extends ArchivedClusterTestBase {
  static final String COPY = "itr2";
  static final String BAD = "itr3";
  static final String LATEST = "itr4";
  static final List<String> TARGETS = List.of("itr5", "itr6", "itr7", "itr8");
  static final String KILLED = "itr9";

  RestoreIT() {
    super("itr", 47452, 47453, 2, "");
  }

  @AfterAll
  void purgeCopies() throws Exception {
    if (operator != null) {
      operator.close(); // first: it would otherwise re-create what is purged
      operator = null;
    }
    for (String c : List.of(COPY, BAD, LATEST, "itr5", "itr6", "itr7", "itr8", KILLED)) {
      ItSupport.purge(docker, c);
    }
  }

  /** A spec restoring `from` this cluster into `copy`, with the same store. */
  String restoreSpec(String copy, int instances, int rwPort, String target) {
    String backup = spec.substring(spec.indexOf("  backup:\n"), spec.indexOf("  loadBalancer:"));
    return "  instances: " + instances + "\n" + backup + "  bootstrap:\n    recovery:\n      from: { cluster: " + name
        + " }\n" + (target == null ? "" : "      target: " + target + "\n") + "  loadBalancer:\n    readWritePort: "
        + rwPort + "\n    readOnlyPort: " + (rwPort + 1) + "\n";
  }

  PostgresClusterStatus statusOf(String cluster) {
    return home.readStatus(cluster).orElseThrow();
  }

  void awaitHealthy(String cluster, int members) {
    await().atMost(ofSeconds(300)).pollInterval(ofSeconds(1)).ignoreExceptions().untilAsserted(() -> {
      PostgresClusterStatus s = statusOf(cluster);
      assertThat(s.getPhase()).as("%s: %s", cluster, s.getMessage()).isEqualTo("Healthy");
      assertThat(s.getMembers()).hasSize(members);
    });
  }

  List<String> databases(String cluster, int port) throws Exception {
    return column(ItSupport.connect(home, cluster, port), "select datname from pg_database order by 1");
  }

  /** The archive has everything the primary has written so far (its current LSN, read now). */
  void awaitArchived() throws Exception {
    long written;
    try (Connection c = member(primary())) {
      written = io.pgherd.model.Lsn.parse(column0(c, "select pg_current_wal_lsn()::text"));
    }
    await().atMost(ofSeconds(60)).untilAsserted(() -> {
      assertThat(status().getBackups().getArchiveError()).isNull();
      assertThat(status().getBackups().getArchivedLsn()).isNotNull();
      assertThat(io.pgherd.model.Lsn.parse(status().getBackups().getArchivedLsn())).isGreaterThanOrEqualTo(written);
    });
  }

  long xid;

  @Test
  @Order(1)
  void theOriginalScenarioRestoredToAnXidIntoANewCluster() throws Exception {
    ItSupport.Run backup = pgherd("backup", name);
    assertThat(backup.exitCode()).as(backup.output()).isZero();
    try (Connection c = member(primary())) {
      c.createStatement().execute("create database aa");
      c.createStatement().execute("create database bb");
      xid = Long.parseLong(column0(c, "select txid_current()::text"));
      c.createStatement().execute("create database cc");
    }
    awaitArchived();
    // the plan, without changing anything; a bad target refused with the range
    ItSupport.Run dry = pgherd("restore", name, "--to-xid", Long.toString(xid), "--dry-run");
    assertThat(dry.exitCode()).as(dry.output()).isZero();
    assertThat(dry.output()).contains("would restore backup ", "to xid " + xid, "recovery_target_xid = '" + xid + "'");
    ItSupport.Run bad = pgherd("restore", name, "--to-name", "no such point", "--dry-run");
    assertThat(bad.exitCode()).isEqualTo(1);
    assertThat(bad.output()).contains("restore refused: no restore point named 'no such point'", "recoverable range: ");
    ItSupport.Run unconfirmed = pgherd("restore", name, "--to-xid", Long.toString(xid));
    assertThat(unconfirmed.exitCode()).as(unconfirmed.output()).isEqualTo(2);
    assertThat(unconfirmed.output()).contains("confirm with --yes");

    String restored = Names.container(COPY + "-1");
    // staged through the member's agent: no exec or archive call into a started container
    try (EngineWatch watch = new EngineWatch(COPY)) {
      assertThat(cli("apply", "-f", ItSupport.writeSpec(tmp, COPY, restoreSpec(COPY, 2, 47462, "{ xid: \"" + xid + "\" }"))
          .toString())).isZero();
      // restarted while its postmaster recovers (docker restart: the stop signal reaches PostgreSQL
      // through the entrypoint, which then is its parent), the member resumes the restore: no failure
      await().atMost(ofSeconds(180)).pollInterval(java.time.Duration.ofMillis(100)).ignoreExceptions()
          .until(() -> docker.logs(restored, 400).matches("(?s).*LOG:  starting (point-in-time|archive) recovery.*"));
      docker.restart(restored, 30);
      awaitHealthy(COPY, 2);
      assertThat(watch.all()).as("the watch saw the cluster's events").anyMatch(e -> e.action().equals("restart"));
      assertThat(watch.intrusions()).as("exec or archive calls into a started container").isEmpty();
    }
    assertThat(docker.logs(restored, 5000)).contains("restore: stopped by a signal before it was complete",
        "restore: not complete yet", "restore: recovered, promoted").doesNotContain("FATAL: restore");
    await().atMost(ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
        assertThat(databases(COPY, 47462)).contains("aa", "bb").doesNotContain("cc"));
    assertThat(statusOf(COPY).getTimeline()).isGreaterThanOrEqualTo(2);
    assertThat(statusOf(COPY).getMembers()).extracting(m -> m.getState()).containsExactly("running", "streaming");
    String log = io.pgherd.store.ClusterLog.readAll(home, COPY);
    assertThat(log).contains("restore-plan", "to xid " + xid, "restored: " + COPY + "-1 recovered")
        // (a pass that saw the member the job had just created, before the job's work directory existed,
        // took the cluster for one that had members before spec.bootstrap was set: restored too early)
        .doesNotContain("bootstrap-ignored");
    // the copy archives under its own name: the source's archive gets nothing from it
    try (var st = store()) {
      await().atMost(ofSeconds(60)).untilAsserted(() ->
          assertThat(st.list(COPY + "/")).isNotEmpty());
    }
    // and it takes its own backups
    ItSupport.Run own = pgherd("backup", COPY);
    assertThat(own.exitCode()).as(own.output()).isZero();
    assertThat(cli("delete", COPY, "--purge")).isZero();
  }

  @Test
  @Order(2)
  void aTargetTheArchiveDoesNotHoldIsRefusedAndNothingIsCreated() throws Exception {
    assertThat(cli("apply", "-f", ItSupport.writeSpec(tmp, BAD, restoreSpec(BAD, 1, 47472, "{ xid: \"999999\" }"))
        .toString())).isZero();
    await().atMost(ofSeconds(120)).ignoreExceptions().untilAsserted(() -> {
      PostgresClusterStatus s = statusOf(BAD);
      assertThat(s.getPhase()).isEqualTo("Error");
      assertThat(s.getMessage()).contains("restore refused: transaction 999999 does not end in the archive",
          "recoverable range: ");
      assertThat(s.getRestore().getState()).isEqualTo("refused");
      assertThat(s.getRestore().getFrom()).isEqualTo(name);
    });
    assertThat(docker.containers(Names.LABEL_CLUSTER, BAD)).as("no member created")
        .noneMatch(c -> c.name().startsWith("pgherd-" + BAD + "-") && !c.name().endsWith("-lb"));
    assertThat(docker.volumes(Names.LABEL_CLUSTER, BAD)).isEmpty();
    String time = "2000-01-01T00:00:00Z";
    assertThat(cli("apply", "-f", ItSupport.writeSpec(tmp, BAD, restoreSpec(BAD, 1, 47472, "{ time: \"" + time + "\" }"))
        .toString())).isZero();
    await().atMost(ofSeconds(120)).ignoreExceptions().untilAsserted(() -> assertThat(statusOf(BAD).getMessage())
        .contains("time " + time + " is before the first recoverability point; recoverable range: "));
    assertThat(cli("delete", BAD, "--purge")).isZero();
    // the source is untouched
    assertThat(status().getPhase()).isEqualTo("Healthy");
  }

  @Test
  @Order(3)
  void afterAFailoverTheLatestStateIncludingThePartialSegmentIsRestored() throws Exception {
    String old = primary();
    disrupt("docker", "kill", "pgherd-" + old);
    await().atMost(ofSeconds(60)).until(() -> !old.equals(status().getPrimary()) && status().getTimeline() != null
        && status().getTimeline() >= 2);
    awaitHealthy(instances);
    try (Connection c = member(primary())) {
      c.createStatement().execute("create table after_failover(v text)");
      c.createStatement().execute("insert into after_failover values ('only in the partial segment')");
    }
    awaitArchived();

    assertThat(cli("apply", "-f", ItSupport.writeSpec(tmp, LATEST, restoreSpec(LATEST, 1, 47482, null)).toString()))
        .isZero();
    awaitHealthy(LATEST, 1);
    await().atMost(ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
        assertThat(column(ItSupport.connect(home, LATEST, 47482), "select v from after_failover"))
            .containsExactly("only in the partial segment"));
    assertThat(databases(LATEST, 47482)).contains("aa", "bb", "cc");
    assertThat(statusOf(LATEST).getTimeline()).isGreaterThanOrEqualTo(3);
  }

  List<String> marks(String cluster, int port) throws Exception {
    return column(ItSupport.connect(home, cluster, port), "select n::text from marks order by n");
  }

  /** Restores into a one-member copy, checks it, deletes it. */
  void restoreAndCheck(String copy, int port, String target, ThrowingCheck check) throws Exception {
    assertThat(cli("apply", "-f", ItSupport.writeSpec(tmp, copy, restoreSpec(copy, 1, port, target)).toString()))
        .isZero();
    awaitHealthy(copy, 1);
    // HAProxy lets clients through once its own check of the new member has risen
    await().atMost(ofSeconds(30)).ignoreExceptions().untilAsserted(() -> check.check(port));
    assertThat(io.pgherd.store.ClusterLog.readAll(home, copy)).contains("restored: " + copy + "-1 recovered")
        .doesNotContain("bootstrap-ignored");
    assertThat(cli("delete", copy, "--purge")).isZero();
  }

  interface ThrowingCheck {
    void check(int port) throws Exception;
  }

  @Test
  @Order(4)
  void timeNameLsnAndImmediateTargetsStopWhereTheySay() throws Exception {
    String t1;
    String l3;
    try (Connection c = member(primary())) {
      c.createStatement().execute("create table marks(n int, at timestamptz default clock_timestamp())");
      c.createStatement().execute("insert into marks(n) values (1)");
      t1 = java.time.Instant.parse(column0(c, "select to_char(clock_timestamp() at time zone 'UTC', "
          + "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")).toString();
      Thread.sleep(1200);
      c.createStatement().execute("insert into marks(n) values (2)");
      column0(c, "select pg_create_restore_point('after two')::text");
      c.createStatement().execute("insert into marks(n) values (3)");
      l3 = column0(c, "select pg_current_wal_lsn()::text");
      Thread.sleep(1200);
      c.createStatement().execute("insert into marks(n) values (4)");
    }
    awaitArchived();
    restoreAndCheck("itr5", 47492, "{ time: \"" + t1 + "\" }",
        port -> assertThat(marks("itr5", port)).containsExactly("1"));
    restoreAndCheck("itr6", 47502, "{ name: \"after two\" }",
        port -> assertThat(marks("itr6", port)).containsExactly("1", "2"));
    restoreAndCheck("itr7", 47512, "{ lsn: \"" + l3 + "\" }",
        port -> assertThat(marks("itr7", port)).containsExactly("1", "2", "3"));
    // immediate: the newest backup's own end (taken before aa existed)
    restoreAndCheck("itr8", 47522, "{ immediate: true }",
        port -> assertThat(databases("itr8", port)).doesNotContain("aa"));
  }

  Set<String> memberNames() {
    return status().getMembers().stream().map(m -> m.getName()).collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  @Order(5)
  void theOriginalScenarioRestoredInPlaceReplacesEveryMember() throws Exception {
    String oldPrimary = primary();
    Set<String> oldMembers = memberNames();
    long inPlaceXid;
    try (Connection c = member(oldPrimary)) {
      for (String db : List.of("aa", "bb", "cc")) {
        c.createStatement().execute("drop database " + db);
      }
      c.createStatement().execute("create database aa");
      c.createStatement().execute("create database bb");
      inPlaceXid = Long.parseLong(column0(c, "select txid_current()::text"));
      c.createStatement().execute("create database cc");
    }
    awaitArchived();
    long timeline = status().getTimeline();

    // the engine is asked for the containers' lifecycle only: the replacement is staged through its
    // agent (no exec of pgherd-receive-backup, no archive upload of the WAL), the old primary's last
    // checkpoint read from its agent
    ItSupport.Run run;
    try (EngineWatch watch = new EngineWatch(name)) {
      run = pgherd("restore", name, "--to-xid", Long.toString(inPlaceXid), "--yes");
      assertThat(run.exitCode()).as(run.output()).isZero();
      awaitHealthy(instances);
      assertThat(watch.all()).as("the watch saw the cluster's events").anyMatch(e -> e.action().equals("create"));
      assertThat(watch.intrusions()).as("exec or archive calls into a started container").isEmpty();
    }
    assertThat(run.output()).contains("restore backup ", "to xid " + inPlaceXid, name + " restored in place");

    assertThat(memberNames()).as("every member replaced").hasSize(instances).doesNotContainAnyElementsOf(oldMembers);
    assertThat(status().getTimeline()).isGreaterThan(timeline);
    await().atMost(ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
        assertThat(databases(name, rw)).contains("aa", "bb").doesNotContain("cc"));
    assertThat(status().getMembers()).extracting(m -> m.getState()).containsExactlyInAnyOrder("running", "streaming");
    for (String old : oldMembers) {
      assertThat(docker.container("pgherd-" + old)).as(old + " removed").isEmpty();
      assertThat(docker.volumeExists(Names.volume(old))).as(old + "'s volume removed").isFalse();
    }
    String log = io.pgherd.store.ClusterLog.readAll(home, name);
    assertThat(log).contains("restore-request", "restore-stop-writes", "restore-stop-member", "restored",
        "PostgreSQL stopped through its agent, last checkpoint");

    // it serves writes, archives them on its new timeline and takes backups
    long written;
    try (Connection c = member(primary())) {
      c.createStatement().execute("create table after_restore(v text)");
      c.createStatement().execute("insert into after_restore values ('new timeline')");
      written = io.pgherd.model.Lsn.parse(column0(c, "select pg_current_wal_lsn()::text"));
    }
    awaitArchived();
    ItSupport.Run own = pgherd("backup", name);
    assertThat(own.exitCode()).as(own.output()).isZero();
    // a later restore follows the new timeline: the abandoned branch's backups are not candidates
    ItSupport.Run again = pgherd("restore", name, "--dry-run");
    assertThat(again.exitCode()).as(again.output()).isZero();
    assertThat(again.output()).contains("on timeline " + status().getTimeline());
    // the archive holds the new timeline from its switch point on, without a gap: pg_waldump reads
    // from the oldest backup (before the restore) across the switch to the last write
    java.util.regex.Matcher end = java.util.regex.Pattern.compile("WAL ends at LSN ([0-9A-F]+/[0-9A-F]+)")
        .matcher(again.output());
    assertThat(end.find()).as(again.output()).isTrue();
    assertThat(io.pgherd.model.Lsn.parse(end.group(1))).as(again.output()).isGreaterThanOrEqualTo(written);
  }

  @Test
  @Order(6)
  void aRestoreInPlaceThatFailsLeavesTheClusterAsItWas() throws Exception {
    String before = primary();
    Set<String> members = memberNames();
    try (Connection c = member(before)) {
      c.createStatement().execute("create table kept(v text)");
      c.createStatement().execute("insert into kept values ('still here')");
    }
    awaitArchived();
    // the newest backup's data made unreadable: the plan (which reads the catalog) accepts it, unpacking fails
    String key;
    byte[] original;
    try (var st = store()) {
      key = st.list(base() + "base/").stream().map(o -> o.key()).filter(k -> k.endsWith("/base.tar.zst"))
          .max(String::compareTo).orElseThrow();
      original = st.getBytes(key).orElseThrow();
      st.put(key, "not a zstd frame".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    try {
      ItSupport.Run run = pgherd("restore", name, "--yes");
      assertThat(run.exitCode()).as(run.output()).isEqualTo(1);
      assertThat(run.output()).contains("restore failed: restore: unpacking", "is as it was");
    } finally {
      try (var st = store()) {
        st.put(key, original);
      }
    }
    awaitHealthy(instances);
    assertThat(status().getPrimary()).isEqualTo(before);
    assertThat(memberNames()).isEqualTo(members);
    await().atMost(ofSeconds(30)).ignoreExceptions().untilAsserted(() -> assertThat(
        column(ItSupport.connect(home, name, rw), "select v from kept")).containsExactly("still here"));
    assertThat(docker.containers(Names.LABEL_CLUSTER, name)).as("the replacement member is gone")
        .allMatch(c -> c.name().endsWith("-lb") || members.contains(c.name().substring("pgherd-".length())));
  }

  @Test
  @Order(7)
  void anOperatorStoppedDuringARestoreInPlaceIsFollowedByOneThatFinishesIt() throws Exception {
    Set<String> members = memberNames();
    try (Connection c = member(primary())) {
      c.createStatement().execute("create table across_restart(v text)");
      c.createStatement().execute("insert into across_restart values ('archived before the restore')");
    }
    awaitArchived();
    String id = "crash" + System.nanoTime();
    assertThat(home.requests().submit(name, new io.pgherd.store.ControlRequest(id, io.pgherd.store.ControlRequest.RESTORE, null,
        false, java.time.Instant.now().toString(), io.pgherd.model.RecoveryTarget.latest()))).isTrue();
    await().atMost(ofSeconds(120)).pollInterval(java.time.Duration.ofMillis(50)).until(() -> home
        .readInPlaceRestore(name).map(r -> io.pgherd.model.InPlaceRestore.RESTORING.equals(r.phase())).orElse(false));
    operator.close(); // mid-restore: its members are stopped, the replacement is being staged or recovering
    operator = startOperator();
    await().atMost(ofSeconds(300)).pollInterval(ofSeconds(1)).until(() -> home.readInPlaceRestore(name).isEmpty());
    assertThat(home.requests().takeAnswer(name, id)).hasValueSatisfying(a ->
        assertThat(a.ok()).as(a.message()).isTrue());
    awaitHealthy(instances);
    assertThat(memberNames()).hasSize(instances).doesNotContainAnyElementsOf(members);
    await().atMost(ofSeconds(30)).ignoreExceptions().untilAsserted(() -> assertThat(
        column(ItSupport.connect(home, name, rw), "select v from across_restart"))
        .containsExactly("archived before the restore"));
    // exactly one container per member and the load balancer: nothing staged twice is left behind
    assertThat(docker.containers(Names.LABEL_CLUSTER, name)).hasSize(instances + 1);
  }

  /**
   * A restored member stopped between the end of its recovery and its end-of-recovery checkpoint
   * has pg_control "in archive recovery" and no recovery.signal (PostgreSQL removes it as recovery
   * ends): started so, PostgreSQL would do crash recovery through the WAL in pg_wal, on the old
   * timeline, instead of recovering to the target. That state is made here, every time: while the
   * member replays a few hundred MB of WAL, its PostgreSQL processes are frozen (SIGSTOP),
   * recovery.signal removed and the container killed (SIGKILL); the operator starts it again, the
   * entrypoint puts the signal file back, and the restore ends at its target on a new timeline.
   */
  @Test
  @Order(8)
  void aMemberKilledInRecoveryWithoutItsSignalFileStillStopsAtTheTarget() throws Exception {
    ItSupport.Run backup = pgherd("backup", name);
    assertThat(backup.exitCode()).as(backup.output()).isZero();
    long xid;
    try (Connection c = member(primary())) {
      // WAL for a replay of seconds after the backup: the freeze lands in it
      c.createStatement().execute(
          "create table replayed as select g, md5(g::text) as h from generate_series(1, 3000000) g");
      c.createStatement().execute("create database kk1");
      xid = Long.parseLong(column0(c, "select txid_current()::text"));
      c.createStatement().execute("create database kk2");
      c.createStatement().execute("drop table replayed");
    }
    awaitArchived();
    String killedSpec = restoreSpec(KILLED, 1, 47532, "{ xid: \"" + xid + "\" }");
    assertThat(cli("apply", "-f", ItSupport.writeSpec(tmp, KILLED, killedSpec).toString())).isZero();
    String m = Names.container(KILLED + "-1");
    await().atMost(ofSeconds(300)).pollInterval(java.time.Duration.ofMillis(100)).ignoreExceptions()
        .until(() -> docker.logs(m, 400).matches("(?s).*LOG:  starting point-in-time recovery.*"));
    String frozen = docker.exec(m, "bash", "-c", "for p in /proc/[0-9]*; do"
        + " [ \"$(cat $p/comm 2>/dev/null)\" = postgres ] && kill -STOP ${p#/proc/}; done;"
        + " rm -f \"$PGDATA/recovery.signal\"; pg_controldata \"$PGDATA\" | grep '^Database cluster state'");
    assertThat(frozen).as("frozen while it replayed (else the replay was over before the freeze)")
        .contains("in archive recovery");
    docker.kill(m);
    awaitHealthy(KILLED, 1);
    assertThat(docker.logs(m, 5000)).contains("restore: not complete yet",
        "restore: stopped before its end-of-recovery checkpoint (pg_control: in archive recovery)",
        "restore: recovered, promoted").doesNotContain("FATAL: restore");
    await().atMost(ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
        assertThat(databases(KILLED, 47532)).contains("kk1").doesNotContain("kk2"));
    assertThat(statusOf(KILLED).getTimeline()).isGreaterThanOrEqualTo(2);
    assertThat(cli("delete", KILLED, "--purge")).isZero();
  }
}
