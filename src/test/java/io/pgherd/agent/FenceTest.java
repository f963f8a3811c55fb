package io.pgherd.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FenceTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final Log log = new Log(new PrintStream(out, true, StandardCharsets.UTF_8));

  @Test
  void aFenceOutlivesTheAgentUntilLiftedOrAStandbyStarts(@TempDir Path dir) throws Exception {
    Path pgdata = Files.createDirectory(dir.resolve("pgdata"));
    Fence fence = new Fence(pgdata, log);
    assertThat(fence.fenced()).isEmpty();
    fence.fence("isolated", null);
    assertThat(Files.readString(dir.resolve("pgherd-fenced"))).endsWith(" isolated\n");
    assertThat(new Fence(pgdata, log).fenced()).as("a new agent sees it").get().asString().endsWith(" isolated");
    assertThat(fence.takeStoppedOnPurpose()).as("no server was running").isFalse();

    fence.clearIfStandby();
    assertThat(fence.fenced()).as("still a primary's data directory").isPresent();
    Files.createFile(pgdata.resolve("standby.signal"));
    fence.clearIfStandby();
    assertThat(fence.fenced()).isEmpty();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("FENCED: isolated", "starts as a replica");

    fence.fence("again", null);
    assertThat(fence.unfence()).isTrue();
    assertThat(fence.unfence()).isFalse();
    assertThat(fence.fenced()).isEmpty();
    fence.awaitUnfenced(); // returns at once
  }
}
