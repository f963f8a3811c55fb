package io.pgherd.api;

import static io.pgherd.api.SpecErrors.quote;

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
 *
 * <p>This class is the entry point; the work is done by {@link SpecReader} (the YAML, read
 * defensively), {@link StrictScalars} (how values bind), {@link SpecErrors} (what went wrong, said
 * with the field path), {@link ClusterRules} and the rules of each section, all reporting to one
 * {@link Collector}.
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
      new ClusterRules(c).cluster(cluster);
    } catch (RuntimeException e) {
      c.error(DOCUMENT, "cannot validate the spec: " + e);
    }
    return c.result(cluster);
  }

  // ---------------------------------------------------------------------------------------------
  // checks and quoting that the command line uses too

  private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?");
  private static final Pattern XID = Pattern.compile("[0-9]{1,20}");

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
