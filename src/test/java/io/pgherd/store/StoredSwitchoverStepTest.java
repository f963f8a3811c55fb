package io.pgherd.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.model.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A switchover's step is part of the stored intent: a restarted operator resumes from it. */
class StoredSwitchoverStepTest {
  @TempDir
  Path dir;

  @Test
  void aSwitchoversStepSurvivesTheStateFileAndStateWithoutOneReadsAsNotStarted() throws Exception {
    Home home = new Home(dir);
    Topology.Failover intent = new Topology.Failover(1, 2, "requested", "2026-12-06T08:00:00Z", null, null,
        Topology.Failover.SWITCHOVER, "req-1");
    Topology.Step shutDown = new Topology.Step(Topology.Step.SHUT_DOWN, "2026-12-06T08:00:01Z", "0/3000028",
        "shut down, checkpoint 0/3000028", 120L);
    home.writeState("demo", new Topology(List.of(1, 2), 3, 1).withFailover(intent.at(shutDown)));

    Topology read = home.readState("demo").orElseThrow();
    assertThat(read.failover().step()).isEqualTo(shutDown);
    assertThat(read.promoted("2026-12-06T08:00:02Z", 2L).lastFailover().step())
        .as("a completed change of primary keeps no step").isNull();

    // state written before switchovers had steps
    String json = Files.readString(home.stateFile("demo"))
        .replaceAll(",\\s*\"step\"\\s*:\\s*\\{[^}]*\\}", "");
    assertThat(json).doesNotContain("step");
    Files.writeString(home.stateFile("demo"), json);
    assertThat(home.readState("demo").orElseThrow().failover().step()).isNull();
  }
}
