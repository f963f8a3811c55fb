package io.pgherd.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class AgentStatusTest {
  /** The example of the agent's API, with a field this operator does not know. */
  static final String PRIMARY = """
      {
        "member": "demo-1",
        "agentPid": 57,
        "postmaster": {"pid": 60, "running": true, "startedAt": "later"},
        "role": "primary",
        "stateAgeMillis": 120,
        "probe": {
          "inRecovery": false, "lsn": "0/3000060", "replayLsn": "0/3000060", "timeline": 1,
          "receiverStatus": null, "senderHost": null,
          "slots": [{"name": "demo_2", "active": true, "restartLsn": "0/3000000", "walStatus": "reserved"},
                    {"name": "demo_3", "active": false, "restartLsn": null, "walStatus": "lost"}],
          "replication": [{"applicationName": "demo-2", "state": "streaming", "syncState": "async",
                           "replayLsn": "0/3000060", "lagBytes": 0, "flushLsn": "0/3000060"}],
          "pendingRestart": [],
          "baseBackups": [{"applicationName": "x", "phase": "streaming database files", "streamed": 123, "total": 456}],
          "somethingNew": {"a": 1}
        },
        "probeError": null,
        "pgControl": "%s",
        "version": 2
      }
      """;

  static byte[] json(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void theStatusOfAPrimaryIsReadIntoAProbeLikeTheSqlOneIgnoringUnknownFields() {
    byte[] control = {1, 2, 3, (byte) 0xff};
    AgentStatus s = AgentStatus.parse(json(PRIMARY.formatted(Base64.getEncoder().encodeToString(control))));
    assertThat(s.member()).isEqualTo("demo-1");
    assertThat(s.agentPid()).isEqualTo(57);
    assertThat(s.postmasterPid()).contains(60L);
    assertThat(s.postmasterRunning()).isTrue();
    assertThat(s.role()).isEqualTo("primary");
    assertThat(s.stateAgeMillis()).isEqualTo(120);
    assertThat(s.probeError()).isEmpty();
    assertThat(s.pgControl()).get().isEqualTo(control);
    assertThat(s.probe()).contains(new InstanceProbe(false, "0/3000060", "0/3000060", 1, null, null,
        List.of(new InstanceProbe.Slot("demo_2", true, "0/3000000", "reserved"),
            new InstanceProbe.Slot("demo_3", false, null, "lost")),
        List.of(new InstanceProbe.Standby("demo-2", "streaming", "async", "0/3000060", 0L)),
        List.of(),
        List.of(new InstanceProbe.BaseBackup("x", "streaming database files", 123, 456L))));
    assertThat(s.toString()).contains("pgControl=4 bytes");
  }

  @Test
  void aStatusWithoutAProbeCarriesWhyAndMissingListsAreEmpty() {
    AgentStatus down = AgentStatus.parse(json("""
        {"member": "demo-2", "agentPid": 57, "postmaster": {"pid": null, "running": false}, "role": "unavailable",
         "stateAgeMillis": 5, "probe": null, "probeError": "connection to server on socket failed", "pgControl": null}
        """));
    assertThat(down.probe()).isEmpty();
    assertThat(down.probeError()).contains("connection to server on socket failed");
    assertThat(down.postmasterRunning()).isFalse();
    assertThat(down.postmasterPid()).isEmpty();
    assertThat(down.pgControl()).isEmpty();

    AgentStatus replica = AgentStatus.parse(json("""
        {"member": "demo-2", "postmaster": {"running": true}, "role": "replica",
         "probe": {"inRecovery": true, "lsn": "0/5000000", "timeline": 2, "receiverStatus": "streaming",
                   "senderHost": "pgherd-demo-1"}}
        """));
    InstanceProbe p = replica.probe().orElseThrow();
    assertThat(p.inRecovery()).isTrue();
    assertThat(p.replayLsn()).isEqualTo("0/5000000");
    assertThat(p.slots()).isEmpty();
    assertThat(p.replication()).isEmpty();
    assertThat(p.pendingRestart()).isEmpty();
    assertThat(p.baseBackups()).isEmpty();

    AgentStatus neither = AgentStatus.parse(json("""
        {"member": "demo-2", "postmaster": {"running": true}, "role": "unavailable"}
        """));
    assertThat(neither.probeError()).get().asString().contains("neither a probe nor why");
  }

  @Test
  void anAnswerMissingWhatTheOperatorReliesOnIsRefusedNeverGuessed() {
    assertThatThrownBy(() -> AgentStatus.parse(json("""
        {"member": "demo-1", "postmaster": {"running": true}, "role": "primary",
         "probe": {"lsn": "0/3000060", "timeline": 1}}
        """))).isInstanceOf(IllegalArgumentException.class).hasMessage("no probe.inRecovery");
    assertThatThrownBy(() -> AgentStatus.parse(json("""
        {"postmaster": {"running": true}, "role": "primary"}
        """))).hasMessage("no member");
    assertThatThrownBy(() -> AgentStatus.parse(json("""
        {"member": "demo-1", "role": "primary"}
        """))).hasMessage("no postmaster");
    assertThatThrownBy(() -> AgentStatus.parse(json("""
        {"member": "demo-1", "postmaster": {"running": "yes"}, "role": "primary"}
        """))).hasMessageStartingWith("not the status JSON");
    assertThatThrownBy(() -> AgentStatus.parse(json("<html>bad gateway</html>")))
        .hasMessageStartingWith("not the status JSON");
    assertThatThrownBy(() -> AgentStatus.parse(json("""
        {"member": "demo-1", "postmaster": {"running": true}, "role": "primary", "probeError": "x", "pgControl": "*!"}
        """))).hasMessageStartingWith("pgControl is not base64");
  }
}
