package io.pgherd.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.model.PostgresConf;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.runtime.ContainerSpec.FileContent;
import io.pgherd.tls.Certificates;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The member agents: their files and port on every member, whether or not spec.tls is on. */
class FakeClusterAgentTest {
  private static final List<String> MEMBERS = List.of("demo-1", "demo-2", "demo-3");

  @Test
  void everyMemberGetsItsAgentsCertificateKeyAndTheClusterCaAndPublishesTheAgentsPortWithoutSpecTls(
      @TempDir Path dir) throws Exception {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.converge();

    X509Certificate ca = Certificates.parseCertificate(scene.home.secrets().readSecretFile("demo", "tls-ca.crt")
        .orElseThrow());
    for (String m : MEMBERS) {
      String c = "pgherd-" + m;
      assertThat(Certificates.parseCertificate(scene.engine.file(c, PostgresConf.AGENT_CA_PATH).orElseThrow()))
          .as(m + "'s agent CA").isEqualTo(ca);
      assertThat(scene.engine.copied(c, PostgresConf.AGENT_CA_PATH).orElseThrow().mode()).isEqualTo(0644);
      FileContent certFile = scene.engine.copied(c, PostgresConf.AGENT_CERT_PATH).orElseThrow();
      assertThat(certFile.mode()).isEqualTo(0644);
      X509Certificate cert = Certificates.parseCertificate(scene.engine.file(c, PostgresConf.AGENT_CERT_PATH)
          .orElseThrow());
      cert.verify(ca.getPublicKey());
      assertThat(cert.getSubjectX500Principal().getName()).contains("CN=" + c);
      assertThat(Certificates.altNames(cert)).containsExactlyInAnyOrder(c, "localhost", "127.0.0.1");
      FileContent key = scene.engine.copied(c, PostgresConf.AGENT_KEY_PATH).orElseThrow();
      assertThat(key.mode()).isEqualTo(0600);
      assertThat(key.owner()).isEqualTo(999);
      assertThat(Certificates.matches(cert, Certificates.parseKey(scene.engine.file(c, PostgresConf.AGENT_KEY_PATH)
          .orElseThrow()))).isTrue();
      ContainerInfo info = scene.engine.container(c).orElseThrow();
      assertThat(info.publishedPorts()).containsKeys(PostgresConf.PORT, PostgresConf.AGENT_PORT);
      // spec.tls is off: PostgreSQL has no certificate
      assertThat(scene.engine.file(c, PostgresConf.TLS_CERT_PATH)).isEmpty();
    }
    assertThat(scene.log().of("issue-agent-certificate")).extracting(e -> e.reason().substring(0, e.reason()
        .indexOf(';'))).containsExactlyInAnyOrder("demo-1: first certificate", "demo-2: first certificate",
        "demo-3: first certificate");
  }
}
