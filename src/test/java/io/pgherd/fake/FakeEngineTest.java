package io.pgherd.fake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgherd.model.HaproxyConf;
import io.pgherd.model.Names;
import io.pgherd.model.PostgresConf;
import io.pgherd.postgres.ControlFile;
import io.pgherd.postgres.Instance;
import io.pgherd.postgres.InstanceException;
import io.pgherd.postgres.InstanceProbe;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.runtime.ContainerRuntime;
import io.pgherd.runtime.ContainerSpec;
import io.pgherd.runtime.ContainerSpec.FileContent;
import io.pgherd.runtime.EngineUnavailableException;
import io.pgherd.runtime.NameTakenException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The fake keeps DockerGateway's contract, and its PostgreSQL answers as InstanceGateway's SQL would. */
class FakeEngineTest {
  private final FakeEngine engine = new FakeEngine();

  private String member(String member, String mode, String primary) {
    engine.ensureNetwork("pgherd-t", Map.of(Names.LABEL_CLUSTER, "t"));
    Map<String, FileContent> files = new LinkedHashMap<>();
    files.put(PostgresConf.MEMBER_ENV_PATH, FileContent.of(PostgresConf.renderMemberEnv(member, mode, primary), 0644));
    String conf = primary == null ? "cluster_name = '" + member + "'\n"
        : "primary_conninfo = 'host=" + primary + " port=5432 user=replicator application_name=" + member + "'\n"
            + "primary_slot_name = '" + Names.slot(member) + "'\n";
    files.put(PostgresConf.CONF_PATH, FileContent.of(conf, 0644));
    files.put(PostgresConf.HBA_PATH, FileContent.of(PostgresConf.renderHba(), 0644));
    files.put(PostgresConf.SECRETS_DIR + "/superuser-password", FileContent.of("pw", 0600));
    files.put(PostgresConf.SECRETS_DIR + "/replication-password", FileContent.of("rpw", 0600));
    return engine.create(new ContainerSpec(Names.container(member), "pgherd/postgres:15", "pgherd-t",
        Map.of(Names.LABEL_CLUSTER, "t", Names.LABEL_MEMBER, member, Names.LABEL_COMPONENT, Names.COMPONENT_MEMBER),
        Map.of(Names.volume(member), FakePostgres.DATA_DIR), List.of(new ContainerSpec.Port("127.0.0.1", 0, 5432)),
        files));
  }

  private Instance sql(String id) {
    ContainerInfo c = engine.containers(Names.LABEL_CLUSTER, "t").stream().filter(x -> x.id().equals(id))
        .findFirst().orElseThrow();
    return engine.postgres().connect("127.0.0.1", c.publishedPorts().get(5432), "postgres", "pw", null);
  }

  @Test
  void absentIsFineForRemovingStoppingAndKillingButNotForStartingOrCopying() {
    engine.remove("nope");
    engine.removeVolume("nope");
    engine.removeNetwork("nope");
    engine.stop("nope", 1);
    engine.kill("nope");
    engine.disconnectNetwork("nope", "pgherd-t");
    assertThat(engine.readFile("nope", "/etc/x")).isEmpty();
    assertThat(engine.logs("nope", 10)).isEmpty();
    assertThat(engine.runningSince("nope")).isEmpty();

    assertThatThrownBy(() -> engine.start("nope")).hasMessageContaining("No such container");
    assertThatThrownBy(() -> engine.copyFiles("nope", Map.of("/a", FileContent.of("x", 0644))))
        .hasMessageContaining("No such container");
    assertThatThrownBy(() -> engine.exec("nope", "true")).hasMessageContaining("No such container");
    assertThat(engine.history()).endsWith("start nope [failed: no such container]",
        "copy nope [a] [failed: no such container]", "exec nope true [failed: no such container]");
  }

  @Test
  void aTakenNameIsANameTakenExceptionAndAVolumeInUseCannotBeRemoved() {
    String id = member("t-1", "initdb", null);
    assertThatThrownBy(() -> member("t-1", "initdb", null)).isInstanceOf(NameTakenException.class);
    assertThatThrownBy(() -> engine.removeVolume("pgherd-t-1-data")).hasMessageContaining("in use");
    engine.remove(id);
    engine.removeVolume("pgherd-t-1-data");
    assertThat(engine.volumeNames()).isEmpty();
  }

  @Test
  void anInitdbMemberIsAPrimaryOnTimelineOneAndAnswersOnlyWithTheRightPassword() throws Exception {
    String id = member("t-1", "initdb", null);
    engine.start(id);
    ContainerInfo c = engine.container("pgherd-t-1").orElseThrow();

    InstanceProbe p = sql(id).probe();

    assertThat(p.inRecovery()).isFalse();
    assertThat(p.timeline()).isEqualTo(1);
    assertThatThrownBy(() -> engine.postgres().connect("127.0.0.1", c.publishedPorts().get(5432), "postgres", "bad",
        null).probe()).isInstanceOf(InstanceException.class).hasMessageContaining("password authentication failed");
    ControlFile control = ControlFile.parse(engine.readFile(id, FakePostgres.PG_CONTROL).orElseThrow());
    assertThat(control.stateName()).isEqualTo("in production");
  }

  @Test
  void aCloneStreamsThroughItsSlotAndIsPromotedToTheNextTimeline() throws Exception {
    String primary = member("t-1", "initdb", null);
    engine.start(primary);
    String replica = member("t-2", "clone", "pgherd-t-1");
    engine.start(replica);
    assertThat(engine.state("pgherd-t-2")).as("no slot: pg_basebackup fails").contains("exited");
    assertThat(engine.output("pgherd-t-2")).last().asString().contains("FATAL: pg_basebackup from pgherd-t-1:5432");

    assertThat(sql(primary).createSlot("t_2")).isTrue();
    engine.start(replica);
    engine.containers(Names.LABEL_CLUSTER, "t"); // a step of simulated time: it connects

    InstanceProbe onPrimary = sql(primary).probe();
    assertThat(onPrimary.slots()).singleElement().satisfies(s -> assertThat(s.active()).isTrue());
    assertThat(onPrimary.replication()).singleElement().satisfies(s -> {
      assertThat(s.applicationName()).isEqualTo("t-2");
      assertThat(s.lagBytes()).isEqualTo(FakePostgres.WRITES_PER_STEP);
    });
    InstanceProbe standby = sql(replica).probe();
    assertThat(standby.inRecovery()).isTrue();
    assertThat(standby.receiverStatus()).isEqualTo("streaming");
    assertThat(standby.senderHost()).isEqualTo("pgherd-t-1");
    assertThat(sql(replica).receivedLsn()).isPresent();

    InstanceProbe promoted = sql(replica).promoteAndProbe();
    assertThat(promoted.inRecovery()).isFalse();
    assertThat(promoted.timeline()).isEqualTo(2);
    assertThat(sql(replica).timelineHistory().getValue()).startsWith("1\t0/").endsWith("\tno recovery target specified\n");
    assertThat(engine.postgres().splitBrains()).containsExactly("pgherd-t-1 and pgherd-t-2 both accept writes");
  }

  @Test
  void theSwitchesMakeTheEngineUnreachableSlowOrItsExecsAndSqlFail() throws Exception {
    String id = member("t-1", "initdb", null);
    engine.start(id);
    int calls = engine.history().size();

    engine.unreachable(true);
    assertThatThrownBy(() -> engine.containers(Names.LABEL_CLUSTER, "t")).isInstanceOf(EngineUnavailableException.class);
    assertThatThrownBy(() -> engine.kill(id)).isInstanceOf(EngineUnavailableException.class);
    assertThat(engine.history()).hasSize(calls);
    engine.unreachable(false);

    engine.slow("networkExists", Duration.ofMillis(20));
    long t = System.nanoTime();
    engine.networkExists("pgherd-t");
    assertThat(System.nanoTime() - t).isGreaterThanOrEqualTo(Duration.ofMillis(20).toNanos());

    engine.failExec("pgherd-t-1", "boom", "no");
    assertThatThrownBy(() -> engine.exec(id, "sh", "-c", "boom")).hasMessageContaining("exited 1: no");
    assertThat(engine.exec(id, "true")).isEmpty();

    engine.postgres().hang("t-1", Duration.ofMillis(5));
    assertThatThrownBy(() -> sql(id).probe()).isInstanceOf(InstanceException.class).hasMessageContaining("timeout");
    assertThat(engine.postgres().timeouts("t-1")).isEqualTo(1);
    engine.postgres().answer("t-1");
    assertThat(sql(id).probe().inRecovery()).isFalse();

    engine.pause("pgherd-t-1");
    assertThatThrownBy(() -> sql(id).probe()).as("frozen").hasMessageContaining("timeout");
    engine.unpause("pgherd-t-1");
    assertThat(sql(id).probe().inRecovery()).isFalse();
  }

  @Test
  void aCrashDeliversADieEventUnlessEventsAreLostAndStaleListingsStillShowItRunning() throws Exception {
    String id = member("t-1", "initdb", null);
    List<ContainerRuntime.Event> events = new ArrayList<>();
    try (var stream = engine.events(Names.LABEL_CLUSTER, events::add, e -> { })) {
      engine.start(id);
      engine.staleListings(1);
      engine.crash("pgherd-t-1");
      assertThat(events).extracting(ContainerRuntime.Event::action).containsExactly("start", "die");
      assertThat(events.get(1).attributes()).containsEntry("exitCode", "137").containsEntry("name", "pgherd-t-1");
      assertThat(engine.container("pgherd-t-1").orElseThrow().state()).as("listed as running once more")
          .isEqualTo("running");
      assertThat(engine.container("pgherd-t-1").orElseThrow().state()).isEqualTo("exited");
      assertThat(engine.runningSince(id)).as("inspection tells the truth").isEmpty();

      engine.loseEvents(true);
      engine.start(id);
      engine.crash("pgherd-t-1");
      assertThat(events).hasSize(2);
      assertThat(engine.lostEvents()).extracting(ContainerRuntime.Event::action).containsExactly("start", "die");
    }
  }

  @Test
  void theLoadBalancerAnswersShowStatForItsConfigurationAndKeepsServersInMaintenanceUntilAReload() {
    engine.ensureNetwork("pgherd-t", Map.of());
    String lb = engine.create(new ContainerSpec("pgherd-t-lb", Names.LB_IMAGE, "pgherd-t",
        Map.of(Names.LABEL_CLUSTER, "t", Names.LABEL_COMPONENT, Names.COMPONENT_LB), Map.of(), List.of(),
        Map.of(HaproxyConf.PATH, FileContent.of("listen rw\n    server t-1 pgherd-t-1:5432 check port 8008\n"
            + "listen ro\n    server t-1 pgherd-t-1:5432 check port 8008\n", 0644))));
    engine.start(lb);

    engine.exec(lb, "sh", "-c", "printf 'set server rw/t-1 state maint\\n' | socat stdio /run/haproxy/admin.sock");
    var servers = HaproxyConf.parseStat(engine.exec(lb, "sh", "-c", "echo '" + HaproxyConf.SHOW_STAT + "' | socat -t 2 stdio unix-connect:/run/haproxy/admin.sock"));
    assertThat(servers.get("rw")).singleElement().satisfies(s -> assertThat(s).containsExactly("t-1", "MAINT"));
    assertThat(servers.get("ro")).singleElement().satisfies(s -> assertThat(s).containsExactly("t-1", "DOWN"));

    engine.signal(lb, "SIGUSR2");
    assertThat(engine.maintenance("pgherd-t-lb")).isEmpty();
  }

  @Test
  void aFixedHostPortPublishedByARunningContainerCannotBePublishedByAnother() {
    engine.ensureNetwork("pgherd-t", Map.of());
    List<ContainerSpec.Port> ports = List.of(new ContainerSpec.Port("127.0.0.1", 6432, 5432));
    String first = engine.create(new ContainerSpec("first", Names.LB_IMAGE, "pgherd-t", Map.of(), Map.of(), ports,
        Map.of()));
    String second = engine.create(new ContainerSpec("second", Names.LB_IMAGE, "pgherd-t", Map.of(), Map.of(), ports,
        Map.of()));
    engine.start(first);

    assertThatThrownBy(() -> engine.start(second)).hasMessageContaining("Bind for 127.0.0.1:6432 failed: port is"
        + " already allocated");
    assertThat(engine.state("second")).contains("created");
    engine.remove(first);
    engine.start(second);
    assertThat(engine.container("second").orElseThrow().publishedPorts()).containsEntry(5432, 6432);
  }

  @Test
  void theLoadBalancerServesTheConfigurationItLoadedUntilItIsReloaded() {
    engine.ensureNetwork("pgherd-t", Map.of());
    String lb = engine.create(new ContainerSpec("pgherd-t-lb", Names.LB_IMAGE, "pgherd-t",
        Map.of(Names.LABEL_CLUSTER, "t", Names.LABEL_COMPONENT, Names.COMPONENT_LB), Map.of(), List.of(),
        Map.of(HaproxyConf.PATH, FileContent.of("listen rw\n    server t-1 pgherd-t-1:5432 check\n", 0644))));
    engine.start(lb);
    engine.copyFiles(lb, Map.of(HaproxyConf.PATH, FileContent.of("listen rw\n    server t-2 pgherd-t-2:5432 check\n",
        0644)));

    assertThat(HaproxyConf.parseStat(engine.exec(lb, "sh", "-c", "echo '" + HaproxyConf.SHOW_STAT + "' | socat -t 2 stdio unix-connect:/run/haproxy/admin.sock")).get("rw"))
        .singleElement().satisfies(s -> assertThat(s[0]).isEqualTo("t-1"));
    engine.signal(lb, "SIGUSR2");
    assertThat(HaproxyConf.parseStat(engine.exec(lb, "sh", "-c", "echo '" + HaproxyConf.SHOW_STAT + "' | socat -t 2 stdio unix-connect:/run/haproxy/admin.sock")).get("rw"))
        .singleElement().satisfies(s -> assertThat(s[0]).isEqualTo("t-2"));
  }
}
