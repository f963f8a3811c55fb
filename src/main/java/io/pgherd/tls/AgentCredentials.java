package io.pgherd.tls;

import io.pgherd.api.ClusterConfig;
import io.pgherd.model.PostgresConf;
import io.pgherd.store.Home;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The certificates of the member agents' API (HTTPS with mutual TLS on {@link PostgresConf#AGENT_PORT}),
 * in the home's secrets beside spec.tls's: a server certificate per member's agent
 * ({@code agent-MEMBER.crt}, {@code agent-MEMBER.key}) and the operator's client certificate
 * ({@code agent-client.crt}, {@code agent-client.key}, subject CN {@link PostgresConf#AGENT_CLIENT_NAME}),
 * all signed by the cluster's CA ({@link ClusterTls#authority}).
 *
 * <p>Independent of spec.tls: always issued, valid for the defaults spec.tls has when it is off
 * ({@link ClusterConfig.Tls#OFF}), issued again when their names change, their expiry comes within
 * renewBefore, they are not signed by the cluster's CA or their key is not theirs (two processes
 * issuing at once).
 */
public final class AgentCredentials {
  static final String CLIENT = "agent-client";
  public static final Duration VALIDITY = ClusterConfig.Tls.OFF.validity();
  public static final Duration RENEW_BEFORE = ClusterConfig.Tls.OFF.renewBefore();

  private final Home home;
  private final String cluster;
  private final ClusterTls tls;

  public AgentCredentials(Home home, String cluster, ClusterTls tls) {
    this.home = home;
    this.cluster = cluster;
    this.tls = tls;
  }

  /** The cluster's CA certificate (made on first use), which the agents verify the operator against. */
  public Certificates.Pair authority(Instant now) {
    return tls.authority(now);
  }

  /**
   * The server certificate of the agent in member's container {@code container}: CN and DNS name
   * the container's name (what the operator checks, whichever way it connects), localhost and
   * 127.0.0.1; issued again when it no longer fits.
   */
  public synchronized ClusterTls.Issued server(String member, String container, Instant now) {
    List<String> names = names(container);
    return issue("agent-" + member, names, now,
        ca -> Certificates.server(ca, container, names, now, VALIDITY));
  }

  /** The operator's client certificate for the agents' API; issued again when it no longer fits. */
  public synchronized ClusterTls.Issued client(Instant now) {
    return issue(CLIENT, List.of(), now,
        ca -> Certificates.client(ca, PostgresConf.AGENT_CLIENT_NAME, now, VALIDITY));
  }

  /** The names an agent's server certificate carries. */
  public static List<String> names(String container) {
    return List.of(container, "localhost", "127.0.0.1");
  }

  private interface Issuer {
    Certificates.Pair issue(Certificates.Pair ca);
  }

  private ClusterTls.Issued issue(String base, List<String> names, Instant now, Issuer issuer) {
    Certificates.Pair ca = tls.authority(now);
    Optional<String> cert = home.secrets().readSecretFile(cluster, base + ".crt");
    Optional<String> key = home.secrets().readSecretFile(cluster, base + ".key");
    String reason = "first certificate";
    if (cert.isPresent() && key.isPresent()) {
      Optional<String> why = renewalReason(new Certificates.Pair(cert.get(), key.get()), ca.certificate(), names, now);
      if (why.isEmpty()) {
        return new ClusterTls.Issued(new Certificates.Pair(cert.get(), key.get()), Optional.empty());
      }
      reason = why.get();
    }
    Certificates.Pair issued = issuer.issue(ca);
    home.secrets().writeSecretFile(cluster, base + ".key", issued.keyPem());
    home.secrets().writeSecretFile(cluster, base + ".crt", issued.certificatePem());
    return new ClusterTls.Issued(issued, Optional.of(reason));
  }

  private static Optional<String> renewalReason(Certificates.Pair stored, X509Certificate ca, List<String> names,
      Instant now) {
    X509Certificate cert;
    try {
      cert = stored.certificate();
      if (!Certificates.matches(cert, stored.key())) {
        return Optional.of("the stored key is not the certificate's");
      }
    } catch (IllegalArgumentException e) {
      return Optional.of("the stored certificate or key is unreadable (" + e.getMessage() + ")");
    }
    return Certificates.renewalReason(cert, ca, names, now, VALIDITY, RENEW_BEFORE);
  }

  /** For messages: never a key. */
  @Override
  public String toString() {
    return "agent credentials of " + cluster;
  }
}
