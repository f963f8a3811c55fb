package io.pgherd.api;

import static io.pgherd.api.SectionRules.isIpv4;
import static io.pgherd.api.SpecErrors.quote;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
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
  private static final Pattern ENV_NAME = Pattern.compile("[A-Z_][A-Z0-9_]*");
  private static final Pattern BUCKET = Pattern.compile("[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?");
  private static final Pattern XID = Pattern.compile("[0-9]{1,20}");
  private static final Pattern LSN = Pattern.compile("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}");
  private static final Pattern PG_TIME = Pattern.compile(
      "([0-9]{4}-[0-9]{2}-[0-9]{2}) ([0-9]{2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]{1,6})?)"
          + "(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?");
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
      backup(spec.getBackup());
      bootstrap(spec.getBootstrap());
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

    void backup(BackupSpec backup) {
      if (backup == null) {
        return;
      }
      if (backup.getSchedule() != null) {
        Optional<String> bad = QuartzCron.check(backup.getSchedule());
        if (bad.isPresent()) {
          c.error("spec.backup.schedule", "not a Quartz cron expression: " + bad.get());
        } else {
          // Quartz itself has the last word, and a schedule that never fires is refused too
          try {
            org.quartz.CronExpression cron = new org.quartz.CronExpression(backup.getSchedule());
            cron.setTimeZone(java.util.TimeZone.getTimeZone("UTC"));
            if (cron.getNextValidTimeAfter(new java.util.Date()) == null) {
              c.error("spec.backup.schedule", "never fires after now: " + quote(backup.getSchedule()));
            }
          } catch (java.text.ParseException e) {
            c.error("spec.backup.schedule", "not a Quartz cron expression: " + e.getMessage());
          }
        }
      }
      if (backup.getCompression() != null && !List.of("zstd", "gzip", "none").contains(backup.getCompression())) {
        c.error("spec.backup.compression", "must be zstd, gzip or none, got " + quote(backup.getCompression()));
      }
      RetentionSpec retention = backup.getRetention();
      if (retention != null && retention.getFullBackups() != null) {
        int n = retention.getFullBackups();
        if (n < 1 || n > 1000) {
          c.error("spec.backup.retention.fullBackups", "must be between 1 and 1000, got " + n);
        }
      }
      ObjectStoreSpec store = backup.getObjectStore();
      if (store == null) {
        return;
      }
      if (store.getS3() != null && store.getFilesystem() != null) {
        c.error("spec.backup.objectStore", "at most one of s3 and filesystem may be set");
      }
      if (store.getS3() != null) {
        s3(store.getS3());
      }
      FilesystemSpec fs = store.getFilesystem();
      if (fs != null) {
        String path = fs.getPath();
        if (path == null || path.isEmpty()) {
          c.error("spec.backup.objectStore.filesystem.path", "required");
        } else if (!path.startsWith("/")) {
          c.error("spec.backup.objectStore.filesystem.path", "must be an absolute path, got " + quote(path));
        }
      }
    }

    void s3(S3Spec s3) {
      String base = "spec.backup.objectStore.s3";
      bucketProblem(s3.getBucket()).ifPresent(why -> c.error(base + ".bucket", why));
      if (s3.getBucket() != null && !s3.getBucket().isEmpty() && s3.getBucket().length() < 3
          && bucketProblem(s3.getBucket()).isEmpty()) {
        c.warning(base + ".bucket", "shorter than 3 characters: AWS S3 and MinIO refuse such bucket names");
      }
      String endpoint = s3.getEndpoint();
      if (endpoint != null) {
        endpointProblem(endpoint).ifPresent(why -> c.error(base + ".endpoint", why));
      }
      if (s3.getRegion() != null && s3.getRegion().isBlank()) {
        c.error(base + ".region", "must not be empty");
      }
      S3CredentialsSpec cred = s3.getCredentials();
      if (cred == null) {
        return;
      }
      String cbase = base + ".credentials";
      envName(cbase + ".accessKeyIdEnv", cred.getAccessKeyIdEnv());
      envName(cbase + ".secretAccessKeyEnv", cred.getSecretAccessKeyEnv());
      boolean anyEnv = cred.getAccessKeyIdEnv() != null || cred.getSecretAccessKeyEnv() != null;
      if (anyEnv && cred.getAccessKeyIdEnv() == null) {
        c.error(cbase + ".accessKeyIdEnv", "required together with secretAccessKeyEnv");
      }
      if (anyEnv && cred.getSecretAccessKeyEnv() == null) {
        c.error(cbase + ".secretAccessKeyEnv", "required together with accessKeyIdEnv");
      }
      if (cred.getFile() != null) {
        if (cred.getFile().isBlank()) {
          c.error(cbase + ".file", "must not be empty");
        } else if (anyEnv) {
          c.error(cbase + ".file", "use either accessKeyIdEnv/secretAccessKeyEnv or file, not both");
        }
      }
    }

    void envName(String path, String name) {
      if (name != null && !ENV_NAME.matcher(name).matches()) {
        c.error(path, "must be the name of an environment variable ([A-Z_][A-Z0-9_]*), got "
            + quote(name) + "; never the secret itself");
      }
    }

    void bootstrap(BootstrapSpec bootstrap) {
      if (bootstrap == null || bootstrap.getRecovery() == null) {
        return;
      }
      RecoverySpec recovery = bootstrap.getRecovery();
      String base = "spec.bootstrap.recovery";
      if (recovery.getFrom() == null) {
        c.error(base + ".from", "required: the cluster whose backups are restored, e.g. from: { cluster: demo }");
      } else {
        clusterName(base + ".from.cluster", recovery.getFrom().getCluster());
      }
      RecoveryTargetSpec target = recovery.getTarget();
      if (target == null) {
        return;
      }
      String tbase = base + ".target";
      List<String> set = new ArrayList<>();
      if (target.getTime() != null) {
        set.add("time");
        if (!isRecoveryTime(target.getTime())) {
          c.error(tbase + ".time", "must be a timestamp such as 2024-05-01T10:00:00Z or"
              + " '2024-05-01 10:00:00+00', got " + quote(target.getTime()));
        }
      }
      if (target.getXid() != null) {
        set.add("xid");
        if (!isTransactionId(target.getXid())) {
          c.error(tbase + ".xid", "must be a transaction id (digits, at most 9223372036854775807), got "
              + quote(target.getXid()));
        }
      }
      if (target.getLsn() != null) {
        set.add("lsn");
        if (!LSN.matcher(target.getLsn()).matches()) {
          c.error(tbase + ".lsn", "must be a WAL location such as 0/3000060, got " + quote(target.getLsn()));
        }
      }
      if (target.getName() != null) {
        set.add("name");
        if (target.getName().isEmpty() || target.getName().length() > 63) {
          c.error(tbase + ".name", "must be a restore point name of 1 to 63 characters");
        } else if (target.getName().chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
          c.error(tbase + ".name", "must not contain line breaks or control characters, got " + quote(target.getName()));
        }
      }
      if (Boolean.TRUE.equals(target.getImmediate())) {
        set.add("immediate");
      }
      if (set.size() > 1) {
        c.error(tbase, "at most one of time, xid, lsn, name, immediate may be set, got "
            + String.join(", ", set));
      }
      if (target.getInclusive() != null && !set.contains("time") && !set.contains("xid")
          && !set.contains("lsn")) {
        c.warning(tbase + ".inclusive", "has no effect without time, xid or lsn");
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

  static boolean isRecoveryTime(String s) {
    try {
      OffsetDateTime.parse(s);
      return true;
    } catch (DateTimeParseException e) {
      // not ISO-8601 with an offset; try PostgreSQL's own format
    }
    Matcher m = PG_TIME.matcher(s);
    if (!m.matches()) {
      return false;
    }
    try {
      LocalDate.parse(m.group(1));
      LocalTime.parse(m.group(2));
    } catch (DateTimeParseException e) {
      return false;
    }
    if (m.group(3) != null && !m.group(3).equals("Z")) {
      String digits = m.group(3).substring(1).replace(":", "");
      int hours = Integer.parseInt(digits.substring(0, 2));
      int minutes = digits.length() > 2 ? Integer.parseInt(digits.substring(2)) : 0;
      return hours <= 15 && minutes < 60;
    }
    return true;
  }

  /** S3 bucket naming rules, or empty if the name follows them. */
  static Optional<String> bucketProblem(String bucket) {
    if (bucket == null || bucket.isEmpty()) {
      return Optional.of("required");
    }
    String rules = " (S3 bucket names are up to 63 lowercase letters, digits, '.' and '-',"
        + " starting and ending with a letter or digit), got " + quote(bucket);
    if (!BUCKET.matcher(bucket).matches()) {
      return Optional.of("not a valid bucket name" + rules);
    }
    if (bucket.contains("..") || bucket.contains(".-") || bucket.contains("-.")) {
      return Optional.of("not a valid bucket name: no '..', '.-' or '-.'" + rules);
    }
    if (isIpv4(bucket)) {
      return Optional.of("not a valid bucket name: must not look like an IP address, got " + quote(bucket));
    }
    if (bucket.startsWith("xn--") || bucket.startsWith("sthree-") || bucket.endsWith("-s3alias")
        || bucket.endsWith("--ol-s3")) {
      return Optional.of("not a valid bucket name: reserved prefix or suffix, got " + quote(bucket));
    }
    return Optional.empty();
  }

  static Optional<String> endpointProblem(String endpoint) {
    String usage = "must be an http(s) URL such as http://127.0.0.1:9000, got " + quote(endpoint);
    URI uri;
    try {
      uri = new URI(endpoint);
    } catch (URISyntaxException e) {
      return Optional.of(usage);
    }
    if (uri.getScheme() == null || uri.getHost() == null
        || !(uri.getScheme().equalsIgnoreCase("http") || uri.getScheme().equalsIgnoreCase("https"))) {
      return Optional.of(usage);
    }
    if (uri.getRawUserInfo() != null) {
      return Optional.of("must not contain credentials; use credentials.accessKeyIdEnv/secretAccessKeyEnv or file");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      return Optional.of("must not have a query or fragment, got " + quote(endpoint));
    }
    return Optional.empty();
  }
}
