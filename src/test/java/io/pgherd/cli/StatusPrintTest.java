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
}
