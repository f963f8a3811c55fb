package io.pgherd.reconcile;

import static io.pgherd.reconcile.FakeClusterScene.indexOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.fake.ActionLog;
import io.pgherd.model.PostgresConf;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** spec.postgres.parameters changed: every running member's postgresql.conf, reloaded, restarted when needed. */
class FakeClusterConfigurationTest {

  @Test
  void aReloadableParameterIsDeliveredThroughEveryMembersAgentAndReloadedReplicasBeforeThePrimaryWithoutARestart(
      @TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.converge();
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();

    scene.apply(FakeClusterScene.withParameters(FakeClusterScene.spec(3), "work_mem", "8MB"));
    scene.passUntil("work_mem in force everywhere", () -> scene.healthy()
        && List.of("demo-1", "demo-2", "demo-3").stream()
            .allMatch(m -> scene.postgres.setting(m, "work_mem").equals(java.util.Optional.of("8MB"))));

    ActionLog after = scene.log().since(logMark);
    assertThat(after.of("reload-config")).extracting(ActionLog.Entry::reason).containsExactly(
        "demo-2: postgresql.conf changed", "demo-3: postgresql.conf changed", "demo-1: postgresql.conf changed");
    assertThat(after.actions()).doesNotContain("restart-member", "recreate-member");
    List<String> h = scene.engine.historySince(mark);
    for (String m : List.of("2", "3", "1")) {
      int put = indexOf(h, "agent put pgherd-demo-" + m + " [postgresql.conf, pg_hba.conf, ca.crt, agent.crt, agent.key, agent.conf]");
      assertThat(put).as("demo-" + m + "'s files delivered through its agent").isNotNegative()
          .isLessThan(indexOf(h, "agent reload pgherd-demo-" + m));
      assertThat(h).as("nothing copied in through the engine").noneMatch(e -> e.startsWith("copy pgherd-demo-" + m));
      assertThat(scene.engine.file("pgherd-demo-" + m, PostgresConf.CONF_PATH)).get().asString()
          .contains("# spec.postgres.parameters\nwork_mem = '8MB'\n");
    }
    assertThat(indexOf(h, "agent reload pgherd-demo-3")).as("the replicas first")
        .isLessThan(indexOf(h, "agent reload pgherd-demo-1"));
    assertThat(indexOf(h, "agent reload pgherd-demo-2")).isLessThan(indexOf(h, "agent reload pgherd-demo-1"));
    assertThat(h).noneMatch(e -> e.startsWith("restart ") || e.startsWith("stop ") || e.startsWith("kill ")
        || e.startsWith("remove ") || e.startsWith("create "));
    assertThat(scene.postgres.pendingRestart("demo-1")).isEmpty();
    assertThat(scene.engine.output("pgherd-demo-1")).contains("postgres: LOG:  parameter \"work_mem\" changed to \"8MB\"");
  }

  @Test
  void afterAnOperatorRestartTheFilesEachContainerHasAreAskedOfItsAgentNotReadThroughTheEngine(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.converge();
    scene.restartOperator(); // nothing remembered of what the containers have
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();

    scene.settle();

    List<String> h = scene.engine.historySince(mark);
    assertThat(h).contains("agent files pgherd-demo-1", "agent files pgherd-demo-2", "agent files pgherd-demo-3",
        "agent files pgherd-demo-lb");
    assertThat(h).as("nothing read back through the engine").noneMatch(e -> e.startsWith("read "));
    assertThat(scene.log().since(logMark).actions()).as("nothing delivered again: the files are as rendered")
        .doesNotContain("reload-config", "reload-lb", "renew-lb-agent-files");
  }

  @Test
  void aParameterThatNeedsARestartRestartsTheReplicasFirstAndThePrimaryInALaterPass(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.converge();
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();

    scene.apply(FakeClusterScene.withParameters(FakeClusterScene.spec(3), "shared_buffers", "256MB"));
    scene.pass(); // files copied, reloaded: pending_restart from now
    assertThat(scene.log().since(logMark).of("reload-config")).hasSize(3);
    assertThat(scene.postgres.pendingRestart("demo-1")).containsExactly("shared_buffers");
    assertThat(scene.postgres.setting("demo-1", "shared_buffers")).as("not in force before a restart").isEmpty();
    scene.passUntil("shared_buffers in force everywhere", () -> scene.healthy()
        && List.of("demo-1", "demo-2", "demo-3").stream()
            .allMatch(m -> scene.postgres.setting(m, "shared_buffers").equals(java.util.Optional.of("256MB"))));

    List<ActionLog.Entry> restarts = scene.log().since(logMark).of("restart-member");
    assertThat(restarts).extracting(ActionLog.Entry::reason).containsExactly(
        "demo-2: parameters need a restart: shared_buffers", "demo-3: parameters need a restart: shared_buffers",
        "demo-1: parameters need a restart: shared_buffers");
    assertThat(restarts.get(2).reconcileId()).as("the primary in a later pass than the replicas")
        .isNotEqualTo(restarts.get(0).reconcileId()).isNotEqualTo(restarts.get(1).reconcileId());
    List<String> h = scene.engine.historySince(mark);
    int primaryRestarted = indexOf(h, "restart pgherd-demo-1");
    assertThat(indexOf(h, "restart pgherd-demo-2")).isNotNegative().isLessThan(primaryRestarted);
    assertThat(indexOf(h, "restart pgherd-demo-3")).isNotNegative().isLessThan(primaryRestarted);
    assertThat(h).filteredOn(e -> e.startsWith("restart ")).hasSize(3);
    assertThat(scene.log().since(logMark).actions()).doesNotContain("failover", "fence");
    assertThat(scene.state().primary()).isEqualTo(1);
    for (String m : List.of("demo-1", "demo-2", "demo-3")) {
      assertThat(scene.postgres.pendingRestart(m)).as(m).isEmpty();
    }
    assertThat(scene.postgres.streamingFrom("demo-2")).contains("pgherd-demo-1");
    assertThat(scene.postgres.splitBrains()).isEmpty();
  }
}
