package io.pgherd.api;

import static io.pgherd.api.SpecErrors.quote;
import static io.pgherd.api.SpecValidator.DOCUMENT;
import static io.pgherd.api.SpecValidator.MAX_INSTANCES;

import java.time.Duration;

/**
 * The rules of a whole cluster: apiVersion, kind, {@code metadata.name}, {@code spec.instances},
 * {@code spec.replication} and {@code spec.failover} here; each other section by its own rules
 * ({@link PostgresRules}, {@link LoadBalancerRules}, {@link TlsRules}, {@link BackupRules},
 * {@link BootstrapRules}).
 */
final class ClusterRules extends SectionRules {
  private static final Duration MIN_PROBE = Duration.ofMillis(500);
  private static final Duration MAX_PROBE = Duration.ofMinutes(1);
  private static final Duration MIN_ISOLATION = Duration.ofSeconds(2);
  private static final Duration MAX_ISOLATION = Duration.ofMinutes(5);

  ClusterRules(Collector c) {
    super(c);
  }

  void cluster(PostgresCluster cluster) {
    if (cluster == null) {
      c.error(DOCUMENT, "no cluster");
      return;
    }
    String apiVersion = cluster.getApiVersion();
    if (apiVersion == null) {
      c.error("apiVersion", "required, must be " + PostgresCluster.API_VERSION);
    } else if (!PostgresCluster.API_VERSION.equals(apiVersion)) {
      c.error("apiVersion", "must be " + PostgresCluster.API_VERSION + ", got " + quote(apiVersion));
    }
    String kind = cluster.getKind();
    if (kind == null) {
      c.error("kind", "required, must be " + PostgresCluster.KIND);
    } else if (!PostgresCluster.KIND.equals(kind)) {
      c.error("kind", "must be " + PostgresCluster.KIND + ", got " + quote(kind));
    }
    if (cluster.getMetadata() == null) {
      c.error("metadata", "required, with a name");
    } else {
      clusterName("metadata.name", cluster.getMetadata().getName());
    }
    PostgresClusterSpec spec = cluster.getSpec();
    if (spec == null) {
      c.error("spec", "required");
      return;
    }
    Integer instances = spec.getInstances();
    if (instances != null && (instances < 1 || instances > MAX_INSTANCES)) {
      c.error("spec.instances", "must be between 1 and " + MAX_INSTANCES + ", got " + instances);
    }
    new PostgresRules(c).postgres(spec.getPostgres());
    new LoadBalancerRules(c).loadBalancer(spec.getLoadBalancer());
    replication(spec.getReplication(), instances == null ? ClusterConfig.DEFAULT_INSTANCES : instances);
    failover(spec.getFailover());
    new TlsRules(c).tls(spec.getTls());
    placement(spec.getPlacement());
    new BackupRules(c).backup(spec.getBackup());
    new BootstrapRules(c).bootstrap(spec.getBootstrap());
  }

  /** At most 32 constraints, each one pgherd can read (it checks them against the nodes itself). */
  void placement(PlacementSpec placement) {
    if (placement == null || placement.getConstraints() == null) {
      return;
    }
    java.util.List<String> constraints = placement.getConstraints();
    if (constraints.size() > 32) {
      c.error("spec.placement.constraints", "at most 32 constraints, got " + constraints.size());
      return;
    }
    for (int i = 0; i < constraints.size(); i++) {
      for (String problem : PlacementConstraints.problems(java.util.Collections.singletonList(constraints.get(i)))) {
        c.error("spec.placement.constraints[" + i + "]", problem);
      }
    }
  }

  void replication(ReplicationSpec repl, int instances) {
    if (repl == null) {
      return;
    }
    String mode = repl.getMode();
    if (mode != null && !mode.equals("async") && !mode.equals("sync")) {
      c.error("spec.replication.mode", "must be one of async, sync, got " + quote(mode));
    } else if ("sync".equals(mode) && instances == 1) {
      c.warning("spec.replication.mode", "sync with a single instance: there is no standby to"
          + " confirm commits until the cluster is scaled up");
    }
    size("spec.replication.maximumLagOnFailover", repl.getMaximumLagOnFailover());
  }

  void failover(FailoverSpec fo) {
    if (fo == null) {
      return;
    }
    String period = fo.getProbePeriod();
    if (period != null) {
      try {
        Duration d = Quantities.parseDuration(period);
        if (d.compareTo(MIN_PROBE) < 0 || d.compareTo(MAX_PROBE) > 0) {
          c.error("spec.failover.probePeriod", "must be between 500ms and 1m, got " + period);
        }
      } catch (IllegalArgumentException e) {
        c.error("spec.failover.probePeriod", e.getMessage());
      }
    }
    String isolation = fo.getIsolationTimeout();
    if (isolation != null) {
      try {
        Duration d = Quantities.parseDuration(isolation);
        if (d.compareTo(MIN_ISOLATION) < 0 || d.compareTo(MAX_ISOLATION) > 0) {
          c.error("spec.failover.isolationTimeout", "must be between 2s and 5m, got " + isolation);
        }
      } catch (IllegalArgumentException e) {
        c.error("spec.failover.isolationTimeout", e.getMessage());
      }
    }
    Integer threshold = fo.getFailureThreshold();
    if (threshold != null && (threshold < 1 || threshold > 20)) {
      c.error("spec.failover.failureThreshold", "must be between 1 and 20, got " + threshold);
    }
  }
}
