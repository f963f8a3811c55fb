package io.pgherd.api;

import static io.pgherd.api.SpecErrors.quote;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads and checks PostgresCluster specs. A bad spec is rejected before anything changes, with
 * every problem at once, each with the field path and the reason
 * ({@code spec.instances: must be between 1 and 9, got 0}).
 *
 * <p>Errors make a spec unusable; warnings (such as unknown fields, which are ignored) do not.
 * Neither method throws, and neither modifies the cluster: defaults are applied by
 * {@link ClusterConfig#from}, never written back into the spec.
 */
public final class SpecValidator {

  /** Largest spec document accepted by {@link #parse}, in UTF-8 bytes. */
  public static final int MAX_DOCUMENT_BYTES = 1024 * 1024;
  /** Deepest nesting of mappings and lists accepted by {@link #parse}. */
  public static final int MAX_NESTING_DEPTH = 32;
  /** Path used for problems that concern the whole document. */
  public static final String DOCUMENT = "(document)";

  public static final int MAX_INSTANCES = 9;
  public static final int MAX_NAME_LENGTH = 40;

  /** postgresql.conf parameters that pgherd sets itself and refuses in {@code spec.postgres.parameters}. */
  public static final Set<String> MANAGED_PARAMETERS = Set.of(
      "listen_addresses", "port", "hba_file", "ident_file", "config_file", "data_directory",
      "primary_conninfo", "primary_slot_name", "wal_level", "hot_standby", "wal_log_hints",
      "archive_mode", "archive_command", "archive_library", "restore_command",
      "synchronous_standby_names", "ssl", "ssl_cert_file", "ssl_key_file",
      "recovery_target", "recovery_target_action", "recovery_target_inclusive",
      "recovery_target_lsn", "recovery_target_name", "recovery_target_time",
      "recovery_target_timeline", "recovery_target_xid");

  private SpecValidator() {}

  // ---------------------------------------------------------------------------------------------
  // parse

  /**
   * Reads a YAML spec and validates it. Every problem is reported, not just the first: type errors
   * ({@code spec.instances: expected an integer, got 'three'}), unknown fields (warnings), and
   * everything {@link #validate} checks. Never throws.
   */
  public static ValidationResult parse(String yamlText) {
    Collector c = new Collector();
    PostgresCluster cluster = null;
    try {
      cluster = SpecReader.read(yamlText, c);
      if (cluster != null) {
        ValidationResult checked = validate(cluster);
        checked.errors().forEach(p -> c.errorUnlessCovered(p.path(), p.message()));
        checked.warnings().forEach(p -> c.warning(p.path(), p.message()));
      }
    } catch (RuntimeException | StackOverflowError e) {
      c.error(DOCUMENT, "cannot read the spec: " + e);
    }
    return c.result(cluster);
  }

  /** The refusal of a spec of {@code bytes} bytes, more than {@link #MAX_DOCUMENT_BYTES}. */
  public static String tooLarge(long bytes) {
    return "the spec is " + bytes + " bytes; at most " + MAX_DOCUMENT_BYTES
        + " (1 MiB) are read: a cluster spec is a few hundred bytes";
  }

  // ---------------------------------------------------------------------------------------------
  // validate

  /**
   * Checks a cluster against every rule of the spec. Does not modify it. Never throws.
   */
  public static ValidationResult validate(PostgresCluster cluster) {
    Collector c = new Collector();
    try {
      new Rules(c).cluster(cluster);
    } catch (RuntimeException e) {
      c.error(DOCUMENT, "cannot validate the spec: " + e);
    }
    return c.result(cluster);
  }

  private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?");
  private static final Pattern XID = Pattern.compile("[0-9]{1,20}");
  private static final Duration MIN_PROBE = Duration.ofMillis(500);
  private static final Duration MAX_PROBE = Duration.ofMinutes(1);

  private static final class Rules extends SectionRules {
    Rules(Collector c) {
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
      new BackupRules(c).backup(spec.getBackup());
      new BootstrapRules(c).bootstrap(spec.getBootstrap());
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
      Integer threshold = fo.getFailureThreshold();
      if (threshold != null && (threshold < 1 || threshold > 20)) {
        c.error("spec.failover.failureThreshold", "must be between 1 and 20, got " + threshold);
      }
    }
  }

  /**
   * Why {@code name} cannot name a cluster ({@code required}, too long, characters other than
   * lowercase letters, digits and '-'), or empty if it can. Also what the command line checks
   * before a name is used to find a cluster's files.
   */
  public static Optional<String> clusterNameProblem(String name) {
    if (name == null || name.isEmpty()) {
      return Optional.of("required");
    }
    if (name.length() > MAX_NAME_LENGTH) {
      return Optional.of("must be at most " + MAX_NAME_LENGTH + " characters, got " + name.length());
    }
    if (!NAME.matcher(name).matches()) {
      return Optional.of("must consist of lowercase letters, digits and '-', and start and end with"
          + " a letter or digit, got " + quote(name));
    }
    return Optional.empty();
  }

  /**
   * A transaction id to restore to: decimal digits, at most 9223372036854775807 (PostgreSQL takes
   * an epoch-qualified 64-bit id; the restore planner reads it as a long).
   */
  public static boolean isTransactionId(String s) {
    if (s == null || !XID.matcher(s).matches()) {
      return false;
    }
    try {
      Long.parseLong(s);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** {@code 'value'} for a message: at most 60 characters, none that would act on a terminal. */
  public static String quoted(String value) {
    return quote(value);
  }
}
