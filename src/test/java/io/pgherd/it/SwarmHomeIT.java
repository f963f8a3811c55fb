package io.pgherd.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.DockerClient;
import io.pgherd.docker.EngineCalls;
import io.pgherd.store.ClusterLog;
import io.pgherd.store.Home;
import io.pgherd.store.HomeCipher;
import io.pgherd.swarm.SwarmHome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's home kept in the Swarm's configs, against the lab's real Swarm: the first operator
 * starts from an empty home whatever its node's volume kept from an earlier deploy (moved aside, not
 * used), a later one restores what the first stored, and of two operators writing the same next
 * generation only one wins — the other is told it lost the home.
 */
class SwarmHomeIT {
  private static SwarmLab lab;
  private static DockerClient manager;
  @TempDir Path dir;

  @BeforeAll
  static void up() throws Exception {
    lab = SwarmLab.up();
    manager = lab.engine(1);
  }

  @BeforeEach
  @AfterEach
  void noHomeInTheSwarm() {
    for (String label : List.of("io.pgherd.home", "io.pgherd.home.part-of")) {
      manager.listConfigsCmd().withFilters(Map.of("label", List.of(label))).exec()
          .forEach(c -> manager.removeConfigCmd(c.getId()).exec());
    }
  }

  @Test
  void aHomeLeftOnTheNodeIsSetAsideWhenTheSwarmHasNoneAndTheNextOperatorRestoresWhatTheFirstStored() throws Exception {
    Files.writeString(dir.resolve("key"), new String(HomeCipher.newKeyMaterial()));
    HomeCipher cipher = HomeCipher.fromFile(dir.resolve("key"));
    Path first = dir.resolve("first");
    Home left = new Home(first);
    left.writeSpec("old", "an earlier deploy's cluster\n");
    left.secrets().secret("old", Home.SUPERUSER_PASSWORD);

    try (SwarmHome a = new SwarmHome(manager, new EngineCalls("lab engine 1"), first, cipher, () -> true)) {
      String said = a.restore();
      assertThat(said).contains("an empty one stored as generation 1").contains("clusters, secrets").contains("set-aside-");
      assertThat(new Home(first).readSpec("old")).as("the earlier deploy's cluster is not this operator's").isEmpty();
      try (var aside = Files.list(first)) {
        Path moved = aside.filter(p -> p.getFileName().toString().startsWith("set-aside-")).findFirst().orElseThrow();
        assertThat(Files.readString(moved.resolve("clusters/old.yaml"))).isEqualTo("an earlier deploy's cluster\n");
      }
      new Home(first).writeSpec("demo", "spec: 1\n");
      a.publish();
    }

    Path second = dir.resolve("second");
    new Home(second).writeSpec("stale", "what this node's volume held\n");
    SwarmHome b = new SwarmHome(manager, new EngineCalls("lab engine 1"), second, cipher, () -> true);
    assertThat(b.restore()).isEqualTo("home restored from the Swarm: generation 2");
    assertThat(new Home(second).readSpec("demo")).contains("spec: 1\n");
    assertThat(new Home(second).readSpec("stale")).isEmpty();

    Path third = dir.resolve("third");
    SwarmHome c = new SwarmHome(manager, new EngineCalls("lab engine 1"), third, cipher, () -> true);
    c.restore();
    new Home(second).writeSpec("demo", "spec: 2\n");
    b.publish();
    new Home(third).writeSpec("demo", "spec: 3\n");
    assertThatThrownBy(c::publish).isInstanceOf(SwarmHome.Lost.class)
        .hasMessageContaining("another operator stored generation 3 of the home first");

    // the cluster's log moves with the home: the next operator's `pgherd logs` has the history
    new ClusterLog(new Home(second), "demo").action("r9", "promoted", "demo-2 is the primary on timeline 2");
    b.publish();
    Path fourth = dir.resolve("fourth");
    java.util.concurrent.atomic.AtomicBoolean leads = new java.util.concurrent.atomic.AtomicBoolean(true);
    SwarmHome d = new SwarmHome(manager, new EngineCalls("lab engine 1"), fourth, cipher, leads::get);
    assertThat(d.restore()).isEqualTo("home restored from the Swarm: generation 4");
    assertThat(Files.readString(new Home(fourth).logFile("demo"))).contains("promoted: demo-2 is the primary on timeline 2");

    // a replica that does not hold the lease (paused) stores nothing, not even when it stops
    leads.set(false);
    new Home(fourth).writeSpec("demo", "spec: 4\n");
    assertThatThrownBy(d::publish).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("does not hold the operator lease");
    d.close();
    SwarmHome e = new SwarmHome(manager, new EngineCalls("lab engine 1"), dir.resolve("fifth"), cipher, () -> true);
    assertThat(e.restore()).isEqualTo("home restored from the Swarm: generation 4");
    assertThat(new Home(dir.resolve("fifth")).readSpec("demo")).contains("spec: 2\n");
  }
}
