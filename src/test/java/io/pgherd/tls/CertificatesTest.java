package io.pgherd.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;

class CertificatesTest {
  static final Instant NOW = Instant.parse("2026-11-26T00:00:00Z");
  static final List<String> NAMES = List.of("pgherd-demo-1", "pgherd-demo-lb", "localhost", "127.0.0.1", "db.example.test");

  @Test
  void aServerCertificateIsSignedByTheClusterCaForExactlyItsNames() throws Exception {
    Certificates.Pair ca = Certificates.authority("demo", NOW, ClusterTls.CA_VALIDITY);
    X509Certificate caCert = ca.certificate();
    assertThat(caCert.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    assertThat(caCert.getSubjectX500Principal().getName()).contains("CN=pgherd demo CA");
    caCert.verify(caCert.getPublicKey());

    Certificates.Pair server = Certificates.server(ca, "pgherd-demo-1", NAMES, NOW, Duration.ofDays(90));
    X509Certificate cert = server.certificate();
    cert.verify(caCert.getPublicKey());
    assertThat(cert.getBasicConstraints()).isEqualTo(-1);
    assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1"); // serverAuth
    assertThat(cert.getSubjectX500Principal().getName()).contains("CN=pgherd-demo-1");
    assertThat(Certificates.altNames(cert)).containsExactlyInAnyOrder(
        "pgherd-demo-1", "pgherd-demo-lb", "localhost", "127.0.0.1", "db.example.test");
    // the IP address is an IP SAN (type 7), not a DNS name: verify-full to 127.0.0.1 needs that
    assertThat(cert.getSubjectAlternativeNames()).anySatisfy(san -> {
      assertThat(san.get(0)).isEqualTo(7);
      assertThat(san.get(1)).isEqualTo("127.0.0.1");
    });
    assertThat(cert.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(90)));
    assertThat(cert.getNotBefore().toInstant()).isBefore(NOW);
    assertThat(server.key().getAlgorithm()).isEqualTo("EC");
    assertThat(server.keyPem()).startsWith("-----BEGIN PRIVATE KEY-----\n");
    assertThat(server.toString()).doesNotContain("PRIVATE");
    assertThat(Certificates.renewalReason(cert, caCert, NAMES, NOW, Duration.ofDays(90), Duration.ofDays(7))).isEmpty();
  }

  @Test
  void renewalIsDueForOtherNamesAnotherCaExpiryWithinRenewBeforeOrAShorterPolicy() {
    Certificates.Pair ca = Certificates.authority("demo", NOW, ClusterTls.CA_VALIDITY);
    X509Certificate cert = Certificates.server(ca, "pgherd-demo-1", NAMES, NOW, Duration.ofDays(90)).certificate();
    Duration validity = Duration.ofDays(90);
    Duration renew = Duration.ofDays(7);
    assertThat(Certificates.renewalReason(cert, ca.certificate(), List.of("pgherd-demo-1", "localhost"), NOW, validity, renew))
        .get().asString().contains("names changed").contains("removed [127.0.0.1, db.example.test, pgherd-demo-lb]");
    X509Certificate otherCa = Certificates.authority("demo", NOW, ClusterTls.CA_VALIDITY).certificate();
    assertThat(Certificates.renewalReason(cert, otherCa, NAMES, NOW, validity, renew)).get().asString()
        .contains("not signed by the cluster's CA");
    assertThat(Certificates.renewalReason(cert, ca.certificate(), NAMES, NOW.plus(Duration.ofDays(83)), validity, renew))
        .get().asString().contains("within renewBefore");
    assertThat(Certificates.renewalReason(cert, ca.certificate(), NAMES, NOW.plus(Duration.ofDays(82)), validity, renew))
        .isEmpty();
    assertThat(Certificates.renewalReason(cert, ca.certificate(), NAMES, NOW, Duration.ofHours(1), Duration.ofMinutes(10)))
        .get().asString().contains("longer than certificateValidity");
  }

  @Test
  void aServerCertificateNeverOutlivesItsCa() {
    Certificates.Pair ca = Certificates.authority("demo", NOW, Duration.ofDays(30));
    X509Certificate cert = Certificates.server(ca, "pgherd-demo-1", NAMES, NOW, Duration.ofDays(90)).certificate();
    assertThat(cert.getNotAfter()).isEqualTo(ca.certificate().getNotAfter());
    assertThat(Certificates.renewalReason(cert, ca.certificate(), NAMES, NOW, Duration.ofDays(90), Duration.ofDays(7)))
        .isEmpty();
  }

  @Test
  void pemThatIsNotACertificateOrKeyIsRefusedWithTheReason() {
    assertThatThrownBy(() -> Certificates.parseCertificate("garbage")).hasMessageContaining("no PEM CERTIFICATE block");
    assertThatThrownBy(() -> Certificates.parseKey("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
        .hasMessageContaining("not a PKCS#8");
  }

  @Test
  void aClientCertificateIsSignedByTheCaForClientAuthenticationOnlyWithoutNames() throws Exception {
    Certificates.Pair ca = Certificates.authority("demo", NOW, ClusterTls.CA_VALIDITY);
    Certificates.Pair client = Certificates.client(ca, "pgherd-operator", NOW, Duration.ofDays(90));
    X509Certificate cert = client.certificate();
    cert.verify(ca.certificate().getPublicKey());
    assertThat(cert.getSubjectX500Principal().getName()).contains("CN=pgherd-operator");
    assertThat(cert.getBasicConstraints()).isEqualTo(-1);
    assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2"); // clientAuth
    assertThat(cert.getKeyUsage()[0]).as("digitalSignature").isTrue();
    assertThat(cert.getSubjectAlternativeNames()).isNull();
    assertThat(cert.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(90)));
    assertThat(Certificates.matches(cert, client.key())).isTrue();
    assertThat(Certificates.renewalReason(cert, ca.certificate(), List.of(), NOW, Duration.ofDays(90),
        Duration.ofDays(7))).isEmpty();
  }

  @Test
  void theClientCertificateIsNoServerCertificateAndTheServerCertificateNoClientCertificate() throws Exception {
    Instant now = Instant.now(); // the JDK's PKIX checks validity against the real clock
    Certificates.Pair ca = Certificates.authority("demo", now, ClusterTls.CA_VALIDITY);
    X509Certificate client = Certificates.client(ca, "pgherd-operator", now, Duration.ofDays(90)).certificate();
    X509Certificate server = Certificates.server(ca, "pgherd-demo-1", NAMES, now, Duration.ofDays(90)).certificate();
    X509TrustManager pkix = trusting(ca.certificate());
    pkix.checkClientTrusted(new X509Certificate[] {client}, "EC");
    pkix.checkServerTrusted(new X509Certificate[] {server}, "ECDHE_ECDSA");
    assertThatThrownBy(() -> pkix.checkServerTrusted(new X509Certificate[] {client}, "ECDHE_ECDSA"))
        .isInstanceOf(CertificateException.class);
    assertThatThrownBy(() -> pkix.checkClientTrusted(new X509Certificate[] {server}, "EC"))
        .isInstanceOf(CertificateException.class);
  }

  @Test
  void aKeyMatchesOnlyItsOwnCertificate() {
    Certificates.Pair ca = Certificates.authority("demo", NOW, ClusterTls.CA_VALIDITY);
    Certificates.Pair one = Certificates.client(ca, "pgherd-operator", NOW, Duration.ofDays(90));
    Certificates.Pair two = Certificates.client(ca, "pgherd-operator", NOW, Duration.ofDays(90));
    assertThat(Certificates.matches(one.certificate(), one.key())).isTrue();
    assertThat(Certificates.matches(one.certificate(), two.key())).isFalse();
  }

  static X509TrustManager trusting(X509Certificate ca) throws Exception {
    KeyStore anchors = KeyStore.getInstance("PKCS12");
    anchors.load(null, null);
    anchors.setCertificateEntry("ca", ca);
    TrustManagerFactory f = TrustManagerFactory.getInstance("PKIX");
    f.init(anchors);
    return (X509TrustManager) f.getTrustManagers()[0];
  }
}
