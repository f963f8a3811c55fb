package io.pgherd.reconcile;

import static io.pgherd.reconcile.FakeClusterScene.indexOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.api.LoadBalancerServerStatus;
import io.pgherd.fake.ActionLog;
import io.pgherd.model.HaproxyConf;
import java.nio.charset.StandardCharsets;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.model.Names;
import io.pgherd.model.PostgresConf;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cluster's HAProxy: recreated when its listeners change, reconfigured and reloaded when the members do. */
class FakeClusterLoadBalancerTest {

  @Test
  void newListenerPortsInSpecLoadBalancerRecreateTheLoadBalancerAndLeaveTheMembersAlone(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 2);
    scene.converge();
    String config = scene.engine.file("pgherd-demo-lb", HaproxyConf.PATH).orElseThrow();
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();

    scene.apply(FakeClusterScene.spec(2).replace("readWritePort: 5432", "readWritePort: 6432")
        .replace("readOnlyPort: 5433", "readOnlyPort: 6433"));
    scene.passUntil("the load balancer on the new ports", () -> scene.healthy()
        && scene.engine.container("pgherd-demo-lb").map(c -> c.publishedPorts().get(HaproxyConf.RW_PORT) == 6432
            && c.publishedPorts().get(HaproxyConf.RO_PORT) == 6433
            && c.publishedPorts().containsKey(PostgresConf.AGENT_PORT)).orElse(false));

    ActionLog after = scene.log().since(logMark);
    assertThat(after.done()).containsSubsequence("recreate-lb", "create-lb");
    assertThat(after.of("recreate-lb")).singleElement().satisfies(e -> assertThat(e.reason())
        .isEqualTo("pgherd-demo-lb: listeners changed (spec.loadBalancer)"));
    assertThat(after.of("create-lb")).singleElement().satisfies(e -> assertThat(e.reason())
        .isEqualTo("pgherd-demo-lb: read-write 127.0.0.1:6432 → demo-1, read-only 127.0.0.1:6433"));
    List<String> h = scene.engine.historySince(mark);
    int removed = indexOf(h, "remove pgherd-demo-lb");
    assertThat(removed).isNotNegative().isLessThan(indexOf(h, "create pgherd-demo-lb"));
    assertThat(indexOf(h, "create pgherd-demo-lb")).isLessThan(indexOf(h, "start pgherd-demo-lb"));
    assertThat(h).as("the members untouched").filteredOn(e -> !FakeClusterScene.steady(e))
        .noneMatch(e -> e.contains("pgherd-demo-1") || e.contains("pgherd-demo-2"));
    assertThat(scene.engine.file("pgherd-demo-lb", HaproxyConf.PATH)).as("same servers").contains(config);
    assertThat(scene.status().orElseThrow().getEndpoints().getReadWriteServers())
        .extracting(s -> s.getMember() + " " + s.getState()).containsExactly("demo-1 UP");
  }

  @Test
  void aNewMemberIsWrittenIntoTheLoadBalancersConfigurationAndReloadedWithSigusr2NotRecreated(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 2);
    scene.converge();
    String lbId = scene.engine.container("pgherd-demo-lb").orElseThrow().id();
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();

    scene.apply(FakeClusterScene.spec(3));
    scene.passUntil("demo-3 in the read-only listener", () -> scene.healthy()
        && scene.status().orElseThrow().getEndpoints().getReadOnlyServers().stream()
            .anyMatch(s -> s.getMember().equals("demo-3") && s.getState().equals("UP")));

    ActionLog after = scene.log().since(logMark);
    assertThat(after.of("reload-lb")).last().satisfies(e -> assertThat(e.reason())
        .isEqualTo("pgherd-demo-lb: servers now: rw demo-1; ro demo-1, demo-2, demo-3"));
    assertThat(after.actions()).doesNotContain("recreate-lb", "create-lb", "start-lb");
    List<String> h = scene.engine.historySince(mark);
    int copied = indexOf(h, "agent put pgherd-demo-lb [haproxy.cfg]");
    assertThat(copied).isNotNegative().isLessThan(indexOf(h, "agent reload pgherd-demo-lb"));
    assertThat(h).as("through its agent, not the engine").noneMatch(e -> e.matches("(copy|exec|signal) pgherd-demo-lb\\b.*"));
    assertThat(h).noneMatch(e -> e.startsWith("remove pgherd-demo-lb") || e.startsWith("create pgherd-demo-lb")
        || e.startsWith("restart pgherd-demo-lb") || e.startsWith("stop pgherd-demo-lb"));
    assertThat(scene.engine.container("pgherd-demo-lb").orElseThrow().id()).isEqualTo(lbId);
    assertThat(scene.engine.file("pgherd-demo-lb", HaproxyConf.PATH)).get().asString()
        .contains("server demo-3 pgherd-demo-3:5432");
    assertThat(scene.engine.output("pgherd-demo-lb")).contains("[NOTICE] haproxy: reloading " + HaproxyConf.PATH);
    assertThat(scene.status().orElseThrow().getEndpoints().getReadWriteServers())
        .extracting(LoadBalancerServerStatus::getMember).containsExactly("demo-1");
  }

  @Test
  void aLoadBalancerWhoseAgentFailsIsStillSwitchedOnAFailoverThroughTheEngineAndThatIsSaidOnce(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.converge();
    scene.postgres.agents().stop("demo-lb");
    scene.clock.advance(java.time.Duration.ofSeconds(20)); // past its start-up grace
    scene.pass();
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();

    scene.engine.crash("pgherd-demo-1");
    scene.passUntil("demo-1 rejoined", scene::rejoinedAndHealthy);

    ActionLog after = scene.log().since(logMark);
    assertThat(after.done()).containsSubsequence("failover", "fence-lb", "promoted", "rejoined");
    assertThat(after.entries()).filteredOn(e -> e.warning() && e.action().equals("lb-agent-fallback")).singleElement()
        .satisfies(e -> assertThat(e.reason()).contains("connection refused"));
    List<String> h = scene.engine.historySince(mark);
    assertThat(h).contains("copy pgherd-demo-lb [haproxy.cfg]", "signal pgherd-demo-lb SIGUSR2");
    assertThat(scene.engine.file("pgherd-demo-lb", HaproxyConf.PATH)).get().asString()
        .contains("server " + scene.status().orElseThrow().getPrimary() + " ");
    assertThat(scene.status().orElseThrow().getEndpoints().getReadWriteServers())
        .as("no server states in status while the agent does not answer (no exec for a look)").isNull();

    scene.postgres.agents().start("demo-lb");
    scene.passUntil("the server states in status again", () -> scene.status().orElseThrow().getEndpoints()
        .getReadWriteServers() != null);
    assertThat(scene.status().orElseThrow().getEndpoints().getReadWriteServers())
        .extracting(LoadBalancerServerStatus::getMember).containsExactly(scene.status().orElseThrow().getPrimary());
  }

  @Test
  void aLoadBalancerMadeBeforeTheAgentsIsMadeAgainWithOneAndIsThenReachedOnlyThroughIt(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 2);
    scene.engine.createWithoutPublishing(PostgresConf.AGENT_PORT); // as an older pgherd made its containers
    scene.converge();
    // its label as that pgherd wrote it: the definition without the agent
    scene.engine.relabel("pgherd-demo-lb", Names.LABEL_SPEC_HASH, ClusterScope.hash(
        "image=pgherd/haproxy:2.6\nbind=127.0.0.1\nrw=5432\nro=5433\n".getBytes(StandardCharsets.UTF_8)).substring(0, 16));
    scene.engine.createWithoutPublishing(); // this pgherd
    int logMark = scene.log().size();

    scene.passUntil("the load balancer made again with its agent", () -> scene.healthy()
        && scene.engine.container("pgherd-demo-lb").map(c -> c.publishedPorts().containsKey(PostgresConf.AGENT_PORT))
            .orElse(false));
    assertThat(scene.log().since(logMark).of("recreate-lb")).singleElement().satisfies(e -> assertThat(e.reason())
        .isEqualTo("pgherd-demo-lb: made by an older pgherd, without an agent: made again with one (the listeners are"
            + " back in seconds)"));

    int mark = scene.engine.history().size();
    scene.apply(FakeClusterScene.spec(3));
    scene.passUntil("demo-3 in the read-only listener", () -> scene.healthy()
        && scene.status().orElseThrow().getEndpoints().getReadOnlyServers().stream()
            .anyMatch(s -> s.getMember().equals("demo-3")));
    assertThat(scene.engine.historySince(mark)).contains("agent put pgherd-demo-lb [haproxy.cfg]", "agent reload pgherd-demo-lb")
        .noneMatch(e -> e.matches("(copy|exec|signal|read) pgherd-demo-lb\\b.*"));
  }
}
