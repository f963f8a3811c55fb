package io.pgherd.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfTest {
  @Test
  void parsesPeersAndTheTimeout() {
    AgentConf.Settings s = AgentConf.parse(List.of("# from the operator", "peers = pgherd-a-2, pgherd-a-3,",
        "isolation_timeout_ms=10000", ""));
    assertThat(s.peers()).containsExactly("pgherd-a-2", "pgherd-a-3");
    assertThat(s.isolationTimeoutMillis()).isEqualTo(10_000);
    assertThat(AgentConf.parse(List.of("peers="))).isEqualTo(new AgentConf.Settings(List.of(), 0));
  }

  @Test
  void refusesWhatItDoesNotKnow() {
    assertThatThrownBy(() -> AgentConf.parse(List.of("peers=a;rm -rf /"))).hasMessage("peers: 'a;rm -rf /' is not a host name");
    assertThatThrownBy(() -> AgentConf.parse(List.of("isolation_timeout_ms=10s")))
        .hasMessage("isolation_timeout_ms: '10s' is not a number of milliseconds");
    assertThatThrownBy(() -> AgentConf.parse(List.of("fence=now"))).hasMessage("unknown setting fence");
    assertThatThrownBy(() -> AgentConf.parse(List.of("peers"))).hasMessage("not key=value: peers");
  }

  @Test
  void readsTheFileAgainWhenItChangesAndKeepsTheLastGoodSettingsOverABadOne(@TempDir Path dir) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Log log = new Log(new PrintStream(out, true, StandardCharsets.UTF_8));
    Path file = dir.resolve("agent.conf");
    AgentConf conf = new AgentConf(file);
    assertThat(conf.current(log)).isEqualTo(AgentConf.Settings.NONE);
    Files.writeString(file, "peers=m2\nisolation_timeout_ms=5000\n");
    Files.setLastModifiedTime(file, FileTime.from(Instant.parse("2026-01-01T00:00:00Z")));
    assertThat(conf.current(log).peers()).containsExactly("m2");
    Files.writeString(file, "peers=m2,m3\nisolation_timeout_ms=oops\n");
    Files.setLastModifiedTime(file, FileTime.from(Instant.parse("2026-01-01T00:00:01Z")));
    assertThat(conf.current(log)).isEqualTo(new AgentConf.Settings(List.of("m2"), 5000));
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("cannot be used, keeping the settings before it");
    Files.delete(file);
    assertThat(conf.current(log)).isEqualTo(AgentConf.Settings.NONE);
  }
}
