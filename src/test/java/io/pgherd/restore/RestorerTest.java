package io.pgherd.restore;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RestorerTest {
  @Test
  void postgresReasonIsTakenFromTheLinesBeforeTheEntrypointsFatalIgnoringConnectionAttempts() {
    String logs = String.join("\n",
        "pgherd-entrypoint: restore: recovering /var/lib/postgresql/data/pgdata (1 target setting(s))",
        "2026-11-27 04:01:02.100 UTC [40] LOG:  starting point-in-time recovery to XID 9999999",
        "2026-11-27 04:01:02.300 UTC [41] postgres@postgres FATAL:  the database system is starting up",
        "2026-11-27 04:01:03.000 UTC [40] FATAL:  recovery ended before configured recovery target was reached",
        "2026-11-27 04:01:03.001 UTC [44] postgres@postgres FATAL:  no pg_hba.conf entry for host \"172.18.0.1\","
            + " user \"postgres\", database \"postgres\", no encryption",
        "2026-11-27 04:01:03.010 UTC [38] LOG:  startup process (PID 40) exited with exit code 1",
        "pgherd-entrypoint: FATAL: restore failed: PostgreSQL stopped during recovery (exit status 1);"
            + " its FATAL line above says why");
    assertThat(Restorer.failure(logs)).isEqualTo("restore failed: PostgreSQL stopped during recovery (exit status 1):"
        + " recovery ended before configured recovery target was reached");
  }

  @Test
  void theEntrypointsOwnReasonStandsAloneAndNoFatalLineMeansNoRestoreFailure() {
    assertThat(Restorer.failure("pgherd-entrypoint: FATAL: restore: $RESTORE/data holds no base backup\n"))
        .isEqualTo("restore: $RESTORE/data holds no base backup");
    assertThat(Restorer.failure("pgherd-entrypoint: FATAL: restore failed: PostgreSQL stopped during recovery"
        + " (exit status 2); its FATAL line above says why\n"))
        .isEqualTo("restore failed: PostgreSQL stopped during recovery (exit status 2) (PostgreSQL logged no reason)");
    assertThat(Restorer.failure("2026-11-27 04:01:03.000 UTC [40] FATAL:  terminating connection\n")).isNull();
  }
}
