package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import java.util.Objects;

/**
 * Desired state of a PostgreSQL cluster: the {@code spec} of a {@link PostgresCluster}.
 * Every field is optional; absent values are {@code null} and get the defaults documented on
 * {@link ClusterConfig}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PostgresClusterSpec {

  @JsonPropertyDescription("Number of members (1..9); the first one is the primary. Editing this scales the cluster. Default 1.")
  @Min(1)
  @Max(9)
  private Integer instances;

  @JsonPropertyDescription("PostgreSQL image and postgresql.conf overrides.")
  private PostgresSpec postgres;

  @JsonPropertyDescription("The HAProxy entry point: a read-write and a read-only listener.")
  private LoadBalancerSpec loadBalancer;

  @JsonPropertyDescription("Streaming replication settings.")
  private ReplicationSpec replication;

  @JsonPropertyDescription("Automatic failover settings.")
  private FailoverSpec failover;

  @JsonPropertyDescription("Continuous backup (WAL archive and scheduled base backups). Without it no WAL is archived.")
  private BackupSpec backup;

  @JsonPropertyDescription("How the cluster is created. Absent: a fresh initdb.")
  private BootstrapSpec bootstrap;

  @JsonPropertyDescription("TLS for every connection to the members, with certificates generated and renewed by pgherd.")
  private TlsSpec tls;

  @JsonPropertyDescription("Docker Swarm only: which nodes the members may run on; one member per node by default.")
  private PlacementSpec placement;

  public Integer getInstances() {
    return instances;
  }

  public void setInstances(Integer instances) {
    this.instances = instances;
  }

  public PostgresSpec getPostgres() {
    return postgres;
  }

  public void setPostgres(PostgresSpec postgres) {
    this.postgres = postgres;
  }

  public LoadBalancerSpec getLoadBalancer() {
    return loadBalancer;
  }

  public void setLoadBalancer(LoadBalancerSpec loadBalancer) {
    this.loadBalancer = loadBalancer;
  }

  public ReplicationSpec getReplication() {
    return replication;
  }

  public void setReplication(ReplicationSpec replication) {
    this.replication = replication;
  }

  public FailoverSpec getFailover() {
    return failover;
  }

  public void setFailover(FailoverSpec failover) {
    this.failover = failover;
  }

  public BackupSpec getBackup() {
    return backup;
  }

  public void setBackup(BackupSpec backup) {
    this.backup = backup;
  }

  public BootstrapSpec getBootstrap() {
    return bootstrap;
  }

  public void setBootstrap(BootstrapSpec bootstrap) {
    this.bootstrap = bootstrap;
  }

  public TlsSpec getTls() {
    return tls;
  }

  public void setTls(TlsSpec tls) {
    this.tls = tls;
  }

  public PlacementSpec getPlacement() {
    return placement;
  }

  public void setPlacement(PlacementSpec placement) {
    this.placement = placement;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof PostgresClusterSpec)) {
      return false;
    }
    PostgresClusterSpec other = (PostgresClusterSpec) o;
    return Objects.equals(instances, other.instances)
        && Objects.equals(postgres, other.postgres)
        && Objects.equals(loadBalancer, other.loadBalancer)
        && Objects.equals(replication, other.replication)
        && Objects.equals(failover, other.failover)
        && Objects.equals(backup, other.backup)
        && Objects.equals(bootstrap, other.bootstrap)
        && Objects.equals(tls, other.tls);
  }

  @Override
  public int hashCode() {
    return Objects.hash(instances, postgres, loadBalancer, replication, failover, backup, bootstrap, tls);
  }

  @Override
  public String toString() {
    return "PostgresClusterSpec{"
        + "instances=" + instances
        + ", postgres=" + postgres
        + ", loadBalancer=" + loadBalancer
        + ", replication=" + replication
        + ", failover=" + failover
        + ", backup=" + backup
        + ", bootstrap=" + bootstrap
        + ", tls=" + tls
        + "}";
  }
}
