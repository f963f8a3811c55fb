package io.pgherd.reconcile;

import static io.pgherd.reconcile.FakeClusterScene.indexOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.cluster.AgentContact;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A primary that can no longer be reached — neither its agent nor its PostgreSQL answers, its
 * container still running (cut off) — is replaced only once its agent must have fenced it: the
 * isolation timeout (default 10 s) plus a 1.2 s margin after the agent last answered. A primary whose
 * agent answers while its SQL hangs is the operator's to fence, at once.
 */
class FakeClusterIsolationTest {
  /** The isolation timeout (10 s, the default) and the margin. */
  private static final Duration FENCED_BY = Duration.ofSeconds(10).plus(AgentContact.MARGIN);

  /**
   * Passes a probe period (500 ms) apart, as the operator probes, until {@code action} is logged
   * (the detection window runs on the clock); when it was, or null after 60 passes.
   */
  private static Instant passUntilLogged(FakeClusterScene scene, int logMark, String action) {
    for (int pass = 0; pass < 60; pass++) {
      scene.clock.advance(Duration.ofMillis(500));
      scene.pass();
      if (scene.log().since(logMark).has(action)) {
        return scene.clock.instant();
      }
    }
    return null;
  }

  @Test
  void anUnreachablePrimaryIsReplacedOnlyOnceItsAgentMustHaveFencedIt(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3); // probePeriod 500ms, failureThreshold 3
    scene.settle();
    scene.pass(); // the agent answers at this instant, the last time
    Instant lastAnswer = scene.clock.instant();
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();

    scene.postgres.agents().stop("demo-1");
    scene.postgres.hang("demo-1", Duration.ofMillis(40));
    Instant failedOverAt = passUntilLogged(scene, logMark, "failover");

    assertThat(failedOverAt).as("a failover").isNotNull();
    assertThat(Duration.between(lastAnswer, failedOverAt)).as("not before isolation timeout + margin")
        .isGreaterThanOrEqualTo(FENCED_BY).isLessThan(FENCED_BY.plusSeconds(2));
    assertThat(scene.log().since(logMark).of("failover")).singleElement().satisfies(e -> assertThat(e.reason())
        .contains("primary demo-1 does not answer SQL", "its agent has not answered since " + lastAnswer,
            "it has fenced itself by now (isolation timeout 10000 ms + 1200 ms)"));
    List<String> h = scene.engine.historySince(mark);
    assertThat(indexOf(h, "kill pgherd-demo-1")).as("the engine fences it too, where it can").isNotNegative()
        .isLessThan(indexOf(h, "sql pgherd-demo-2 promote") < 0 ? indexOf(h, "sql pgherd-demo-3 promote")
            : indexOf(h, "sql pgherd-demo-2 promote"));
    assertThat(scene.postgres.splitBrains()).isEmpty();
  }

  @Test
  void aPrimaryCutOffIsReplacedOnceItsAgentMustHaveFencedItEvenBeforeTheFailureThresholdIsReached(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3); // failureThreshold 3
    scene.settle();
    scene.pass();
    Instant lastAnswer = scene.clock.instant();
    int logMark = scene.log().size();
    scene.postgres.agents().stop("demo-1");
    scene.postgres.hang("demo-1", Duration.ofMillis(40));
    // passes 7 s apart, as when every probe of a lost host waits out its connection timeout
    scene.clock.advance(Duration.ofSeconds(7));
    scene.pass();
    assertThat(scene.log().since(logMark).has("failover")).as("1 failure, 7 s of silence").isFalse();
    scene.clock.advance(Duration.ofSeconds(7));
    scene.pass();
    assertThat(scene.log().since(logMark).of("failover")).as("2 failures, but 14 s of silence").singleElement()
        .satisfies(e -> assertThat(e.reason()).contains("2 failed probes", "its agent has not answered since " + lastAnswer,
            "it has fenced itself by now"));
    assertThat(scene.postgres.splitBrains()).isEmpty();
  }

  @Test
  void aPrimaryListedAsRemovingOnANodeThatIsDownIsReplacedOnlyOnceItsAgentMustHaveFencedIt(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.settle();
    scene.pass();
    Instant lastAnswer = scene.clock.instant();
    int logMark = scene.log().size();
    // the Swarm calls its node down: its task is listed as removing, and the container may run on, cut off
    scene.postgres.agents().stop("demo-1");
    scene.postgres.hang("demo-1", Duration.ofMillis(40));
    scene.engine.listAs("pgherd-demo-1", "removing", "running (its node is down)");
    Instant failedOverAt = passUntilLogged(scene, logMark, "failover");
    assertThat(failedOverAt).as("a failover").isNotNull();
    assertThat(Duration.between(lastAnswer, failedOverAt)).as("not before isolation timeout + margin")
        .isGreaterThanOrEqualTo(FENCED_BY).isLessThan(FENCED_BY.plusSeconds(2));
    assertThat(scene.log().since(logMark).of("failover")).singleElement().satisfies(e -> assertThat(e.reason())
        .contains("container is removing (running (its node is down))", "it has fenced itself by now"));
  }

  @Test
  void aPrimaryWhoseAgentAnswersWhileItsSqlHangsIsNotWaitedFor(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.settle();
    int logMark = scene.log().size();
    Instant start = scene.clock.instant();

    scene.postgres.hang("demo-1", Duration.ofMillis(40));
    Instant failedOverAt = passUntilLogged(scene, logMark, "failover");
    assertThat(failedOverAt).isNotNull();
    assertThat(Duration.between(start, failedOverAt)).isLessThan(Duration.ofSeconds(5));
    assertThat(scene.log().since(logMark).of("failover")).singleElement()
        .satisfies(e -> assertThat(e.reason()).doesNotContain("fenced itself"));
  }

  @Test
  void aPrimaryItsAgentFencedIsFailedOverAtOnceWhenAReplicaCanTakeOver(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.settle();
    int logMark = scene.log().size();
    scene.postgres.agents().fence("demo-1", "2026-12-06T10:00:00Z no word from the operator for 10000 ms");
    Instant start = scene.clock.instant();
    passUntilLogged(scene, logMark, "failover");
    assertThat(scene.log().since(logMark).of("failover")).singleElement().satisfies(e -> assertThat(e.reason())
        .contains("primary demo-1 does not answer SQL: fenced by its agent: 2026-12-06T10:00:00Z")
        .doesNotContain("fenced itself by now"));
    assertThat(Duration.between(start, scene.clock.instant())).as("its agent answers: not waited for")
        .isLessThan(Duration.ofSeconds(5));
    assertThat(scene.log().since(logMark).actions()).doesNotContain("unfence");
  }

  @Test
  void aPrimaryItsAgentFencedThatNoReplicaCanReplaceIsUnfenced(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, FakeClusterScene.spec(2, false)); // no automatic failover
    scene.settle();
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();
    scene.postgres.agents().fence("demo-1", "2026-12-06T10:00:00Z no word from the operator for 10000 ms");
    assertThat(passUntilLogged(scene, logMark, "unfence")).as("unfenced").isNotNull();
    scene.passUntil("demo-1 healthy again", scene::healthy);
    assertThat(scene.log().since(logMark).of("unfence")).singleElement().satisfies(e -> assertThat(e.reason())
        .isEqualTo("demo-1: its agent had fenced it (2026-12-06T10:00:00Z no word from the operator for 10000 ms);"
            + " nobody takes over (no eligible replica, or automatic failover is off), so it is the primary again"));
    assertThat(scene.engine.historySince(mark)).contains("agent unfence pgherd-demo-1")
        .noneMatch(e -> e.startsWith("kill ") || e.startsWith("stop "));
    assertThat(scene.state().primary()).isEqualTo(1);
    assertThat(scene.log().since(logMark).actions()).doesNotContain("failover", "promoted");
  }

  @Test
  void aNewClustersPrimaryItsAgentFencedBeforeTheOperatorSawItAnswerIsUnfenced(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 1);
    // its agent fences it before the operator ever sees it answer (on a Swarm whose DNS did not know the new
    // name yet, the operator's word did not reach it in time)
    scene.postgres.agents().fence("demo-1", "no word from the operator for 10024 ms (isolation timeout 10000 ms) and only 1 of 1 members reachable");

    scene.passUntil("demo-1 unfenced and healthy", scene::healthy);

    assertThat(scene.log().of("failover")).isEmpty();
    assertThat(scene.log().of("unfence")).singleElement().satisfies(e -> assertThat(e.reason()).startsWith("demo-1: its agent had fenced it"));
    assertThat(scene.engine.history()).contains("agent unfence pgherd-demo-1");
  }
}
