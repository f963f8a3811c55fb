package io.pgherd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgherd.store.Home;
import io.pgherd.swarm.RemoteCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** psql from any manager of a Swarm: the operator's answer, and the password only this call's key opens. */
class RemotePsqlTest {
  @TempDir Path dir;

  private static KeyPair pair() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    return g.generateKeyPair();
  }

  @Test
  void theAnswerCarriesThePortsAndThePasswordSealedToTheCallersKeyOnly() throws Exception {
    Home home = new Home(dir);
    Path spec = dir.resolve("demo.yaml");
    Files.writeString(spec, String.join("\n", "apiVersion: pgherd.io/v1", "kind: PostgresCluster", "metadata:",
        "  name: demo", "spec:", "  instances: 2", "  loadBalancer:", "    readWritePort: 7432", "    readOnlyPort: 7433", ""));
    ApplyCommand.apply(home, spec, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()),
        new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
    String password = home.secrets().secret("demo", Home.SUPERUSER_PASSWORD);
    KeyPair mine = pair();
    RemoteCli.Answer a = RemotePsql.answer(home, List.of(RemotePsql.REQUEST, "demo",
        Base64.getEncoder().encodeToString(mine.getPublic().getEncoded())));
    assertThat(a.exitCode()).as(a.output()).isZero();
    assertThat(a.output()).doesNotContain(password);
    JsonNode json = new ObjectMapper().readTree(a.output());
    assertThat(json.path("readWritePort").asInt()).isEqualTo(7432);
    assertThat(json.path("readOnlyPort").asInt()).isEqualTo(7433);
    assertThat(json.has("ca")).as("no TLS: no CA").isFalse();
    assertThat(RemotePsql.open(json.path("password").asText(), mine.getPrivate())).isEqualTo(password);
    assertThatThrownBy(() -> RemotePsql.open(json.path("password").asText(), pair().getPrivate()))
        .isInstanceOf(Main.UserError.class).hasMessageContaining("cannot be opened with this call's key");
  }

  @Test
  void anUnknownClusterOrABadRequestIsAnsweredWithTheReason() throws Exception {
    Home home = new Home(dir);
    String key = Base64.getEncoder().encodeToString(pair().getPublic().getEncoded());
    RemoteCli.Answer none = RemotePsql.answer(home, List.of(RemotePsql.REQUEST, "nosuch", key));
    assertThat(none.exitCode()).isEqualTo(2);
    assertThat(none.output()).startsWith("error: no cluster named 'nosuch'");
    assertThat(RemotePsql.answer(home, List.of(RemotePsql.REQUEST, "demo")).output()).contains("names a cluster and a key");
    assertThat(RemotePsql.answer(home, List.of(RemotePsql.REQUEST, "../x", key)).exitCode()).isEqualTo(2);
  }
}
