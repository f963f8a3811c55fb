package io.pgherd.reconcile;

import static io.pgherd.reconcile.FakeClusterScene.indexOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.fake.ActionLog;
import io.pgherd.fake.FakePostgres;
import io.pgherd.model.Lsn;
import io.pgherd.postgres.ControlFile;
import io.pgherd.store.ControlRequest;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `pgherd switchover`: a change of primary that loses nothing. */
class FakeClusterSwitchoverTest {

  @Test
  void aSwitchoverPromotesTheTargetOnlyOnceTheOldPrimaryShutDownCleanlyAndItReceivedTheShutdownCheckpoint(
      @TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.converge();
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();
    // what `pgherd switchover demo --to demo-2` leaves for the operator (cli/PrimaryChange)
    ControlRequest request = new ControlRequest("c0ffee000001", ControlRequest.SWITCHOVER, "demo-2", false,
        Instant.now().toString());
    assertThat(scene.submit(request)).isTrue();

    AtomicReference<ControlRequest.Result> answer = new AtomicReference<>();
    scene.passUntil("the switchover answered", () -> {
      scene.takeAnswer(request.id()).ifPresent(answer::set);
      return answer.get() != null;
    });

    assertThat(answer.get().ok()).as(answer.get().message()).isTrue();
    assertThat(answer.get().message()).startsWith("demo-2 is the primary on timeline 2; demo-1 rejoins as a replica");
    ActionLog after = scene.log().since(logMark);
    assertThat(after.done()).containsSubsequence("switchover", "checkpoint", "demote", "caught-up", "promoted");
    assertThat(after.entries()).noneMatch(e -> e.warning());

    // the target has the old primary's WAL up to and past its shutdown checkpoint: nothing lost
    ActionLog.Entry caughtUp = after.of("caught-up").get(0);
    Matcher m = Pattern.compile("\\(shut down, checkpoint at (\\S+) on timeline 1\\)").matcher(caughtUp.reason());
    assertThat(m.find()).as(caughtUp.reason()).isTrue();
    long shutdownCheckpoint = Lsn.parse(m.group(1));
    String history = scene.postgres.timelineHistory("demo-2");
    assertThat(history).startsWith("1\t");
    long switchPoint = Lsn.parse(history.split("\t")[1]);
    assertThat(switchPoint).as("demo-2's timeline 2 starts past demo-1's shutdown checkpoint")
        .isGreaterThan(shutdownCheckpoint);

    List<String> h = scene.engine.historySince(mark);
    int checkpoint = indexOf(h, "sql pgherd-demo-1 checkpoint");
    int drained = indexOf(h, h.stream().filter(e -> e.startsWith("exec pgherd-demo-lb")
        && e.contains("set server rw/demo-1 state maint")).findFirst().orElse("none"));
    int demoted = indexOf(h, "signal pgherd-demo-1 SIGINT");
    int promoted = indexOf(h, "sql pgherd-demo-2 promote");
    int told = indexOf(h, "copy pgherd-demo-1 [member.env, postgresql.conf, pg_hba.conf]");
    assertThat(checkpoint).isNotNegative().isLessThan(drained);
    assertThat(drained).isLessThan(demoted);
    assertThat(demoted).isLessThan(promoted);
    assertThat(told).isGreaterThan(demoted);
    assertThat(h).as("shut down, not killed").doesNotContain("kill pgherd-demo-1");
    assertThat(scene.engine.output("pgherd-demo-1")).contains("postgres: LOG:  received fast shutdown request",
        "postgres: LOG:  database system is shut down");

    scene.passUntil("demo-1 rejoined", scene::rejoinedAndHealthy);
    h = scene.engine.historySince(mark);
    assertThat(indexOf(h, "start pgherd-demo-1")).as("started again only as a replica").isGreaterThan(told);
    assertThat(scene.log().since(logMark).done()).containsSubsequence("caught-up", "promoted", "rejoined");
    assertThat(scene.status().orElseThrow().getPrimary()).isEqualTo("demo-2");
    assertThat(scene.status().orElseThrow().getLastFailover().kind()).isEqualTo("switchover");
    assertThat(scene.postgres.streamingFrom("demo-1")).contains("pgherd-demo-2");
    assertThat(scene.postgres.streamingFrom("demo-3")).contains("pgherd-demo-2");
    assertThat(scene.postgres.splitBrains()).isEmpty();
  }

  @Test
  void theFakesPgControlSaysShutDownOnlyOnceTheOldPrimaryHasStopped(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 2);
    scene.converge();
    String c = "pgherd-demo-1";
    ControlFile running = ControlFile.parse(scene.engine.readFile(c, FakePostgres.PG_CONTROL).orElseThrow());
    assertThat(running.stateName()).isEqualTo("in production");

    scene.engine.signal(c, "SIGINT");
    ControlFile first = ControlFile.parse(scene.engine.readFile(c, FakePostgres.PG_CONTROL).orElseThrow());
    ControlFile second = ControlFile.parse(scene.engine.readFile(c, FakePostgres.PG_CONTROL).orElseThrow());

    assertThat(first.cleanlyShutDown()).as("still shutting down at the first look").isFalse();
    assertThat(second.cleanlyShutDown()).isTrue();
    assertThat(second.timeline()).isEqualTo(1);
    assertThat(scene.engine.state(c)).isEqualTo(Optional.of("exited"));
  }
}
