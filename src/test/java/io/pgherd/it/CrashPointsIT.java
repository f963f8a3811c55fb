package io.pgherd.it;

import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgherd.api.MemberStatus;
import io.pgherd.api.PostgresClusterStatus;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.model.Names;
import io.pgherd.reconcile.Operator;
import io.pgherd.store.CrashPoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Crash points (issue 7): the operator — its own process, `java -jar target/pgherd.jar operator`
 * — halted by {@code PGHERD_CRASH_AFTER} right after one step of a reconcile (scale-out's member
 * creation and its slot, scale-in's removal, a switchover's promotion, a failover's fencing, a base
 * backup's start, an in-place restore's staged base backup), then started again without the hook. Each time the cluster must converge to the
 * spec with no duplicate or missing container, exactly one writable member (the primary), slots
 * exactly one per replica plus the archiver's, every replica streaming, and no committed row lost
 * (sync replication: the markers written before each crash are on a standby before they are
 * acknowledged). One cluster shared by the ordered cases.
 */
class CrashPointsIT extends ClusterTestBase {
  static final Path STORE = Path.of(System.getProperty("java.io.tmpdir"), "pgherd-it-crp-store");
  static final ObjectMapper JSON = new ObjectMapper();

  Process process;
  final List<String> markers = new ArrayList<>();

  CrashPointsIT() {
    super("crp", 47462, 47463, 2, "  replication:\n    mode: sync\n  backup:\n    objectStore:\n      filesystem:\n"
        + "        path: " + STORE + "\n");
  }

  @Override
  Operator startOperator() {
    try (var walk = Files.exists(STORE) ? Files.walk(STORE) : java.util.stream.Stream.<Path>empty()) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    process = launch(null);
    return null; // the operator runs in its own process: it must be able to die without the tests
  }

  @Override
  @org.junit.jupiter.api.AfterAll // an overriding method is not the superclass's lifecycle method any more
  void stop() throws Exception {
    stopOperator();
    if (docker != null) {
      ItSupport.purge(docker, RESTORED);
    }
    super.stop();
  }

  /** The new cluster restored from crp's backups (spec.bootstrap.recovery). */
  static final String RESTORED = "crq";

  Process launch(String crashAfter) {
    ProcessBuilder pb = new ProcessBuilder("java", "-jar", ItSupport.repo().resolve("target/pgherd.jar").toString(),
        "operator", "--home", homeDir.toString()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve("operator.log").toFile()));
    pb.environment().remove(CrashPoint.ENV);
    if (crashAfter != null) {
      pb.environment().put(CrashPoint.ENV, crashAfter);
    }
    try {
      return pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void stopOperator() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy(); // SIGTERM: a clean stop
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }
  }

  void awaitOperatorHoldsTheLock() {
    await().atMost(ofSeconds(60)).pollInterval(java.time.Duration.ofMillis(200)).until(() -> {
      var lock = home.tryLock();
      if (lock.isPresent()) {
        lock.get().close();
        return false;
      }
      return true;
    });
  }

  /** The primary once the cluster is healthy with this many members and the status names the stored one. */
  String primaryOf(int members) {
    awaitHealthy(members);
    await().ignoreExceptions().atMost(ofSeconds(60)).pollInterval(java.time.Duration.ofMillis(200)).untilAsserted(() ->
        assertThat(status().getPrimary()).isEqualTo(memberName(home.readState(name).orElseThrow().primary())));
    return status().getPrimary();
  }

  interface Trigger {
    void run() throws Exception;
  }

  /**
   * A marker row committed, then the operator started with the crash point, the trigger run; the
   * operator must halt there; started again without it, the cluster must converge.
   */
  void crashAt(String action, int members, Trigger trigger) throws Exception {
    crashAt(action, members, trigger, true);
  }

  /** @param marker false when the operation takes the data back before this point (a restore) */
  void crashAt(String action, int members, Trigger trigger, boolean marker) throws Exception {
    if (marker) {
      try (Connection c = ItSupport.connect(home, name, rw)) {
        c.createStatement().execute("create table if not exists crp_marks (m text primary key)");
        c.createStatement().execute("insert into crp_marks values ('before-" + action + "')");
      }
      markers.add("before-" + action);
    }
    stopOperator();
    process = launch(action);
    awaitOperatorHoldsTheLock(); // else a CLI command (switchover, backup) would do the pass itself
    trigger.run();
    assertThat(process.waitFor(240, TimeUnit.SECONDS)).as("the operator reached the crash point after " + action).isTrue();
    assertThat(process.exitValue()).as("halted by the crash point (operator.log: %s)", tmp.resolve("operator.log"))
        .isEqualTo(CrashPoint.EXIT_CODE);
    System.out.printf("CrashPointsIT: halted after %s%n", action);
    changed = java.time.Instant.now();
    process = launch(null);
    converged(members);
  }

  /** The spec's members, nothing more, one primary, its slots, streaming, every marker there. */
  void converged(int members) throws Exception {
    awaitHealthy(members);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (true) {
      try {
        check(members);
        return;
      } catch (Exception | AssertionError e) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("not converged within 120 s after the restart: " + e.getMessage(), e);
        }
        Thread.sleep(1000);
      }
    }
  }

  void check(int members) throws Exception {
    {
      PostgresClusterStatus s = status();
      String primary = s.getPrimary();
      assertThat(s.getMembers()).hasSize(members);
      Map<String, ContainerInfo> all = containers();
      Set<String> expected = new TreeSet<>();
      s.getMembers().forEach(m -> expected.add(m.getContainer()));
      expected.add(Names.loadBalancer(name));
      assertThat(all.keySet()).as("containers of %s", name).isEqualTo(expected);
      Set<String> writable = new TreeSet<>();
      for (MemberStatus m : s.getMembers()) {
        if (column(member(m.getName()), "select pg_is_in_recovery()::text").get(0).equals("false")) {
          writable.add(m.getName());
        }
      }
      assertThat(writable).as("members accepting writes").containsExactly(primary);
      Set<String> slots = new TreeSet<>(column(member(primary), "select slot_name from pg_replication_slots"));
      Set<String> wantSlots = new TreeSet<>(Set.of("pgherd_archiver"));
      s.getMembers().stream().map(MemberStatus::getName).filter(m -> !m.equals(primary))
          .forEach(m -> wantSlots.add(Names.slot(m)));
      assertThat(slots).as("slots on the primary " + primary).isEqualTo(wantSlots);
      Set<String> streaming = new TreeSet<>(column(member(primary),
          "select application_name from pg_stat_replication where state = 'streaming'"));
      Set<String> replicas = new TreeSet<>(wantSlots.stream().filter(x -> !x.startsWith("pgherd_"))
          .map(x -> x.replace('_', '-')).toList());
      assertThat(streaming).as("replicas streaming from " + primary).containsAll(replicas);
      if (!markers.isEmpty()) {
        assertThat(column(member(primary), "select m from crp_marks")).as("committed markers").containsAll(markers);
      }
    }
  }

  @Test
  @Order(1)
  void scaleOutCrashedRightAfterTheMemberWasCreated() throws Exception {
    converged(2);
    crashAt("create-member", 3, () -> apply(3));
  }

  @Test
  @Order(2)
  void scaleInCrashedRightAfterTheMemberWasRemoved() throws Exception {
    crashAt("remove-member", 2, () -> apply(2));
  }

  @Test
  @Order(3)
  void scaleOutCrashedRightAfterItsSlotWasCreated() throws Exception {
    crashAt("create-slot", 3, () -> apply(3));
  }

  @Test
  @Order(4)
  void aSwitchoverCrashedRightAfterTheDemotionEndsWithTheTargetAsPrimary() throws Exception {
    // halted once the old primary was told to shut down (its step recorded before): the restarted
    // operator resumes the switchover from that step, no failover, nothing lost
    String before = primaryOf(3);
    String target = status().getMembers().stream().map(MemberStatus::getName).filter(m -> !m.equals(before))
        .findFirst().orElseThrow();
    Thread cli = new Thread(() -> cli("switchover", name, "--to", target, "--timeout", "20"));
    crashAt("demote", 3, cli::start);
    cli.join(60_000);
    assertThat(primaryOf(3)).as("the stored step was carried through after the restart").isEqualTo(target);
    assertThat(status().getLastFailover().kind()).isEqualTo("switchover");
  }

  @Test
  @Order(5)
  void aSwitchoverCrashedRightAfterThePromotionEndsWithTheTargetAsPrimary() throws Exception {
    String before = primaryOf(3);
    String target = status().getMembers().stream().map(MemberStatus::getName).filter(m -> !m.equals(before))
        .findFirst().orElseThrow();
    Thread cli = new Thread(() -> cli("switchover", name, "--to", target, "--timeout", "20"));
    crashAt("promoted", 3, cli::start);
    cli.join(60_000);
    assertThat(primaryOf(3)).as("the stored intent was carried through after the restart").isEqualTo(target);
    // the old primary, stopped by its agent and not started before the halt, is started as a standby
    // by the restarted operator (its container ran on, PostgreSQL held stopped)
    assertThat(io.pgherd.store.ClusterLog.readAll(home, name))
        .contains("start-member: " + before + ": its agent held PostgreSQL stopped");
  }

  @Test
  @Order(6)
  void aFailoverCrashedRightAfterTheFencingEndsWithOnePrimary() throws Exception {
    String before = primaryOf(3);
    crashAt("fence", 3, () -> disrupt("docker", "kill", Names.container(before)));
    assertThat(primaryOf(3)).isNotEqualTo(before);
  }

  @Test
  @Order(7)
  void aBaseBackupCrashedRightAfterItStartedIsNotLeftRunningAndTheNextOneCompletes() throws Exception {
    Thread cli = new Thread(() -> cli("backup", name, "--timeout", "20"));
    crashAt("backup-start", 3, cli::start);
    cli.join(60_000);
    await().ignoreExceptions().atMost(ofSeconds(120)).pollInterval(ofSeconds(2)).untilAsserted(() -> {
      JsonNode list = JSON.readTree(pgherd("backups", name, "-o", "json").output());
      for (JsonNode b : list) {
        assertThat(b.path("state").asText()).as(b.toString()).isNotEqualTo("running");
      }
    });
    ItSupport.Run again = pgherd("backup", name);
    assertThat(again.exitCode()).as(again.output()).isZero();
    assertThat(again.output()).contains("complete:");
  }

  @Test
  @Order(8)
  void anInPlaceRestoreCrashedRightAfterItsBaseBackupWasStagedEndsRestoredToItsTarget() throws Exception {
    restoreCrashedAt("restore-staged", "crp-rp", false); // the base backup of the case before
  }

  @Test
  @Order(9)
  void anInPlaceRestoreCrashedRightAfterWritesStoppedEndsRestoredToItsTarget() throws Exception {
    restoreCrashedAt("restore-stop-writes", "crp-rp-2", true);
  }

  @Test
  @Order(10)
  void anInPlaceRestoreCrashedRightAfterItStoppedItsFirstMemberEndsRestoredToItsTarget() throws Exception {
    restoreCrashedAt("restore-stop-member", "crp-rp-3", true);
  }

  @Test
  @Order(11)
  void aNewClusterRestoredFromBackupsWithTheOperatorHaltedRightAfterStagingComesUpWithTheData() throws Exception {
    try (Connection c = ItSupport.connect(home, name, rw)) {
      c.createStatement().execute("insert into crp_marks values ('before-bootstrap-restore')");
    }
    assertThat(cli("backup", name)).as("a base backup with the marker").isZero();
    String spec = "  instances: 1\n  backup:\n    objectStore:\n      filesystem:\n        path: " + STORE
        + "\n  bootstrap:\n    recovery:\n      from: { cluster: " + name + " }\n  loadBalancer:\n"
        + "    readWritePort: 47464\n    readOnlyPort: 47465\n";
    stopOperator();
    process = launch("restore-staged");
    awaitOperatorHoldsTheLock();
    assertThat(cli("apply", "-f", ItSupport.writeSpec(tmp, RESTORED, spec).toString())).isZero();
    assertThat(process.waitFor(240, TimeUnit.SECONDS)).as("the operator reached the crash point").isTrue();
    assertThat(process.exitValue()).as("halted by the crash point (operator.log: %s)", tmp.resolve("operator.log"))
        .isEqualTo(CrashPoint.EXIT_CODE);
    System.out.printf("CrashPointsIT: halted after restore-staged (bootstrap of %s)%n", RESTORED);
    process = launch(null);
    await().ignoreExceptions().atMost(ofSeconds(240)).pollInterval(ofSeconds(2)).untilAsserted(() -> {
      PostgresClusterStatus s = home.readStatus(RESTORED).orElseThrow();
      assertThat(s.getPhase()).as("%s: %s", RESTORED, s.getMessage()).isEqualTo("Healthy");
      assertThat(column(ItSupport.connect(home, RESTORED, 47464), "select m from crp_marks"))
          .contains("before-bootstrap-restore").containsAll(markers);
    });
    // one member container, no half-staged one left beside it; it takes writes
    assertThat(docker.containers(Names.LABEL_CLUSTER, RESTORED).stream().map(ContainerInfo::name).sorted().toList())
        .containsExactly("pgherd-crq-1", "pgherd-crq-lb");
    try (Connection c = ItSupport.connect(home, RESTORED, 47464)) {
      c.createStatement().execute("insert into crp_marks values ('written-after-the-restore')");
    }
    assertThat(cli("delete", RESTORED, "--purge")).isZero();
  }

  /**
   * pgherd restore --to-name rp with the operator halted right after action: started again, the
   * restore completes (the row written after the restore point is gone, those before are there)
   * and the cluster converges.
   */
  void restoreCrashedAt(String action, String restorePoint, boolean backupFirst) throws Exception {
    if (backupFirst) {
      assertThat(cli("backup", name)).as("a base backup before the restore point").isZero();
    }
    String before = "before-" + restorePoint;
    String after = "after-" + restorePoint;
    try (Connection c = ItSupport.connect(home, name, rw)) {
      c.createStatement().execute("insert into crp_marks values ('" + before + "')");
      c.createStatement().execute("select pg_create_restore_point('" + restorePoint + "')");
      c.createStatement().execute("insert into crp_marks values ('" + after + "')");
    }
    markers.add(before);
    // the restore point must be in the archive (the current segment is uploaded within seconds)
    await().atMost(ofSeconds(60)).pollInterval(ofSeconds(2)).until(() ->
        pgherd("restore", name, "--to-name", restorePoint, "--dry-run").exitCode() == 0);
    Thread cli = new Thread(() -> cli("restore", name, "--to-name", restorePoint, "--yes", "--timeout", "20"));
    crashAt(action, 3, cli::start, false); // its markers are those before the restore point
    cli.join(60_000);
    await().ignoreExceptions().atMost(ofSeconds(240)).pollInterval(ofSeconds(2)).untilAsserted(() ->
        assertThat(column(member(primaryOf(3)), "select m from crp_marks"))
            .as("restored to the restore point: the row written after it is gone")
            .contains(before).doesNotContain(after));
    converged(3);
  }

  void apply(int instances) throws Exception {
    String body = fullSpec().replace("  instances: " + this.instances + "\n", "  instances: " + instances + "\n");
    assertThat(cli("apply", "-f", ItSupport.writeSpec(tmp, name, body).toString())).isZero();
  }
}
