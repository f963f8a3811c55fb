package io.pgherd.reconcile;

import static io.pgherd.reconcile.FakeClusterScene.indexOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.fake.ActionLog;
import io.pgherd.model.HaproxyConf;
import io.pgherd.model.Lsn;
import io.pgherd.model.PostgresConf;
import io.pgherd.runtime.ContainerRuntime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The primary lost in the ways the fake can lose it: died with or without an event, or hung. */
class FakeClusterFailoverTest {
  /** The old primary made again as a replica of the new one (its files are the new container's). */
  private static final String OLD_PRIMARY_TOLD = "create pgherd-demo-1";

  @Test
  void whenThePrimaryDiesTheMostAdvancedReplicaIsPromotedAfterTheOldPrimaryAndTheLoadBalancerAreFenced(
      @TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.postgres.lagBehind("demo-2", 0x1000);
    scene.converge();
    scene.passUntil("demo-3 the most advanced replica", () -> Lsn.parse(scene.postgres.lsn("demo-3"))
        > Lsn.parse(scene.postgres.lsn("demo-2")));
    scene.engine.staleListings(2); // Docker lists it running for a moment after its die event
    // the fencing runs alongside the promotion; made slower than it, the order below is not luck
    scene.engine.slow("copyFiles", Duration.ofMillis(25));
    scene.engine.slow("exec", Duration.ofMillis(10));
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();

    int askedBefore = scene.postgres.agents().tried("demo-1");
    scene.engine.crash("pgherd-demo-1");
    scene.pass();

    assertThat(scene.postgres.agents().tried("demo-1")).as("listed running after its die event: not probed (on a Swarm"
        + " its name is gone from DNS and a lookup can hang)").isEqualTo(askedBefore);
    ActionLog first = scene.log().since(logMark);
    assertThat(first.of("failover")).as("the first pass after the die event").singleElement()
        .satisfies(e -> assertThat(e.reason()).startsWith("demo-1 → demo-3: primary demo-1 container is exited (died: Docker event at ")
            .contains("demo-3 has the most advanced WAL"));
    assertThat(first.done()).containsSubsequence("failover", "fence-lb", "promoted")
        .containsSubsequence("failover", "fence", "promoted");
    assertThat(first.of("fence")).singleElement().satisfies(e -> assertThat(e.reason())
        .contains("container already exited").contains("its container made again to start only as a replica of demo-3")
        .contains("the last lines of its log in "));

    scene.engine.slow("copyFiles", Duration.ZERO);
    scene.engine.slow("exec", Duration.ZERO);
    scene.passUntil("demo-1 rejoined", scene::rejoinedAndHealthy);

    assertThat(scene.log().since(logMark).done()).containsSubsequence("failover", "promoted", "rejoined");
    assertThat(scene.log().of("rejoined")).last().satisfies(e -> assertThat(e.reason())
        .isEqualTo("demo-1 streams from demo-3 on timeline 2 after pg_rewind"));
    List<String> h = scene.engine.historySince(mark);
    assertThat(h).as("found exited: not killed").doesNotContain("kill pgherd-demo-1");
    assertThat(h).filteredOn(e -> e.contains("set server rw/demo-1 state maint")).hasSize(1);
    int told = indexOf(h, OLD_PRIMARY_TOLD);
    int promoted = indexOf(h, "sql pgherd-demo-3 promote");
    int started = indexOf(h, "start pgherd-demo-1");
    assertThat(promoted).isNotNegative();
    assertThat(told).as("its files say replica before it is started again").isNotNegative().isLessThan(started);
    assertThat(h).doesNotContain("sql pgherd-demo-2 promote");
    assertThat(scene.engine.file("pgherd-demo-1", PostgresConf.MEMBER_ENV_PATH)).get().asString()
        .contains("PGHERD_BOOTSTRAP=clone").contains("PGHERD_PRIMARY_HOST=pgherd-demo-3");
    assertThat(scene.engine.output("pgherd-demo-1")).contains("pgherd-entrypoint: rejoin: pg_rewind succeeded;"
        + " standby.signal written");
    assertThat(scene.engine.file("pgherd-demo-lb", HaproxyConf.PATH)).get().asString()
        .contains("listen rw\n    bind :5432\n    option httpchk GET /primary\n    http-check expect status 200\n"
            + "    server demo-3 pgherd-demo-3:5432 check");
    assertThat(scene.postgres.splitBrains()).as("the old primary never came back writable").isEmpty();
    assertThat(scene.postgres.streamingFrom("demo-1")).contains("pgherd-demo-3");
    assertThat(scene.postgres.streamingFrom("demo-2")).contains("pgherd-demo-3");
    assertThat(scene.status().orElseThrow().getPrimary()).isEqualTo("demo-3");
    assertThat(scene.status().orElseThrow().getTimeline()).isEqualTo(2L);
    assertThat(scene.status().orElseThrow().getLastFailover()).extracting(f -> f.from() + " → " + f.to()).isEqualTo("demo-1 → demo-3");
  }

  @Test
  void aLostDieEventStillFailsOverOnceTheListingShowsThePrimaryExited(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.converge();
    scene.engine.loseEvents(true);
    int logMark = scene.log().size();
    int delivered = scene.delivered.size();

    scene.engine.crash("pgherd-demo-1");
    scene.pass();

    assertThat(scene.engine.lostEvents()).extracting(ContainerRuntime.Event::action).contains("die");
    assertThat(scene.delivered).hasSize(delivered);
    assertThat(scene.log().since(logMark).of("failover")).singleElement()
        .satisfies(e -> assertThat(e.reason()).contains("primary demo-1 container is exited (Exited (137))"));
    scene.passUntil("demo-1 rejoined", scene::rejoinedAndHealthy);
    assertThat(scene.log().since(logMark).done()).containsSubsequence("failover", "promoted", "rejoined");
    assertThat(scene.status().orElseThrow().getPrimary()).isEqualTo("demo-2");
    assertThat(scene.postgres.splitBrains()).isEmpty();
  }

  @Test
  void aPrimaryWhoseSqlHangsIsFailedOverOnlyAfterFailureThresholdFailedProbes(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3); // failureThreshold 3, probePeriod 500ms
    scene.converge();
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();

    scene.postgres.hang("demo-1", Duration.ofMillis(40));
    int mostTimeoutsWithoutFailover = 0;
    for (int pass = 0; pass < FakeClusterScene.MAX_PASSES && !scene.log().since(logMark).has("failover"); pass++) {
      mostTimeoutsWithoutFailover = scene.postgres.timeouts("demo-1");
      scene.clock.advance(Duration.ofMillis(500)); // one probe period between passes, as the operator probes
      scene.pass();
    }

    ActionLog after = scene.log().since(logMark);
    assertThat(after.of("failover")).as("a failover within " + FakeClusterScene.MAX_PASSES + " passes").singleElement()
        .satisfies(e -> assertThat(e.reason()).contains("primary demo-1 does not answer SQL: timeout")
            .containsPattern("\\((\\d{2,}|[3-9]) failed probes over \\d{4,} ms\\)"));
    assertThat(mostTimeoutsWithoutFailover).as("failed probes seen without failing over").isGreaterThanOrEqualTo(2);
    assertThat(scene.engine.state("pgherd-demo-1")).as("still running while it hung").isPresent();
    List<String> h = scene.engine.historySince(mark);
    int killed = indexOf(h, "kill pgherd-demo-1");
    assertThat(killed).as("a running primary is killed").isNotNegative()
        .isLessThan(indexOf(h, "sql pgherd-demo-2 promote"));
    assertThat(indexOf(h, OLD_PRIMARY_TOLD)).isGreaterThan(killed);

    scene.passUntil("demo-1 rejoined", scene::rejoinedAndHealthy);
    assertThat(indexOf(scene.engine.historySince(mark), OLD_PRIMARY_TOLD))
        .isLessThan(indexOf(scene.engine.historySince(mark), "start pgherd-demo-1"));
    assertThat(scene.log().since(logMark).done()).containsSubsequence("failover", "fence-lb", "fence", "promoted",
        "rejoined");
    assertThat(scene.postgres.splitBrains()).isEmpty();
  }

  @Test
  void aFailingLoadBalancerAdminSocketDoesNotStopAFailoverAndIsWarnedAbout(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.converge();
    scene.engine.failExec("pgherd-demo-lb", "state maint",
        "socat[42] E connect(5, AF=1 \"/run/haproxy/admin.sock\", 29): Connection refused");
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();

    scene.engine.crash("pgherd-demo-1");
    scene.passUntil("demo-1 rejoined", scene::rejoinedAndHealthy);

    ActionLog after = scene.log().since(logMark);
    assertThat(after.entries()).filteredOn(e -> e.warning() && e.action().equals("fence-lb")).singleElement()
        .satisfies(e -> assertThat(e.reason()).contains("cannot put rw/demo-1 in maintenance through the admin socket")
            .contains("Connection refused").endsWith("; reloading without it"));
    assertThat(after.actions()).containsSubsequence("failover", "fence-lb", "fence-lb", "promoted", "rejoined");
    List<String> h = scene.engine.historySince(mark);
    int failed = indexOf(h, h.stream().filter(e -> e.contains("state maint") && e.endsWith("Connection refused]"))
        .findFirst().orElse("none"));
    assertThat(failed).as("the admin socket was tried").isNotNegative();
    assertThat(indexOf(h, "agent put pgherd-demo-lb [haproxy.cfg]")).as("the listener is replaced anyway")
        .isGreaterThan(failed);
    assertThat(indexOf(h, "agent reload pgherd-demo-lb")).isGreaterThan(indexOf(h, "agent put pgherd-demo-lb [haproxy.cfg]"));
    assertThat(scene.status().orElseThrow().getPrimary()).isEqualTo("demo-2");
    assertThat(scene.postgres.splitBrains()).isEmpty();
  }
}
