package io.pgherd.reconcile;

import static io.pgherd.reconcile.FakeClusterScene.indexOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgherd.fake.ActionLog;
import io.pgherd.runtime.EngineUnavailableException;
import io.pgherd.store.Home;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the pass must not do: act on an engine it cannot see, or leave two members accepting writes. */
class FakeClusterSafetyTest {

  @Test
  void anUnreachableEngineFailsThePassAndNothingIsChanged(@TempDir Path dir) throws IOException {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.converge();
    List<String> history = scene.engine.history();
    String state = Files.readString(scene.home.stateFile(FakeClusterScene.CLUSTER));
    String status = Files.readString(scene.home.statusFile(FakeClusterScene.CLUSTER));
    int logLines = scene.log().size();

    scene.engine.unreachable(true);
    scene.engine.crash("pgherd-demo-1"); // even with the primary gone, nothing is decided blind

    assertThatThrownBy(scene::pass).isInstanceOf(EngineUnavailableException.class)
        .hasMessageContaining("fake://engine is unreachable");
    assertThat(scene.engine.history()).isEqualTo(history);
    assertThat(Files.readString(scene.home.stateFile(FakeClusterScene.CLUSTER))).isEqualTo(state);
    assertThat(Files.readString(scene.home.statusFile(FakeClusterScene.CLUSTER))).isEqualTo(status);
    assertThat(scene.log().size()).isEqualTo(logLines);

    scene.engine.unreachable(false);
    scene.passUntil("demo-1 rejoined", scene::rejoinedAndHealthy);
    assertThat(scene.log().since(logLines).done()).containsSubsequence("failover", "promoted", "rejoined");
  }

  @Test
  void aNewClusterOnAnUnreachableEngineRecordsNothing(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.engine.unreachable(true);

    assertThatThrownBy(scene::pass).isInstanceOf(EngineUnavailableException.class);

    Home home = scene.home;
    assertThat(scene.engine.history()).isEmpty();
    assertThat(Files.exists(home.stateFile(FakeClusterScene.CLUSTER))).as("no intent without observing").isFalse();
    assertThat(scene.log().size()).isZero();
  }

  @Test
  void aSecondWritableMemberIsFencedByTheSafetyGateAndRejoinsAsAReplica(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.converge();
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();

    scene.postgres.promoteByHand("demo-2"); // pg_ctl promote behind the operator's back
    assertThat(scene.postgres.splitBrains()).containsExactly("pgherd-demo-1 and pgherd-demo-2 both accept writes");
    scene.pass();

    assertThat(scene.postgres.acceptsWrites("demo-2")).as("fenced in the first pass").isFalse();
    ActionLog first = scene.log().since(logMark);
    assertThat(first.of("fence")).singleElement().satisfies(e -> assertThat(e.reason())
        .startsWith("demo-2 accepts writes but demo-1 is the primary: killed, its container made again to rejoin as a"
            + " replica (data volume kept; the last lines of its log in "));
    List<String> h = scene.engine.historySince(mark);
    int killed = indexOf(h, "kill pgherd-demo-2");
    int told = indexOf(h, "create pgherd-demo-2");
    assertThat(killed).isNotNegative().isLessThan(told);

    scene.passUntil("demo-2 rejoined", scene::rejoinedAndHealthy);
    h = scene.engine.historySince(mark);
    assertThat(indexOf(h, "start pgherd-demo-2")).isGreaterThan(told);
    assertThat(scene.log().since(logMark).done()).containsSubsequence("fence", "rejoined")
        .doesNotContain("failover", "promoted");
    assertThat(scene.state().primary()).isEqualTo(1);
    assertThat(scene.engine.output("pgherd-demo-2")).contains("pgherd-entrypoint: rejoin: pg_rewind succeeded;"
        + " standby.signal written");
    assertThat(scene.postgres.streamingFrom("demo-2")).contains("pgherd-demo-1");
    assertThat(scene.postgres.acceptsWrites("demo-1")).isTrue();
    assertThat(scene.postgres.splitBrains()).as("only the one made by hand").hasSize(1);
  }
}
