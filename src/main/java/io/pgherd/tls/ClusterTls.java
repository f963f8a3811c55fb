package io.pgherd.tls;

import io.pgherd.api.ClusterConfig;
import io.pgherd.model.PostgresConf;
import io.pgherd.store.Home;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One cluster's TLS material in the home, next to its passwords (0600 in a 0700 directory): the CA
 * ({@code tls-ca.crt}, {@code tls-ca.key}), one server certificate and key per member
 * ({@code tls-MEMBER.crt}, {@code tls-MEMBER.key}) and the marker {@code tls-enforced}, present
 * once every member serves TLS and connections without it are refused.
 *
 * <p>The CA is made once and kept (ten years), also across {@code delete} without {@code --purge},
 * so clients that trust it keep working. Server certificates are issued on first use and again
 * when their names change or their expiry comes within {@code renewBefore}.
 */
public final class ClusterTls {
  public static final String CA_CERT = "tls-ca.crt";
  static final String CA_KEY = "tls-ca.key";
  static final String ENFORCED = "tls-enforced";
  public static final Duration CA_VALIDITY = Duration.ofHours(87600);

  /**
   * Where a member finds its files (the paths are model's, {@link PostgresConf}, which renders
   * postgresql.conf with them); the key is owned by postgres (uid 999 in pgherd/postgres).
   */
  public static final String DIR = PostgresConf.TLS_DIR;
  public static final String CA_PATH = PostgresConf.TLS_CA_PATH;
  public static final String CERT_PATH = PostgresConf.TLS_CERT_PATH;
  public static final String KEY_PATH = PostgresConf.TLS_KEY_PATH;
  public static final int POSTGRES_UID = 999;

  private final Home home;
  private final String cluster;

  public ClusterTls(Home home, String cluster) {
    this.home = home;
    this.cluster = cluster;
  }

  /** A member's certificate, and why it was just issued (empty when the stored one was kept). */
  public record Issued(Certificates.Pair pair, Optional<String> reason) {}

  /** Whether connections without TLS are refused (every member serves TLS). */
  public boolean enforced() {
    return home.secrets().readSecretFile(cluster, ENFORCED).isPresent();
  }

  public void enforced(boolean on) {
    if (on) {
      home.secrets().writeSecretFile(cluster, ENFORCED, "every member serves TLS; connections without it are refused\n");
    } else {
      home.secrets().deleteSecretFile(cluster, ENFORCED);
    }
  }

  /** The CA certificate clients verify the members with (sslrootcert). */
  public Path caFile() {
    return home.secretsDir(cluster).resolve(CA_CERT);
  }

  /** The CA file when TLS is enforced: what the operator's own connections and pgherd psql verify against. */
  public Optional<Path> rootCertificateIfEnforced() {
    return enforced() ? Optional.of(caFile()) : Optional.empty();
  }

  /** The cluster's CA, made on first use. */
  public synchronized Certificates.Pair authority(Instant now) {
    Optional<String> cert = home.secrets().readSecretFile(cluster, CA_CERT);
    Optional<String> key = home.secrets().readSecretFile(cluster, CA_KEY);
    if (cert.isPresent() && key.isPresent()) {
      return new Certificates.Pair(cert.get(), key.get());
    }
    Certificates.Pair ca = Certificates.authority(cluster, now, CA_VALIDITY);
    home.secrets().writeSecretFile(cluster, CA_KEY, ca.keyPem()); // the key first: a certificate without it is useless
    home.secrets().writeSecretFile(cluster, CA_CERT, ca.certificatePem());
    return ca;
  }

  /** The member's server certificate for names, issued again when it no longer fits them or the policy. */
  public synchronized Issued server(String member, List<String> names, Instant now, ClusterConfig.Tls policy) {
    Certificates.Pair ca = authority(now);
    Optional<String> cert = home.secrets().readSecretFile(cluster, "tls-" + member + ".crt");
    Optional<String> key = home.secrets().readSecretFile(cluster, "tls-" + member + ".key");
    String reason = "first certificate";
    if (cert.isPresent() && key.isPresent()) {
      Optional<String> why = Certificates.renewalReason(Certificates.parseCertificate(cert.get()), ca.certificate(),
          names, now, policy.validity(), policy.renewBefore());
      if (why.isEmpty()) {
        return new Issued(new Certificates.Pair(cert.get(), key.get()), Optional.empty());
      }
      reason = why.get();
    }
    Certificates.Pair issued = Certificates.server(ca, names.get(0), names, now, policy.validity());
    home.secrets().writeSecretFile(cluster, "tls-" + member + ".key", issued.keyPem());
    home.secrets().writeSecretFile(cluster, "tls-" + member + ".crt", issued.certificatePem());
    return new Issued(issued, Optional.of(reason));
  }

  /** When the member's stored server certificate expires; empty when it has none. */
  public Optional<Instant> expiry(String member) {
    return home.secrets().readSecretFile(cluster, "tls-" + member + ".crt")
        .map(pem -> Certificates.parseCertificate(pem).getNotAfter().toInstant());
  }

  /**
   * The names a member's certificate carries: its container name (the common name; how the other
   * members and an operator on the cluster network reach it), the load balancer's container name,
   * localhost and 127.0.0.1 (how clients on the host reach the load balancer and the operator the
   * published port), the bind address when it is a specific one, and spec.tls.altNames.
   */
  public static List<String> names(ClusterConfig cfg, String memberContainer, String lbContainer) {
    Set<String> names = new LinkedHashSet<>();
    names.add(memberContainer);
    names.add(lbContainer);
    names.add("localhost");
    names.add("127.0.0.1");
    if (!cfg.bindAddress().equals("0.0.0.0")) {
      names.add(cfg.bindAddress());
    }
    names.addAll(cfg.tls().altNames());
    return List.copyOf(names);
  }
}
