package io.pgherd.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.store.Home;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentCredentialsTest {
  static final Instant NOW = Instant.parse("2026-11-26T00:00:00Z");

  private static AgentCredentials credentials(Home home) {
    return new AgentCredentials(home, "demo", new ClusterTls(home, "demo"));
  }

  @Test
  void anAgentsServerCertificateCarriesItsContainerNameAndLoopbackSignedByTheClusterCa(@TempDir Path dir)
      throws Exception {
    Home home = new Home(dir);
    AgentCredentials agent = credentials(home);
    ClusterTls.Issued issued = agent.server("demo-1", "pgherd-demo-1", NOW);
    assertThat(issued.reason()).contains("first certificate");
    X509Certificate cert = issued.pair().certificate();
    X509Certificate ca = new ClusterTls(home, "demo").authority(NOW).certificate();
    cert.verify(ca.getPublicKey());
    assertThat(cert.getSubjectX500Principal().getName()).contains("CN=pgherd-demo-1");
    assertThat(Certificates.altNames(cert)).containsExactlyInAnyOrder("pgherd-demo-1", "localhost", "127.0.0.1");
    assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1"); // serverAuth
    assertThat(cert.getNotAfter().toInstant()).isEqualTo(NOW.plus(AgentCredentials.VALIDITY));
    assertThat(home.secrets().readSecretFile("demo", "agent-demo-1.crt")).contains(issued.pair().certificatePem());
    assertThat(home.secrets().readSecretFile("demo", "agent-demo-1.key")).contains(issued.pair().keyPem());
    // and independent of spec.tls: no tls-demo-1 certificate, TLS not enforced
    assertThat(home.secrets().readSecretFile("demo", "tls-demo-1.crt")).isEmpty();
    assertThat(new ClusterTls(home, "demo").enforced()).isFalse();

    ClusterTls.Issued again = agent.server("demo-1", "pgherd-demo-1", NOW.plus(Duration.ofDays(1)));
    assertThat(again.reason()).isEmpty();
    assertThat(again.pair()).isEqualTo(issued.pair());
  }

  @Test
  void anAgentsCertificateIsIssuedAgainForOtherNamesNearExpiryOrAKeyThatIsNotItsOwn(@TempDir Path dir) {
    Home home = new Home(dir);
    AgentCredentials agent = credentials(home);
    ClusterTls.Issued first = agent.server("demo-1", "pgherd-demo-1", NOW);

    ClusterTls.Issued renamed = agent.server("demo-1", "pgherd-other-1", NOW);
    assertThat(renamed.reason()).get().asString().contains("names changed").contains("added [pgherd-other-1]")
        .contains("removed [pgherd-demo-1]");
    assertThat(Certificates.altNames(renamed.pair().certificate())).contains("pgherd-other-1");

    Instant nearExpiry = NOW.plus(AgentCredentials.VALIDITY).minus(AgentCredentials.RENEW_BEFORE);
    ClusterTls.Issued renewed = agent.server("demo-1", "pgherd-other-1", nearExpiry);
    assertThat(renewed.reason()).get().asString().contains("within renewBefore");
    assertThat(renewed.pair().certificate().getNotAfter().toInstant())
        .isEqualTo(nearExpiry.plus(AgentCredentials.VALIDITY));

    // another process wrote its key between our certificate and key: issued again, never served mismatched
    home.secrets().writeSecretFile("demo", "agent-demo-1.key", first.pair().keyPem());
    ClusterTls.Issued mismatched = agent.server("demo-1", "pgherd-other-1", nearExpiry);
    assertThat(mismatched.reason()).contains("the stored key is not the certificate's");
    assertThat(Certificates.matches(mismatched.pair().certificate(), mismatched.pair().key())).isTrue();
  }

  @Test
  void theOperatorsClientCertificateIsKeptUntilItIsDueAndStoredApart(@TempDir Path dir) throws Exception {
    Home home = new Home(dir);
    AgentCredentials agent = credentials(home);
    ClusterTls.Issued client = agent.client(NOW);
    assertThat(client.reason()).contains("first certificate");
    X509Certificate cert = client.pair().certificate();
    cert.verify(agent.authority(NOW).certificate().getPublicKey());
    assertThat(cert.getSubjectX500Principal().getName()).contains("CN=pgherd-operator");
    assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2"); // clientAuth
    assertThat(home.secrets().readSecretFile("demo", "agent-client.crt")).contains(client.pair().certificatePem());
    assertThat(home.secrets().readSecretFile("demo", "agent-client.key")).contains(client.pair().keyPem());

    assertThat(agent.client(NOW.plus(Duration.ofDays(30))).reason()).isEmpty();
    ClusterTls.Issued renewed = agent.client(NOW.plus(AgentCredentials.VALIDITY).minus(Duration.ofHours(1)));
    assertThat(renewed.reason()).get().asString().contains("within renewBefore");
    assertThat(renewed.pair().certificatePem()).isNotEqualTo(client.pair().certificatePem());
    assertThat(agent.toString()).doesNotContain("PRIVATE");
  }
}
