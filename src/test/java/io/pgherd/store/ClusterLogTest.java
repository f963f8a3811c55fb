package io.pgherd.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterLogTest {
  @TempDir Path dir;

  @Test
  void pastItsBoundTheLogMovesToItsOlderFileAndStartsAgainKeepingTwoFilesAtMost() throws Exception {
    Home home = new Home(dir);
    ClusterLog log = new ClusterLog(home, "demo", 300);
    for (int i = 0; i < 14; i++) {
      log.action("r" + i, "reload-config", "demo-1: postgresql.conf changed (" + i + ")");
    }
    Path current = home.logFile("demo");
    Path older = ClusterLog.rotated(current);
    assertThat(older.getFileName().toString()).isEqualTo("demo.log.1");
    assertThat(Files.size(current)).isLessThan(300);
    assertThat(Files.size(older)).isGreaterThanOrEqualTo(300);
    List<String> kept = new java.util.ArrayList<>(Files.readAllLines(older));
    kept.addAll(Files.readAllLines(current));
    assertThat(kept.get(kept.size() - 1)).endsWith("reload-config: demo-1: postgresql.conf changed (13)");
    for (int i = 0; i < kept.size(); i++) { // the newest lines, in order, none lost between the two files
      assertThat(kept.get(i)).contains("(" + (14 - kept.size() + i) + ")");
    }
    assertThat(kept).as("the oldest dropped").noneMatch(l -> l.endsWith("(0)"));
    try (var files = Files.list(current.getParent())) {
      assertThat(files.map(f -> f.getFileName().toString())).containsExactlyInAnyOrder("demo.log", "demo.log.1");
    }
  }
}
