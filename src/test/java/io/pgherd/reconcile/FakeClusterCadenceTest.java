package io.pgherd.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the operator's worker watches between passes, against the fake engine: a new replica
 * that does not stream yet, through its agent, for two minutes after its container was made.
 */
class FakeClusterCadenceTest {

  @Test
  void aNewReplicaNotStreamingYetIsAwaitedThroughItsAgentForTwoMinutes(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 2);
    scene.converge();
    assertThat(scene.reconciler.awaits()).as("a healthy cluster waits for nothing").isFalse();
    scene.postgres.refuseStreaming("demo-3", true);
    scene.apply(FakeClusterScene.spec(3));

    FakeClusterScene.TimedPass created = scene.timedPass();
    assertThat(created.reason()).isEqualTo("replica demo-3 starting");
    assertThat(scene.reconciler.awaits()).as("the pass that creates it has no container listed yet").isFalse();

    FakeClusterScene.TimedPass answering = scene.timedPass();
    assertThat(answering.reason()).isEqualTo("replica demo-3 not streaming yet");
    assertThat(answering.next()).isEqualTo(ClusterReconciler.FAST);
    assertThat(scene.reconciler.awaits()).isTrue();
    assertThat(scene.reconciler.awaitedStreams()).isFalse();
    scene.postgres.refuseStreaming("demo-3", false);
    scene.postgres.step();
    int calls = scene.engine.history().size();
    int asked = scene.postgres.agents().asked("demo-3");
    assertThat(scene.reconciler.awaitedStreams()).as("its agent says it streams, before any pass").isTrue();
    assertThat(scene.engine.historySince(calls)).as("no call to the engine").isEmpty();
    assertThat(scene.postgres.agents().asked("demo-3")).as("its agent asked once").isEqualTo(asked + 1);

    scene.postgres.refuseStreaming("demo-3", true);
    scene.engine.restart("pgherd-demo-3", 10);
    scene.clock.advance(Duration.ofSeconds(119));
    scene.timedPass();
    assertThat(scene.reconciler.awaits()).as("119 s after its container was made").isTrue();
    scene.clock.advance(Duration.ofSeconds(2));
    FakeClusterScene.TimedPass old = scene.timedPass();
    assertThat(old.reason()).isEqualTo("replica demo-3 not streaming yet");
    assertThat(scene.reconciler.awaits()).as("a replica not streaming 2 minutes on is a fault, looked at each pass")
        .isFalse();

    scene.postgres.refuseStreaming("demo-3", false);
    scene.converge();
    scene.timedPass();
    assertThat(scene.reconciler.awaits()).isFalse();
  }
}
