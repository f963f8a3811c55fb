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
    assertThat(RemoteCommand.applies(new String[] {"apply", "-f", "x.yaml"}, swarm)).isTrue();
    assertThat(RemoteCommand.applies(new String[] {"status", "demo"}, swarm)).isTrue();
    assertThat(RemoteCommand.applies(new String[] {"status", "demo"}, Map.of())).isFalse();
    assertThat(RemoteCommand.applies(new String[] {"status", "demo"}, Map.of("PGHERD_RUNTIME", "docker"))).isFalse();
    assertThat(RemoteCommand.applies(new String[] {"operator"}, swarm)).as("the operator runs here").isFalse();
    assertThat(RemoteCommand.applies(new String[] {"psql", "demo"}, swarm)).as("interactive").isFalse();
    assertThat(RemoteCommand.applies(new String[] {"apply", "--help"}, swarm)).isFalse();
    assertThat(RemoteCommand.applies(new String[] {}, swarm)).isFalse();
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
    assertThatThrownBy(() -> RemoteCommand.request(new String[] {"status", "demo", "-w"}))
        .hasMessageContaining("does not travel through the Swarm yet");
    assertThatThrownBy(() -> RemoteCommand.request(new String[] {"logs", "demo", "-f"}))
        .hasMessageContaining("does not travel through the Swarm yet");
  }

  @Test
  void theOperatorRunsOnlyTheCommandsThatTravel() {
    RemoteCli.Answer a = RemoteCommand.runHere(new RemoteCli.Request(List.of("operator", "undeploy"), Map.of()));
    assertThat(a.exitCode()).isEqualTo(2);
    assertThat(a.output()).contains("not a command that travels");
    assertThat(RemoteCommand.runHere(new RemoteCli.Request(List.of("apply", "-f", RemoteCommand.FILE + "3"), Map.of()))
        .output()).contains("names a file it does not carry");
  }
}
