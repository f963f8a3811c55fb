package io.pgherd.cluster;

import io.pgherd.api.ClusterConfig;
import io.pgherd.model.Names;
import io.pgherd.model.PostgresConf;
import io.pgherd.model.Topology;
import io.pgherd.runtime.ContainerSpec.FileContent;
import io.pgherd.tls.Certificates;
import io.pgherd.tls.ClusterTls;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The files a member runs with, rendered from the spec and its place in the topology:
 * member.env (bootstrap mode and primary), postgresql.conf, pg_hba.conf, with spec.tls its
 * certificate, key and the cluster's CA, and always its agent's certificate, key and the CA (issued
 * or renewed here when needed).
 */
public final class MemberFiles extends ClusterPart {

  public MemberFiles(ClusterScope scope) {
    super(scope);
  }

  public Map<String, FileContent> configFiles(ClusterConfig cfg, Topology topology, int ordinal) {
    boolean replica = !topology.isPrimary(ordinal);
    PostgresConf.Tls mode = tlsMode(cfg);
    String conf = PostgresConf.render(cfg, member(ordinal),
        replica ? Names.container(member(topology.primary())) : null,
        topology.replicas().stream().map(this::member).toList(), mode);
    Map<String, FileContent> files = new LinkedHashMap<>();
    files.put(PostgresConf.CONF_PATH, FileContent.of(conf, 0644));
    files.put(PostgresConf.HBA_PATH, FileContent.of(PostgresConf.renderHba(mode), 0644));
    if (mode.serve()) {
      ClusterTls.Issued issued = tls.server(member(ordinal), ClusterTls.names(cfg,
          Names.container(member(ordinal)), Names.loadBalancer(cluster)), Instant.now(), cfg.tls());
      issued.reason().ifPresent(why -> log.action("issue-certificate", member(ordinal) + ": " + why
          + "; valid until " + issued.pair().certificate().getNotAfter().toInstant() + " for "
          + Certificates.altNames(issued.pair().certificate())));
      files.put(ClusterTls.CA_PATH, FileContent.of(tls.authority(Instant.now()).certificatePem(), 0644));
      files.put(ClusterTls.CERT_PATH, FileContent.of(issued.pair().certificatePem(), 0644));
      // PostgreSQL reads its key only when its own user owns it (or root with group access)
      files.put(ClusterTls.KEY_PATH, FileContent.of(issued.pair().keyPem(), 0600,
          ClusterTls.POSTGRES_UID));
    }
    files.putAll(agentFiles(cfg, topology, ordinal));
    return files;
  }

  /**
   * The member agent's files, whatever spec.tls says: the cluster's CA (it admits the operator's
   * client certificate by it) and its own server certificate and key, issued or renewed here.
   */
  private Map<String, FileContent> agentFiles(ClusterConfig cfg, Topology topology, int ordinal) {
    Instant now = Instant.now();
    ClusterTls.Issued issued = scope.agentCredentials.server(member(ordinal), Names.container(member(ordinal)), now);
    issued.reason().ifPresent(why -> log.action("issue-agent-certificate", member(ordinal) + ": " + why
        + "; valid until " + issued.pair().certificate().getNotAfter().toInstant() + " for "
        + Certificates.altNames(issued.pair().certificate())));
    Map<String, FileContent> files = new LinkedHashMap<>();
    files.put(PostgresConf.AGENT_CA_PATH, FileContent.of(scope.agentCredentials.authority(now).certificatePem(), 0644));
    files.put(PostgresConf.AGENT_CERT_PATH, FileContent.of(issued.pair().certificatePem(), 0644));
    files.put(PostgresConf.AGENT_KEY_PATH, FileContent.of(issued.pair().keyPem(), 0600, ClusterTls.POSTGRES_UID));
    files.put(PostgresConf.AGENT_CONF_PATH, FileContent.of(PostgresConf.renderAgentConf(
        topology.members().stream().filter(o -> o != ordinal).map(o -> Names.container(member(o))).toList(),
        cfg.isolationTimeout()), 0644));
    return files;
  }

  /**
   * The load balancer's agent's files: the cluster's CA and its server certificate (for its
   * container, pgherd-NAME-lb) and key, owned by haproxy (uid {@value #HAPROXY_UID}).
   */
  public Map<String, FileContent> lbAgentFiles() {
    Instant now = Instant.now();
    String name = scope.lbAgentName();
    ClusterTls.Issued issued = scope.agentCredentials.server(name, Names.loadBalancer(cluster), now);
    issued.reason().ifPresent(why -> log.action("issue-agent-certificate", name + ": " + why
        + "; valid until " + issued.pair().certificate().getNotAfter().toInstant() + " for "
        + Certificates.altNames(issued.pair().certificate())));
    Map<String, FileContent> files = new LinkedHashMap<>();
    files.put(PostgresConf.AGENT_CA_PATH, FileContent.of(scope.agentCredentials.authority(now).certificatePem(), 0644));
    files.put(PostgresConf.AGENT_CERT_PATH, FileContent.of(issued.pair().certificatePem(), 0644));
    files.put(PostgresConf.AGENT_KEY_PATH, FileContent.of(issued.pair().keyPem(), 0600, HAPROXY_UID));
    return files;
  }

  /** The haproxy user's uid in pgherd/haproxy (operator/haproxy/Dockerfile). */
  public static final int HAPROXY_UID = 998;

  /**
   * TLS as the members are to be configured now: served while the spec wants it or while it is still
   * enforced (switching off), enforced once every member has served it (see {@code Configuration#tlsStep}).
   */
  public PostgresConf.Tls tlsMode(ClusterConfig cfg) {
    boolean enforced = tls.enforced();
    return new PostgresConf.Tls(cfg.tls().enabled() || enforced, cfg.tls().enabled() && enforced);
  }

  /** member.env (bootstrap mode and primary) and configuration of a member in {@code topology}. */
  public Map<String, FileContent> memberFiles(ClusterConfig cfg, Topology topology, int ordinal) {
    Map<String, FileContent> files = new LinkedHashMap<>();
    files.put(PostgresConf.MEMBER_ENV_PATH, FileContent.of(PostgresConf.renderMemberEnv(member(ordinal),
        !topology.isPrimary(ordinal), Names.container(member(topology.primary()))), 0644));
    files.putAll(configFiles(cfg, topology, ordinal));
    return files;
  }
}
