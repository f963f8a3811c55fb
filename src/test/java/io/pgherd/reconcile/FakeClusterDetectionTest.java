package io.pgherd.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.fake.ActionLog;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Detection of a primary that does not answer: failureThreshold failed probes (3 here) spanning
 * (failureThreshold - 1) probe periods (2 × 500 ms): both, neither one alone. Time is the scene's
 * clock, moved by the test; each failed probe is one pass (its SQL times out at once).
 */
class FakeClusterDetectionTest {
  /** The SQL timeout of a hung primary: short, the clock says how long it "hung". */
  private static final Duration TIMEOUT = Duration.ofMillis(2);

  @Test
  void withTheDetectionWindowLongElapsedTwoFailedProbesDoNotFailOverAndTheThirdDoes(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.converge();
    int logMark = scene.log().size();
    scene.postgres.hang("demo-1", TIMEOUT);

    scene.pass(); // failed probe 1
    scene.clock.advance(Duration.ofSeconds(10)); // ten times the window
    scene.pass(); // failed probe 2

    assertThat(scene.postgres.timeouts("demo-1")).isGreaterThanOrEqualTo(2);
    assertThat(scene.log().since(logMark).has("failover")).as("2 of 3 failed probes, over 10 s").isFalse();
    assertThat(scene.state().primary()).isEqualTo(1);
    assertThat(scene.status().orElseThrow().getMessage()).contains("primary demo-1 does not answer SQL: timeout")
        .contains("(2/3)");
    assertThat(scene.engine.history()).doesNotContain("kill pgherd-demo-1");

    scene.pass(); // failed probe 3

    ActionLog after = scene.log().since(logMark);
    assertThat(after.of("failover")).singleElement().satisfies(e -> assertThat(e.reason())
        .startsWith("demo-1 → ").contains("primary demo-1 does not answer SQL: timeout")
        .contains("(3 failed probes over 10000 ms)"));
    assertThat(after.done()).containsSubsequence("failover", "fence", "promoted");
    assertThat(scene.state().primary()).isNotEqualTo(1);
  }

  @Test
  void manyFailedProbesInQuickSuccessionDoNotFailOverBeforeTwoProbePeriodsHavePassed(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.converge();
    int logMark = scene.log().size();
    scene.postgres.hang("demo-1", TIMEOUT);

    scene.pass(); // the first failed probe: the window opens now
    for (int i = 0; i < 9; i++) {
      scene.clock.advance(Duration.ofMillis(50));
      scene.pass();
    }
    scene.clock.advance(Duration.ofMillis(549)); // 999 ms after the first failed probe
    scene.pass();

    assertThat(scene.log().since(logMark).has("failover")).as("11 failed probes within 999 ms").isFalse();
    assertThat(scene.postgres.timeouts("demo-1")).as("failed probes").isGreaterThanOrEqualTo(11);
    assertThat(scene.status().orElseThrow().getMessage()).contains("(11/3)");
    assertThat(scene.engine.history()).doesNotContain("kill pgherd-demo-1");

    scene.clock.advance(Duration.ofMillis(1)); // 1000 ms: (3 - 1) × 500 ms
    scene.pass();

    assertThat(scene.log().since(logMark).of("failover")).singleElement().satisfies(e -> assertThat(e.reason())
        .contains("primary demo-1 does not answer SQL: timeout").contains("(12 failed probes over 1000 ms)"));
    assertThat(scene.state().primary()).isNotEqualTo(1);
    scene.passUntil("demo-1 rejoined", scene::rejoinedAndHealthy);
    assertThat(scene.postgres.splitBrains()).isEmpty();
  }

  @Test
  void aProbeThatHangsLongerThanItsTimeoutsDoesNotHoldThePassBeyondTheProbeDeadline(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.converge();
    scene.postgres.agents().stall("demo-2", Duration.ofSeconds(8)); // its name does not resolve, slowly
    scene.postgres.hang("demo-2", TIMEOUT); // and the SQL fallback fails too

    FakeClusterScene.TimedPass pass = scene.timedPass();

    assertThat(pass.took()).as("the pass waits for its probes " + io.pgherd.steps.Observer.PROBE_DEADLINE + " at most")
        .isLessThan(Duration.ofSeconds(7)).isGreaterThanOrEqualTo(Duration.ofMillis(4900));
    assertThat(scene.status().orElseThrow().getMembers().get(1).getState()).as("said, not waited for")
        .isNotEqualTo("streaming");
    // the next pass, while that probe still runs, starts no second one behind it (they would pile up, pass after pass)
    int tried = scene.postgres.agents().tried("demo-2");
    FakeClusterScene.TimedPass next = scene.timedPass();
    assertThat(next.took()).isLessThan(Duration.ofSeconds(2));
    assertThat(scene.postgres.agents().tried("demo-2")).isEqualTo(tried);
    scene.postgres.agents().stall("demo-2", null);
    scene.postgres.answer("demo-2");
  }

  @Test
  void aMemberWhoseAgentsAddressAnswersNothingIsNotProbedOverSqlEither(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.converge();
    int before = scene.postgres.sqlProbes("demo-2");
    scene.postgres.agents().cutOffHost("demo-2"); // its host lost: SQL on its address would wait out its timeouts too
    scene.pass();
    assertThat(scene.postgres.sqlProbes("demo-2")).as("no SQL probe behind an address that answers nothing")
        .isEqualTo(before);
    assertThat(scene.status().orElseThrow().getMembers().get(1).getState()).isNotEqualTo("streaming");
    scene.postgres.agents().reconnectHost("demo-2");
    scene.pass();
    assertThat(scene.status().orElseThrow().getMembers().get(1).getState()).isEqualTo("streaming");
  }
}
