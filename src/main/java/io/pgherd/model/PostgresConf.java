package io.pgherd.model;

import io.pgherd.api.ClusterConfig;
import io.pgherd.api.ClusterConfig.ReplicationMode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Renders a member's postgresql.conf and pg_hba.conf. The member container starts PostgreSQL with
 * {@code -c config_file=/etc/pgherd/postgresql.conf}, so these two files are the whole
 * configuration apart from what ALTER SYSTEM puts into postgresql.auto.conf.
 */
public final class PostgresConf {
  public static final String CONF_PATH = "/etc/pgherd/postgresql.conf";
  public static final String HBA_PATH = "/etc/pgherd/pg_hba.conf";
  public static final String MEMBER_ENV_PATH = "/etc/pgherd/member.env";
  public static final String SECRETS_DIR = "/etc/pgherd/secrets";
  public static final String PASSFILE = "/run/pgherd/pgpass";
  /** Where a member finds its TLS files (written by the operator; the key owned by postgres). */
  public static final String TLS_DIR = "/etc/pgherd/tls";
  public static final String TLS_CA_PATH = TLS_DIR + "/ca.crt";
  public static final String TLS_CERT_PATH = TLS_DIR + "/server.crt";
  public static final String TLS_KEY_PATH = TLS_DIR + "/server.key";
  public static final String REPLICATION_USER = "replicator";
  public static final String SUPERUSER = "postgres";
  public static final int PORT = 5432;
  public static final int HEALTH_PORT = 8008;
  /**
   * The member agent's API: HTTPS with mutual TLS, the client's certificate signed by the
   * cluster's CA with the subject CN {@link #AGENT_CLIENT_NAME}.
   */
  public static final int AGENT_PORT = 8009;
  /** The common name of the operator's client certificate, the one the agent's API admits. */
  public static final String AGENT_CLIENT_NAME = "pgherd-operator";
  /**
   * Where the agent finds its files (written by the operator whether or not spec.tls is on): the
   * cluster's CA, which it verifies clients against, and its server certificate and key (the key
   * owned by postgres).
   */
  public static final String AGENT_DIR = "/etc/pgherd/agent";
  public static final String AGENT_CA_PATH = AGENT_DIR + "/ca.crt";
  public static final String AGENT_CERT_PATH = AGENT_DIR + "/agent.crt";
  public static final String AGENT_KEY_PATH = AGENT_DIR + "/agent.key";
  /** The agent's settings: its peers and the isolation timeout ({@link #renderAgentConf}). */
  public static final String AGENT_CONF_PATH = AGENT_DIR + "/agent.conf";
  /** Enough senders and slots for the largest cluster (9) plus pg_basebackup and an archiver. */
  static final int MAX_WAL_SENDERS = 20;
  /** How much WAL a replication slot may hold back unless spec.postgres.parameters says otherwise. */
  public static final String DEFAULT_MAX_SLOT_WAL_KEEP_SIZE = "4GB";

  private PostgresConf() {}

  /**
   * agent.conf: the other members' host names (the agent fences its primary when it reaches no
   * majority of them and has heard nothing from the operator for the isolation timeout).
   */
  public static String renderAgentConf(java.util.List<String> peers, java.time.Duration isolationTimeout) {
    return "# written by the pgherd operator: the member agent's settings\n"
        + "peers=" + String.join(",", peers) + "\n"
        + "isolation_timeout_ms=" + isolationTimeout.toMillis() + "\n";
  }

  /**
   * TLS as a member is configured: {@code serve} turns ssl on (with the certificate pgherd copies
   * in); {@code enforce} also refuses TCP connections without it (hostssl) and makes replicas verify
   * the primary's certificate. Serving comes first, enforcing only once every member serves, and
   * when TLS is switched off enforcing stops before serving does: no step leaves a member refusing
   * what another still sends.
   */
  public record Tls(boolean serve, boolean enforce) {
    public static final Tls OFF = new Tls(false, false);

    public Tls {
      if (enforce && !serve) {
        throw new IllegalArgumentException("TLS cannot be enforced without being served");
      }
    }
  }

  /** {@link #render(ClusterConfig, String, String, List, Tls)} without TLS. */
  public static String render(ClusterConfig cfg, String member, String primaryHost, List<String> standbys) {
    return render(cfg, member, primaryHost, standbys, Tls.OFF);
  }

  /**
   * postgresql.conf for one member.
   *
   * @param primaryHost the host a replica streams from; null for the primary
   * @param standbys application names of the replicas, used for synchronous_standby_names on
   *     the primary in sync mode
   */
  public static String render(ClusterConfig cfg, String member, String primaryHost, List<String> standbys, Tls tls) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("listen_addresses", "*");
    p.put("port", Integer.toString(PORT));
    p.put("hba_file", HBA_PATH);
    p.put("unix_socket_directories", "/var/run/postgresql");
    p.put("cluster_name", member);
    p.put("password_encryption", "scram-sha-256");
    p.put("wal_level", "replica");
    p.put("wal_log_hints", "on");
    // fewer recycled WAL segments kept ahead: pg_rewind copies every segment the new primary has
    // past the fork, recycled ones included, so this shortens a rejoin (default 80MB)
    p.put("min_wal_size", "32MB");
    // WAL kept behind the insert position on every member: a former primary rewound by pg_rewind
    // replays from the last checkpoint the two timelines share, and when it has recycled that
    // segment itself (it wrote and checkpointed on after the fork) it must stream it from the new
    // primary, which, without this, may have recycled it too: then it never becomes consistent and
    // is cloned again (Rejoin.walGone). Only disk: pg_rewind copies no segment before the fork.
    // (CloudNativePG keeps 512MB; spec.postgres.parameters overrides.)
    p.put("wal_keep_size", "128MB");
    // the most WAL a replication slot may hold back on any member: a replica cut off for long (its
    // host lost, stopped, partitioned) would otherwise keep every segment since it left, until the
    // primary's disk is full and the primary stops. Past this its slot is invalidated (wal_status
    // 'lost'), the WAL goes at the next checkpoint, and the operator clones that replica again
    // (steps.LostSlots; replicas have no restore_command to fetch it from the archive). The spec
    // has no volume size to take a fraction of, so a fixed bound: 4GB is minutes of a heavy write
    // load, hours or days of an ordinary one, and a small part of a disk that holds PostgreSQL
    // (PostgreSQL's own default, -1, bounds nothing). The WAL archive's slot is bounded too: an
    // operator down past 4GB of WAL leaves a gap in the archive. spec.postgres.parameters
    // overrides it (-1: no bound, as before).
    p.put("max_slot_wal_keep_size", DEFAULT_MAX_SLOT_WAL_KEEP_SIZE);
    // the flush of the data directory before a crash recovery (a clone's first start, a member
    // killed): one syncfs() of its file system, not an open and fsync of each of its files
    // (~0.3 s on a fresh clone here, more with more files). Linux only, as the image is.
    p.put("recovery_init_sync_method", "syncfs");
    p.put("max_wal_senders", Integer.toString(MAX_WAL_SENDERS));
    p.put("max_replication_slots", Integer.toString(MAX_WAL_SENDERS));
    p.put("hot_standby", "on");
    p.put("hot_standby_feedback", "on");
    p.put("wal_receiver_status_interval", "1s");
    p.put("log_destination", "stderr");
    p.put("log_line_prefix", "%m [%p] %q%u@%d ");
    p.put("log_connections", "off");
    if (tls.serve()) {
      p.put("ssl", "on");
      p.put("ssl_cert_file", TLS_CERT_PATH);
      p.put("ssl_key_file", TLS_KEY_PATH);
      p.put("ssl_min_protocol_version", "TLSv1.2");
    }
    if (primaryHost != null) {
      p.put("primary_conninfo", primaryConninfo(member, primaryHost, tls.enforce()));
      p.put("primary_slot_name", Names.slot(member));
    } else if (cfg.replicationMode() == ReplicationMode.SYNC && !standbys.isEmpty()) {
      p.put("synchronous_standby_names", synchronousStandbyNames(standbys));
    }
    StringBuilder out = new StringBuilder();
    out.append("# generated by pgherd for ").append(member).append(": edits here are overwritten;\n");
    out.append("# set parameters in the cluster spec (spec.postgres.parameters) instead.\n");
    p.forEach((k, v) -> line(out, k, v));
    if (!cfg.parameters().isEmpty()) {
      out.append("# spec.postgres.parameters\n");
      cfg.parameters().forEach((k, v) -> line(out, k, v));
    }
    return out.toString();
  }

  static String primaryConninfo(String member, String primaryHost, boolean verifyTls) {
    return "host=" + Quoting.conninfoValue(primaryHost) + " port=" + PORT + " user=" + REPLICATION_USER
        + " application_name=" + Quoting.conninfoValue(member) + " passfile=" + Quoting.conninfoValue(PASSFILE)
        + " connect_timeout=5"
        + (verifyTls ? " sslmode=verify-full sslrootcert=" + Quoting.conninfoValue(TLS_CA_PATH) : "");
  }

  /** {@code ANY 1 ("demo-2","demo-3")}: a commit waits for one of the standbys. */
  public static String synchronousStandbyNames(List<String> standbys) {
    return "ANY 1 (" + standbys.stream().map(Quoting::standbyName).collect(Collectors.joining(",")) + ")";
  }

  /**
   * pg_hba.conf: local connections by peer (the container's own scripts), everything else by
   * scram-sha-256 and only from the container's own networks ({@code samenet}: the cluster network,
   * which includes the Docker gateway through which the host's published port arrives).
   */
  public static String renderHba() {
    return renderHba(Tls.OFF);
  }

  /** With TLS enforced, TCP connections are admitted only over TLS ({@code hostssl}). */
  public static String renderHba(Tls tls) {
    if (tls.enforce()) {
      return """
          # generated by pgherd: edits here are overwritten (spec.tls: TCP connections only over TLS)
          # TYPE   DATABASE     USER        ADDRESS  METHOD
          local    all          all                  peer
          hostssl  replication  replicator  samenet  scram-sha-256
          hostssl  all          all         samenet  scram-sha-256
          """;
    }
    return """
        # generated by pgherd: edits here are overwritten
        # TYPE  DATABASE     USER        ADDRESS  METHOD
        local   all          all                  peer
        host    replication  replicator  samenet  scram-sha-256
        host    all          all         samenet  scram-sha-256
        """;
  }

  /** The container's bootstrap instructions (no secrets). */
  public static String renderMemberEnv(String member, boolean clone, String primaryHost) {
    return renderMemberEnv(member, clone ? "clone" : "initdb", primaryHost);
  }

  /** mode: initdb, clone (from primaryHost) or restore (from what the operator staged in the volume). */
  public static String renderMemberEnv(String member, String mode, String primaryHost) {
    boolean clone = mode.equals("clone");
    StringBuilder out = new StringBuilder();
    out.append("PGHERD_MEMBER=").append(Quoting.shellWord(member)).append('\n');
    out.append("PGHERD_BOOTSTRAP=").append(Quoting.shellWord(mode)).append('\n');
    if (clone) {
      out.append("PGHERD_PRIMARY_HOST=").append(Quoting.shellWord(primaryHost)).append('\n');
      out.append("PGHERD_SLOT=").append(Quoting.shellWord(Names.slot(member))).append('\n');
    }
    return out.toString();
  }

  private static void line(StringBuilder out, String key, String value) {
    out.append(key).append(" = ").append(Quoting.confString(value)).append('\n');
  }
}
