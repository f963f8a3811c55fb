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
