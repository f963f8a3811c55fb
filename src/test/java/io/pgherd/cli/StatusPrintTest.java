package io.pgherd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.api.BackupsStatus;
import io.pgherd.api.PostgresClusterStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StatusPrintTest {
  static String print(PostgresClusterStatus s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StatusCommand.print(s, new PrintStream(out, true, StandardCharsets.UTF_8));
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void watchRedrawsTheTableFromTheTopWithEachNewStatus(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    io.pgherd.store.Home home = new io.pgherd.store.Home(dir);
    StatusCommand cmd = new StatusCommand();
    cmd.home = new HomeOption();
    cmd.home.home = dir;
    cmd.name = "demo";
    cmd.interval = 0.2;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    cmd.watch(new PrintStream(out, true, StandardCharsets.UTF_8), 1);
    assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("\033[H\033[2J").contains("no status for demo yet");

    PostgresClusterStatus s = new PostgresClusterStatus();
    s.setName("demo");
    s.setPhase("Healthy");
    s.setPrimary("demo-1");
    home.writeStatus("demo", s);
    out.reset();
    cmd.watch(new PrintStream(out, true, StandardCharsets.UTF_8), 2);
    String two = out.toString(StandardCharsets.UTF_8);
    assertThat(two.split("\033\\[H\033\\[2J", -1)).hasSize(3); // two frames, each after a clear
    assertThat(two).contains("Every 0.2s: pgherd status demo", "Phase:     Healthy", "Primary:   demo-1");
  }

  @Test
  void watchWithAnotherOutputOrABadIntervalIsRefused(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    assertThat(Main.run("status", "demo", "-w", "-o", "json", "--home", dir.toString())).isEqualTo(2);
    assertThat(Main.run("status", "demo", "-w", "--interval", "0", "--home", dir.toString())).isEqualTo(2);
    assertThat(Main.run("status", "demo", "-o", "xml", "--home", dir.toString())).isEqualTo(2);
  }

  @Test
  void theLoadBalancersServersAreShownPerListenerWithTheirState() {
    PostgresClusterStatus s = new PostgresClusterStatus();
    s.setName("demo");
    s.setPhase("Degraded");
    io.pgherd.api.EndpointsStatus e = new io.pgherd.api.EndpointsStatus();
    e.setReadWrite("127.0.0.1:5432");
    e.setReadOnly("127.0.0.1:5433");
    s.setEndpoints(e);
    assertThat(print(s)).contains("Endpoints: read-write 127.0.0.1:5432, read-only 127.0.0.1:5433")
        .doesNotContain("Load balancer");
    e.setReadWriteServers(java.util.List.of(new io.pgherd.api.LoadBalancerServerStatus("demo-1", "UP")));
    e.setReadOnlyServers(java.util.List.of(new io.pgherd.api.LoadBalancerServerStatus("demo-1", "UP"),
        new io.pgherd.api.LoadBalancerServerStatus("demo-2", "DOWN")));
    assertThat(print(s)).contains("Load balancer: read-write → demo-1 UP",
        "               read-only  → demo-1 UP, demo-2 DOWN");
  }

  @Test
  void onASwarmEachCopyOfTheLoadBalancerHasItsLineAndEachMemberItsNode() {
    PostgresClusterStatus s = new PostgresClusterStatus();
    s.setName("demo");
    s.setPhase("Healthy");
    io.pgherd.api.EndpointsStatus e = new io.pgherd.api.EndpointsStatus();
    e.setReadWrite("0.0.0.0:15432");
    e.setReadOnly("0.0.0.0:15433");
    var up = java.util.List.of(new io.pgherd.api.LoadBalancerServerStatus("demo-1", "UP"));
    e.setReadWriteServers(up);
    e.setReadOnlyServers(up);
    e.setInstances(java.util.List.of(
        new io.pgherd.api.LoadBalancerInstanceStatus("abcdefghijklmnopqrstuvwxy", up, up, null),
        new io.pgherd.api.LoadBalancerInstanceStatus("zyxwvutsrqponmlkjihgfedcb", null, null, "agent unreachable")));
    s.setEndpoints(e);
    io.pgherd.api.MemberStatus m = new io.pgherd.api.MemberStatus();
    m.setName("demo-1");
    m.setNode("abcdefghijklmnopqrstuvwxy");
    s.setMembers(java.util.List.of(m));
    assertThat(print(s)).contains("Load balancer on node abcdefghijkl: read-write → demo-1 UP; read-only → demo-1 UP",
        "Load balancer on node zyxwvutsrqpo: (unreadable: agent unreachable)").doesNotContain("Load balancer: ")
        .containsPattern("MEMBER .* SLOT +NODE").containsPattern("demo-1 .* abcdefghijkl");
  }

  @Test
  void aMemberTheOperatorClonedAgainHasALineSayingWhenAndWhy() {
    PostgresClusterStatus s = new PostgresClusterStatus();
    s.setName("demo");
    s.setPhase("Degraded");
    io.pgherd.api.MemberStatus m = new io.pgherd.api.MemberStatus();
    m.setName("demo-2");
    s.setMembers(java.util.List.of(m));
    assertThat(print(s)).doesNotContain("re-cloned");
    m.setLastReclone(new io.pgherd.api.RecloneStatus("2026-12-08T10:00:00Z", "replication slot demo_2 invalidated"));
    assertThat(print(s)).contains("demo-2 re-cloned at 2026-12-08T10:00:00Z: replication slot demo_2 invalidated");
  }

  @Test
  void theWalArchiveLineAppearsOnlyWithBackupsAndSaysWhyItFails() {
    PostgresClusterStatus s = new PostgresClusterStatus();
    s.setName("demo");
    s.setPhase("Healthy");
    assertThat(print(s)).doesNotContain("WAL archive");

    BackupsStatus b = new BackupsStatus();
    b.setLastArchivedWal("000000020000000000000007");
    b.setCurrentWal("000000020000000000000008");
    b.setLastArchiveUpload("2026-11-26T04:00:00Z");
    s.setBackups(b);
    assertThat(print(s)).contains("WAL archive: last segment 000000020000000000000007, current 000000020000000000000008")
        .doesNotContain("error");
    b.setArchiveError("s3://x/ at http://127.0.0.1:9: storing a failed: cannot reach http://127.0.0.1:9");
    assertThat(print(s)).contains("WAL archive error (WAL kept, retrying): s3://x/");
  }

  @Test
  void baseBackupsShowCountLastRecoverabilityTheRunningOneAndAFailure() {
    PostgresClusterStatus s = new PostgresClusterStatus();
    s.setName("demo");
    s.setPhase("Healthy");
    BackupsStatus b = new BackupsStatus();
    b.setCompleteBackups(2);
    b.setLastBackupId("20261126T020000Z");
    b.setLast("2026-11-26T02:00:09Z");
    b.setFirstRecoverabilityPoint("2026-11-25T02:00:08Z");
    b.setNextScheduled("2026-11-27T02:00:00Z");
    b.setArchiveLagBytes(8192L);
    s.setBackups(b);
    assertThat(print(s)).contains("WAL archive lag: 8192 B",
        "Base backups: 2 complete, last 20261126T020000Z (2026-11-26T02:00:09Z), first recoverability point "
            + "2026-11-25T02:00:08Z, next scheduled 2026-11-27T02:00:00Z")
        .doesNotContain("Backup running", "failed");
    io.pgherd.api.BackupRunStatus run = new io.pgherd.api.BackupRunStatus();
    run.setId("20261126T030000Z");
    run.setTrigger("schedule");
    run.setMember("demo-2");
    run.setProgress("512 MB of ~1024 MB (50%), 210.3 MB/s, ETA 3 s");
    b.setRunning(run);
    io.pgherd.api.BackupOutcomeStatus out = new io.pgherd.api.BackupOutcomeStatus();
    out.setId("20261126T025900Z");
    out.setOk(false);
    out.setMessage("backup 20261126T025900Z (manual) from demo-2 failed: access denied");
    out.setAt("2026-11-26T02:59:01Z");
    b.setLastOutcome(out);
    assertThat(print(s)).contains("Backup running: 20261126T030000Z (schedule) from demo-2: 512 MB of ~1024 MB (50%)",
        "Last backup failed: backup 20261126T025900Z (manual) from demo-2 failed: access denied (2026-11-26T02:59:01Z)");
  }
}
