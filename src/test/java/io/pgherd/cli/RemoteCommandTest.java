package io.pgherd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgherd.swarm.RemoteCli;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RemoteCommandTest {
  @TempDir Path dir;

  @Test
  void onlyTheClusterCommandsTravelAndOnlyWhenTheSwarmIsAskedFor() {
    Map<String, String> swarm = Map.of("PGHERD_RUNTIME", "Swarm");
    RemoteCommand.Route local = RemoteCommand.Route.LOCAL;
    assertThat(RemoteCommand.route(new String[] {"apply", "-f", "x.yaml"}, swarm)).isEqualTo(RemoteCommand.Route.FORWARD);
    assertThat(RemoteCommand.route(new String[] {"status", "demo"}, swarm)).isEqualTo(RemoteCommand.Route.FORWARD);
    assertThat(RemoteCommand.route(new String[] {"status", "demo"}, Map.of()))
        .as("auto: the Swarm's operator when DOCKER_HOST is a manager that has one").isEqualTo(RemoteCommand.Route.IF_SWARM_OPERATOR);
    assertThat(RemoteCommand.route(new String[] {"get"}, Map.of("PGHERD_RUNTIME", "auto")))
        .isEqualTo(RemoteCommand.Route.IF_SWARM_OPERATOR);
    assertThat(RemoteCommand.route(new String[] {"status", "demo"}, Map.of("PGHERD_RUNTIME", "docker"))).isEqualTo(local);
    assertThat(RemoteCommand.route(new String[] {"status", "demo"}, Map.of(RemoteCommand.SERVED_ENV, "1")))
        .as("the operator's own child process").isEqualTo(local);
    assertThat(RemoteCommand.route(new String[] {"operator"}, swarm)).as("the operator runs here").isEqualTo(local);
    assertThat(RemoteCommand.route(new String[] {"psql", "demo"}, swarm)).as("interactive").isEqualTo(local);
    assertThat(RemoteCommand.route(new String[] {"apply", "--help"}, swarm)).isEqualTo(local);
    assertThat(RemoteCommand.route(new String[] {}, swarm)).isEqualTo(local);
  }

  @Test
  void aSpecFileTravelsWithTheRequestUnderAPlaceholder() throws Exception {
    Path spec = dir.resolve("demo.yaml");
    Files.writeString(spec, "kind: PostgresCluster\n");
    RemoteCli.Request r = RemoteCommand.request(new String[] {"apply", "-f", spec.toString(), "--wait"});
    assertThat(r.args()).containsExactly("apply", "-f", RemoteCommand.FILE + "0", "--wait");
    assertThat(new String(RemoteCli.decode(r.files().get("0")), StandardCharsets.UTF_8)).isEqualTo("kind: PostgresCluster\n");
    assertThat(RemoteCommand.request(new String[] {"apply", "--filename=" + spec}).args())
        .containsExactly("apply", "-f", RemoteCommand.FILE + "0");
    assertThat(RemoteCommand.request(new String[] {"logs", "demo", "--tail", "5"}).files()).isEmpty();
  }

  @Test
  void whatCannotTravelIsRefusedByName() {
    assertThatThrownBy(() -> RemoteCommand.request(new String[] {"apply", "-f", dir.resolve("none.yaml").toString()}))
        .hasMessageContaining("cannot read");
    assertThatThrownBy(() -> RemoteCommand.request(new String[] {"apply", "-f", "-"})).hasMessageContaining("standard input");
  }

  @Test
  void watchingAndFollowingAskTheOneShotCommandAgainFromHere() {
    assertThat(RemoteCommand.request(new String[] {"status", "demo", "-w", "--interval", "0.5"}).args())
        .containsExactly("status", "demo", "--interval", "0.5");
    assertThat(RemoteCommand.request(new String[] {"logs", "demo", "--follow"}).args()).containsExactly("logs", "demo");
    assertThat(RemoteCommand.interval(new String[] {"status", "demo", "-w", "--interval", "0.5"})).isEqualTo(0.5);
    assertThat(RemoteCommand.interval(new String[] {"status", "demo", "-w", "--interval=7"})).isEqualTo(7);
    assertThat(RemoteCommand.interval(new String[] {"status", "demo", "-w"})).isEqualTo(2);
    assertThat(RemoteCommand.interval(new String[] {"logs", "demo", "-f"})).isEqualTo(1);
    assertThat(RemoteCommand.repeats("apply", "-f")).as("apply's -f is a file").isFalse();
  }

  @Test
  void followingPrintsOnlyTheNewLinesEvenWhenAnotherOperatorsLogReplacedIt() {
    List<String> before = List.of("a", "b", "");
    assertThat(RemoteCommand.newFrom(List.of(), List.of("a", ""))).isZero();
    assertThat(RemoteCommand.newFrom(before, List.of("a", "b", "c", ""))).isEqualTo(2);
    assertThat(RemoteCommand.newFrom(before, List.of("a", "b", ""))).isEqualTo(2);
    // rescheduled: the new operator's log, which has the last line printed: what follows it
    assertThat(RemoteCommand.newFrom(before, List.of("x", "b", "y", ""))).isEqualTo(2);
    // nothing printed is there: all of it
    assertThat(RemoteCommand.newFrom(before, List.of("x", "y", ""))).isZero();
  }

  @Test
  void theOperatorRunsOnlyTheCommandsThatTravel() {
    RemoteCli.Answer a = RemoteCommand.runHere(new RemoteCli.Request(List.of("operator", "undeploy"), Map.of()));
    assertThat(a.exitCode()).isEqualTo(2);
    assertThat(a.output()).contains("not a command that travels");
    assertThat(RemoteCommand.runHere(new RemoteCli.Request(List.of("apply", "-f", RemoteCommand.FILE + "3"), Map.of()))
        .output()).contains("names a file it does not carry");
  }

  @Test
  void autoKeepsTheCommandsOfAHomeWithClustersOnThisMachine() throws Exception {
    Path empty = dir.resolve("empty-home");
    assertThat(RemoteCommand.localHomeIsEmpty(Map.of("PGHERD_HOME", empty.toString()))).as("no such directory").isTrue();
    Files.createDirectories(empty.resolve("clusters"));
    assertThat(RemoteCommand.localHomeIsEmpty(Map.of("PGHERD_HOME", empty.toString()))).isTrue();
    Files.writeString(empty.resolve("clusters/demo.yaml"), "kind: PostgresCluster\n");
    assertThat(RemoteCommand.localHomeIsEmpty(Map.of("PGHERD_HOME", empty.toString())))
        .as("an operator runs its clusters here").isFalse();
    // a home named on the command line is that home's: no engine is asked
    assertThat(RemoteCommand.swarmOperatorAnswers(new String[] {"get", "--home", empty.toString()}, Map.of())).isFalse();
    assertThat(RemoteCommand.swarmOperatorAnswers(new String[] {"get"}, Map.of("PGHERD_HOME", empty.toString()))).isFalse();
  }
}
