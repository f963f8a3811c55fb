package io.pgherd.api;

import java.time.Duration;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The effective configuration of a cluster: every value of the spec resolved, defaults applied.
 * This is what the rest of the operator works from; the spec types keep {@code null} for "absent".
 *
 * <p>Defaults, applied when the field is absent from the spec:
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>spec field</th><th>default</th></tr>
 *   <tr><td>{@code instances}</td><td>1 ({@link #DEFAULT_INSTANCES})</td></tr>
 *   <tr><td>{@code postgres.image}</td><td>{@code pgherd/postgres:15} ({@link #DEFAULT_IMAGE})</td></tr>
 *   <tr><td>{@code postgres.parameters}</td><td>none</td></tr>
 *   <tr><td>{@code loadBalancer.bindAddress}</td><td>{@code 127.0.0.1}</td></tr>
 *   <tr><td>{@code loadBalancer.readWritePort}</td><td>5432</td></tr>
 *   <tr><td>{@code loadBalancer.readOnlyPort}</td><td>5433</td></tr>
 *   <tr><td>{@code loadBalancer.readOnly}</td><td>{@code all}</td></tr>
 *   <tr><td>{@code loadBalancer.maxReplicaLag}</td><td>{@code 16MB}</td></tr>
 *   <tr><td>{@code replication.mode}</td><td>{@code async}</td></tr>
 *   <tr><td>{@code replication.maximumLagOnFailover}</td><td>{@code 16MB}</td></tr>
 *   <tr><td>{@code failover.enabled}</td><td>true</td></tr>
 *   <tr><td>{@code failover.probePeriod}</td><td>{@code 2s}</td></tr>
 *   <tr><td>{@code failover.failureThreshold}</td><td>3</td></tr>
 *   <tr><td>{@code failover.isolationTimeout}</td><td>{@code 10s}</td></tr>
 *   <tr><td>{@code backup.retention.fullBackups}</td><td>7 (not in this record yet)</td></tr>
 * </table>
 *
 * <p>Backup and bootstrap settings are not part of this record yet: read them from the spec.
 *
 * @param name cluster name ({@code metadata.name})
 * @param instances number of members
 * @param image PostgreSQL image
 * @param parameters postgresql.conf overrides, sorted by name, unmodifiable
 * @param bindAddress IPv4 address the load balancer binds to
 * @param readWritePort read-write listener port
 * @param readOnlyPort read-only listener port
 * @param readOnly members behind the read-only listener
 * @param maxReplicaLagBytes a replica further behind leaves the read-only rotation
 * @param replicationMode async or sync
 * @param maximumLagOnFailoverBytes never promote a replica further behind than this
 * @param failoverEnabled automatic failover on or off
 * @param probePeriod how often members are probed
 * @param failureThreshold consecutive failed probes before the primary is declared lost
 * @param isolationTimeout a primary's agent that has heard nothing from the operator this long, and reaches
 *     no majority of the members, fences itself
 * @param tls spec.tls
 * @param placement spec.placement (a Docker Swarm's nodes)
 */
public record ClusterConfig(
    String name,
    int instances,
    String image,
    Map<String, String> parameters,
    String bindAddress,
    int readWritePort,
    int readOnlyPort,
    ReadOnlyMode readOnly,
    long maxReplicaLagBytes,
    ReplicationMode replicationMode,
    long maximumLagOnFailoverBytes,
    boolean failoverEnabled,
    Duration probePeriod,
    int failureThreshold,
    Duration isolationTimeout,
    Tls tls,
    Placement placement) {

  public static final int DEFAULT_INSTANCES = 1;
  public static final String DEFAULT_IMAGE = "pgherd/postgres:15";
  public static final String DEFAULT_BIND_ADDRESS = "127.0.0.1";
  public static final int DEFAULT_READ_WRITE_PORT = 5432;
  public static final int DEFAULT_READ_ONLY_PORT = 5433;
  public static final ReadOnlyMode DEFAULT_READ_ONLY = ReadOnlyMode.ALL;
  public static final String DEFAULT_MAX_REPLICA_LAG = "16MB";
  public static final ReplicationMode DEFAULT_REPLICATION_MODE = ReplicationMode.ASYNC;
  public static final String DEFAULT_MAXIMUM_LAG_ON_FAILOVER = "16MB";
  public static final boolean DEFAULT_FAILOVER_ENABLED = true;
  public static final String DEFAULT_PROBE_PERIOD = "2s";
  public static final int DEFAULT_FAILURE_THRESHOLD = 3;
  public static final String DEFAULT_ISOLATION_TIMEOUT = "10s";
  public static final int DEFAULT_FULL_BACKUPS = 7;
  public static final String DEFAULT_CERTIFICATE_VALIDITY = "2160h";
  public static final String DEFAULT_RENEW_BEFORE = "168h";

  /**
   * {@code spec.tls}: whether TLS is wanted, the extra names the server certificates carry, how
   * long they are valid and how long before expiry they are renewed.
   */
  public record Tls(boolean enabled, java.util.List<String> altNames, Duration validity, Duration renewBefore) {
    public static final Tls OFF = new Tls(false, java.util.List.of(),
        Quantities.parseDuration(DEFAULT_CERTIFICATE_VALIDITY), Quantities.parseDuration(DEFAULT_RENEW_BEFORE));

    public Tls {
      altNames = altNames == null ? java.util.List.of() : java.util.List.copyOf(altNames);
      Objects.requireNonNull(validity, "validity");
      Objects.requireNonNull(renewBefore, "renewBefore");
    }
  }

  /**
   * {@code spec.placement}: on a Docker Swarm, the constraints a member's node meets, and whether
   * two members may share a node.
   */
  public record Placement(java.util.List<String> constraints, boolean oneMemberPerNode) {
    public static final Placement ANYWHERE = new Placement(java.util.List.of(), true);

    public Placement {
      constraints = constraints == null ? java.util.List.of() : java.util.List.copyOf(constraints);
    }
  }

  /** Which members sit behind the read-only listener ({@code spec.loadBalancer.readOnly}). */
  public enum ReadOnlyMode {
    /** Every running member, the primary included (as the original stack did). */
    ALL,
    /** Replicas only; the primary serves reads only when there is no replica at all. */
    REPLICAS;

    /** The spelling used in the spec: {@code all} or {@code replicas}. */
    public String specValue() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Parses the spec spelling; {@code null} gives the default. */
    public static ReadOnlyMode fromSpec(String value) {
      if (value == null) {
        return DEFAULT_READ_ONLY;
      }
      for (ReadOnlyMode m : values()) {
        if (m.specValue().equals(value)) {
          return m;
        }
      }
      throw new IllegalArgumentException("must be one of all, replicas, got '" + value + "'");
    }
  }

  /** Replication mode ({@code spec.replication.mode}). */
  public enum ReplicationMode {
    /** Asynchronous streaming replication. */
    ASYNC,
    /** Synchronous: commits wait for a standby listed in synchronous_standby_names. */
    SYNC;

    /** The spelling used in the spec: {@code async} or {@code sync}. */
    public String specValue() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Parses the spec spelling; {@code null} gives the default. */
    public static ReplicationMode fromSpec(String value) {
      if (value == null) {
        return DEFAULT_REPLICATION_MODE;
      }
      for (ReplicationMode m : values()) {
        if (m.specValue().equals(value)) {
          return m;
        }
      }
      throw new IllegalArgumentException("must be one of async, sync, got '" + value + "'");
    }
  }

  public ClusterConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(bindAddress, "bindAddress");
    Objects.requireNonNull(readOnly, "readOnly");
    Objects.requireNonNull(replicationMode, "replicationMode");
    Objects.requireNonNull(probePeriod, "probePeriod");
    isolationTimeout = isolationTimeout == null ? Quantities.parseDuration(DEFAULT_ISOLATION_TIMEOUT) : isolationTimeout;
    tls = tls == null ? Tls.OFF : tls;
    placement = placement == null ? Placement.ANYWHERE : placement;
    parameters = parameters == null
        ? Collections.emptySortedMap()
        : Collections.unmodifiableSortedMap(new TreeMap<>(parameters));
  }

  /**
   * Resolves a cluster's spec, applying the defaults. The cluster is assumed to have passed
   * {@link SpecValidator#validate}; an invalid value throws {@link IllegalArgumentException}.
   * The cluster is not modified.
   */
  public static ClusterConfig from(PostgresCluster cluster) {
    Objects.requireNonNull(cluster, "cluster");
    String name = cluster.getMetadata() == null ? null : cluster.getMetadata().getName();
    if (name == null) {
      throw new IllegalArgumentException("metadata.name: required");
    }
    PostgresClusterSpec spec = cluster.getSpec() != null ? cluster.getSpec() : new PostgresClusterSpec();
    PostgresSpec pg = spec.getPostgres() != null ? spec.getPostgres() : new PostgresSpec();
    LoadBalancerSpec lb = spec.getLoadBalancer() != null ? spec.getLoadBalancer() : new LoadBalancerSpec();
    ReplicationSpec repl = spec.getReplication() != null ? spec.getReplication() : new ReplicationSpec();
    FailoverSpec fo = spec.getFailover() != null ? spec.getFailover() : new FailoverSpec();
    TlsSpec tls = spec.getTls() != null ? spec.getTls() : new TlsSpec();
    PlacementSpec placement = spec.getPlacement() != null ? spec.getPlacement() : new PlacementSpec();
    return new ClusterConfig(
        name,
        or(spec.getInstances(), DEFAULT_INSTANCES),
        or(pg.getImage(), DEFAULT_IMAGE),
        pg.getParameters(),
        or(lb.getBindAddress(), DEFAULT_BIND_ADDRESS),
        or(lb.getReadWritePort(), DEFAULT_READ_WRITE_PORT),
        or(lb.getReadOnlyPort(), DEFAULT_READ_ONLY_PORT),
        ReadOnlyMode.fromSpec(lb.getReadOnly()),
        Quantities.parseSize(or(lb.getMaxReplicaLag(), DEFAULT_MAX_REPLICA_LAG)),
        ReplicationMode.fromSpec(repl.getMode()),
        Quantities.parseSize(or(repl.getMaximumLagOnFailover(), DEFAULT_MAXIMUM_LAG_ON_FAILOVER)),
        or(fo.getEnabled(), DEFAULT_FAILOVER_ENABLED),
        Quantities.parseDuration(or(fo.getProbePeriod(), DEFAULT_PROBE_PERIOD)),
        or(fo.getFailureThreshold(), DEFAULT_FAILURE_THRESHOLD),
        Quantities.parseDuration(or(fo.getIsolationTimeout(), DEFAULT_ISOLATION_TIMEOUT)),
        new Tls(or(tls.getEnabled(), false), tls.getAltNames(),
            Quantities.parseDuration(or(tls.getCertificateValidity(), DEFAULT_CERTIFICATE_VALIDITY)),
            Quantities.parseDuration(or(tls.getRenewBefore(), DEFAULT_RENEW_BEFORE))),
        new Placement(placement.getConstraints(), or(placement.getOneMemberPerNode(), true)));
  }

  private static <T> T or(T value, T fallback) {
    return value != null ? value : fallback;
  }
}
