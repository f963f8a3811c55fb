package io.pgherd.backup;

import java.util.Map;
import java.util.Set;

/**
 * The environment the operator gives the PostgreSQL tools it runs (pg_receivewal, pg_basebackup,
 * pg_waldump): only what running a program needs, plus what pgherd sets itself. The operator's own
 * environment may hold the S3 credentials (spec.backup...credentials.accessKeyIdEnv and
 * secretAccessKeyEnv), a PGPASSWORD or anything else of its user's: none of it is handed on.
 */
final class ChildEnvironment {
  private ChildEnvironment() {}

  static final Set<String> KEPT = Set.of("PATH", "HOME", "LANG", "TZ", "TMPDIR", "LD_LIBRARY_PATH");

  static boolean kept(String name) {
    return KEPT.contains(name) || name.startsWith("LC_");
  }

  /** Removes from env (a ProcessBuilder's, a copy of the operator's) everything but {@link #KEPT} and LC_*. */
  static void restrict(Map<String, String> env) {
    env.keySet().removeIf(name -> !kept(name));
  }

  /**
   * TLS for a libpq tool: verify-full against the cluster's CA when it is enforced; otherwise
   * libpq's default (prefer: TLS when the server offers it, unverified).
   */
  static void tls(Map<String, String> env, java.nio.file.Path rootCertificate) {
    if (rootCertificate != null) {
      env.put("PGSSLMODE", "verify-full");
      env.put("PGSSLROOTCERT", rootCertificate.toString());
    }
  }
}
