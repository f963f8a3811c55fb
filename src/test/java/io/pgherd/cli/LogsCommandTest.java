package io.pgherd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.store.Home;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogsCommandTest {
  @TempDir Path dir;

  @Test
  void theRotatedLinesComeFirstThenTheCurrentOnes() throws Exception {
    Home home = new Home(dir);
    home.writeSpec("demo", "spec: 1\n");
    Files.createDirectories(home.logFile("demo").getParent());
    Files.writeString(home.logFile("demo").resolveSibling("demo.log.1"), "1 older\n2 older\n");
    Files.writeString(home.logFile("demo"), "3 newer\n");
    HostileArgsTest.Cli r = HostileArgsTest.cli("logs", "--home", dir.toString(), "demo");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("1 older\n2 older\n3 newer\n");

    Files.delete(home.logFile("demo").resolveSibling("demo.log.1"));
    assertThat(HostileArgsTest.cli("logs", "--home", dir.toString(), "demo").out()).isEqualTo("3 newer\n");
  }
}
