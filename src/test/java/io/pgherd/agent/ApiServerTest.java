package io.pgherd.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgherd.postgres.AgentException;
import io.pgherd.postgres.AgentGateway;
import io.pgherd.postgres.AgentStatus;
import io.pgherd.postgres.MemberAgent;
import io.pgherd.runtime.ContainerSpec.FileContent;
import io.pgherd.tls.AgentCredentials;
import io.pgherd.tls.Certificates;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's API server (real TLS in this process) against the operator's own client,
 * {@link AgentGateway}: the two halves of the mutual TLS, the status JSON, the refusals, and a
 * renewed certificate served without a restart.
 */
class ApiServerTest {
  private static final Instant NOW = Instant.now();
  private static final Duration DAY = Duration.ofDays(1);
  private static final Certificates.Pair CA = Certificates.authority("demo", NOW, Duration.ofDays(3650));
  private static final Certificates.Pair OPERATOR = Certificates.client(CA, "pgherd-operator", NOW, DAY);

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final Log log = new Log(new PrintStream(out, true, StandardCharsets.UTF_8));
  private final AtomicLong clock = new AtomicLong(1000);
  private ApiServer api;

  @AfterEach
  void stop() {
    if (api != null) {
      api.close();
    }
  }

  private ApiServer start(Path dir, Certificates.Pair server) throws Exception {
    write(dir, server);
    Files.writeString(dir.resolve("ca.crt"), CA.certificatePem());
    api = new ApiServer(0, Credentials.serverContext(dir.resolve("ca.crt"), dir.resolve("agent.crt"),
        dir.resolve("agent.key"), log), clock::get, log);
    Map<String, Object> probe = new LinkedHashMap<>();
    probe.put("inRecovery", false);
    probe.put("lsn", "0/3000060");
    probe.put("replayLsn", "0/3000060");
    probe.put("timeline", 1);
    probe.put("slots", List.of());
    probe.put("replication", List.of());
    probe.put("pendingRestart", List.of());
    probe.put("baseBackups", List.of());
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("member", "demo-1");
    status.put("agentPid", 57);
    status.put("postmaster", Map.of("pid", 60, "running", true));
    status.put("role", "primary");
    status.put("stateAgeMillis", 12);
    status.put("probe", probe);
    status.put("pgControl", null);
    api.on("GET /v1/status", req -> new Health.Answer(200, Json.write(status)));
    api.start();
    return api;
  }

  private static void write(Path dir, Certificates.Pair server) throws Exception {
    Files.writeString(dir.resolve("agent.crt"), server.certificatePem());
    Files.writeString(dir.resolve("agent.key"), server.keyPem());
  }

  private static Certificates.Pair serverCert(String container) {
    return Certificates.server(CA, container, AgentCredentials.names(container), NOW, DAY);
  }

  private AgentGateway client(Certificates.Pair ca, Certificates.Pair client) {
    return new AgentGateway("demo-1", "127.0.0.1", api.port(),
        new MemberAgent.Credentials(ca.certificate(), client.certificate(), client.key()));
  }

  @Test
  void theOperatorsClientReadsTheStatusAndItsCallsAreWordFromTheOperator(@TempDir Path dir) throws Exception {
    start(dir, serverCert("pgherd-demo-1"));
    clock.set(5000);
    AgentStatus s = client(CA, OPERATOR).status();
    assertThat(s.member()).isEqualTo("demo-1");
    assertThat(s.probe()).hasValueSatisfying(p -> assertThat(p.lsn()).isEqualTo("0/3000060"));
    assertThat(api.lastOperatorCall()).isEqualTo(5000);
  }

  @Test
  void otherClientsAreRefusedAndAreNoWordFromTheOperator(@TempDir Path dir) throws Exception {
    start(dir, serverCert("pgherd-demo-1"));
    clock.set(9000);
    Certificates.Pair otherCa = Certificates.authority("other", NOW, DAY);
    Certificates.Pair foreign = Certificates.client(otherCa, "pgherd-operator", NOW, DAY);
    assertThatThrownBy(() -> new AgentGateway("demo-1", "127.0.0.1", api.port(), new MemberAgent.Credentials(
        CA.certificate(), foreign.certificate(), foreign.key())).status()).isInstanceOf(AgentException.class);
    assertThatThrownBy(() -> client(CA, Certificates.client(CA, "someone-else", NOW, DAY)).status())
        .isInstanceOf(AgentException.class).hasMessageContaining("403");
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("client certificate CN 'someone-else' is not pgherd-operator");
    assertThat(api.lastOperatorCall()).as("since the server started").isEqualTo(1000);
  }

  @Test
  void filesPutByTheOperatorAreWrittenAndAPathOutsideIsRefused(@TempDir Path dir) throws Exception {
    start(dir, serverCert("pgherd-demo-1"));
    Path etc = Files.createDirectory(dir.resolve("etc"));
    FileDrop drop = new FileDrop(etc);
    api.on("PUT /v1/files", req -> {
      drop.write(drop.parse(req.body()));
      return new Health.Answer(200, "{}");
    });
    Map<String, FileContent> files = new LinkedHashMap<>();
    files.put(etc + "/postgresql.conf", FileContent.of("work_mem = '8MB'\n", 0644));
    files.put(etc + "/agent/agent.key", FileContent.of("key", 0600));
    client(CA, OPERATOR).putFiles(files);
    assertThat(Files.readString(etc.resolve("postgresql.conf"))).isEqualTo("work_mem = '8MB'\n");
    assertThat(Files.readString(etc.resolve("agent/agent.key"))).isEqualTo("key");
    assertThatThrownBy(() -> client(CA, OPERATOR).putFiles(Map.of("/etc/passwd", FileContent.of("x", 0644))))
        .isInstanceOf(AgentException.class).hasMessageContaining("HTTP 400").hasMessageContaining("is not under");
    assertThat(dir.resolve("passwd")).doesNotExist();
  }

  @Test
  void aRenewedCertificateIsServedWithoutARestart(@TempDir Path dir) throws Exception {
    start(dir, serverCert("pgherd-demo-2")); // the wrong member's: the operator refuses it
    assertThatThrownBy(() -> client(CA, OPERATOR).status()).isInstanceOf(AgentException.class);
    write(dir, serverCert("pgherd-demo-1"));
    Files.setLastModifiedTime(dir.resolve("agent.crt"), FileTime.from(NOW.plusSeconds(5)));
    Files.setLastModifiedTime(dir.resolve("agent.key"), FileTime.from(NOW.plusSeconds(5)));
    assertThat(client(CA, OPERATOR).status().member()).isEqualTo("demo-1");
  }
}
