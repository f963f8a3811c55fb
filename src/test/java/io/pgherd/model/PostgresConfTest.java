package io.pgherd.model;

import static io.pgherd.model.ConfTestSupport.config;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PostgresConfTest {
  @Test
  void primaryHasNoUpstreamAndKeepsWalHintsForRewind() {
    String conf = PostgresConf.render(config("  instances: 3\n"), "demo-1", null, List.of("demo-2", "demo-3"));
    assertThat(conf).contains("wal_level = 'replica'", "wal_log_hints = 'on'", "hot_standby = 'on'",
        "password_encryption = 'scram-sha-256'", "hba_file = '/etc/pgherd/pg_hba.conf'", "cluster_name = 'demo-1'");
    assertThat(conf).doesNotContain("primary_conninfo", "primary_slot_name", "synchronous_standby_names");
  }

  @Test
  void replicaStreamsFromThePrimaryThroughItsOwnSlotWithItsNameAsApplicationName() {
    String conf = PostgresConf.render(config("  instances: 3\n"), "demo-2", "pgherd-demo-1", List.of("demo-2", "demo-3"));
    assertThat(conf).contains("primary_conninfo = 'host=pgherd-demo-1 port=5432 user=replicator"
        + " application_name=demo-2 passfile=/run/pgherd/pgpass connect_timeout=5'");
    assertThat(conf).contains("primary_slot_name = 'demo_2'");
  }

  @Test
  void syncModeMakesThePrimaryWaitForAnyOneStandby() {
    String conf = PostgresConf.render(config("  instances: 3\n  replication:\n    mode: sync\n"), "demo-1", null,
        List.of("demo-2", "demo-3"));
    assertThat(conf).contains("synchronous_standby_names = 'ANY 1 (\"demo-2\",\"demo-3\")'");
  }

  @Test
  void userParametersAreAppendedQuoted() {
    String conf = PostgresConf.render(config("  postgres:\n    parameters:\n      max_connections: \"200\"\n"
        + "      application_name: \"it's\"\n"), "demo-1", null, List.of());
    assertThat(conf).contains("max_connections = '200'", "application_name = 'it''s'");
  }

  @Test
  void aSlotHoldsBackAtMostFourGigabytesOfWalOnEveryMember() {
    for (String upstream : new String[] {null, "pgherd-demo-1"}) {
      String conf = PostgresConf.render(config("  instances: 2\n"), "demo-2", upstream, List.of("demo-2"));
      assertThat(setting(conf, "max_slot_wal_keep_size")).contains("4GB");
    }
  }

  @Test
  void theSlotBoundIsTheSpecsWhenItSetsOne() {
    String conf = PostgresConf.render(config("  postgres:\n    parameters:\n      max_slot_wal_keep_size: \"64MB\"\n"),
        "demo-1", null, List.of());
    assertThat(setting(conf, "max_slot_wal_keep_size")).as("the value PostgreSQL takes: the last in the file")
        .contains("64MB");
    conf = PostgresConf.render(config("  postgres:\n    parameters:\n      max_slot_wal_keep_size: \"-1\"\n"),
        "demo-1", null, List.of());
    assertThat(setting(conf, "max_slot_wal_keep_size")).contains("-1");
  }

  /** What PostgreSQL reads for {@code name} from a generated file: its last line for that name wins. */
  private static java.util.Optional<String> setting(String conf, String name) {
    String value = null;
    for (String line : conf.split("\n")) {
      if (line.startsWith(name + " = '")) {
        value = line.substring(name.length() + 4, line.length() - 1);
      }
    }
    return java.util.Optional.ofNullable(value);
  }

  @Test
  void hbaAdmitsOnlyScramFromTheContainersNetworksAndPeerLocally() {
    String hba = PostgresConf.renderHba();
    assertThat(hba).contains("host    replication  replicator  samenet  scram-sha-256");
    assertThat(hba).contains("local   all          all                  peer");
    assertThat(hba).doesNotContain("trust", "0.0.0.0/0", " md5", "all          all         all");
  }

  @Test
  void memberEnvTellsACloneWhereToCloneFromAndCarriesNoSecret() {
    String env = PostgresConf.renderMemberEnv("demo-2", true, "pgherd-demo-1");
    assertThat(env).isEqualTo("PGHERD_MEMBER=demo-2\nPGHERD_BOOTSTRAP=clone\nPGHERD_PRIMARY_HOST=pgherd-demo-1\n"
        + "PGHERD_SLOT=demo_2\n");
    assertThat(PostgresConf.renderMemberEnv("demo-1", false, null)).isEqualTo(
        "PGHERD_MEMBER=demo-1\nPGHERD_BOOTSTRAP=initdb\n");
  }

  @Test
  void valuesThatAreNotPlainNamesStayOneValueInEveryFileAMemberReads() {
    String conf = PostgresConf.render(config("  postgres:\n    parameters:\n      application_name: \"a\\\\b'; x = 'y\"\n"),
        "demo-1", null, List.of());
    assertThat(conf).contains("application_name = 'a\\\\b''; x = ''y'\n");
    assertThat(QuotingTest.parseConf(conf)).containsEntry("application_name", "a\\b'; x = 'y").doesNotContainKey("x");
    // names are [a-z0-9-] (the validator refuses others); were one not, it would still be one value
    String hostile = "x' host=evil '";
    assertThat(QuotingTest.parseConninfo(PostgresConf.primaryConninfo(hostile, "pgherd-demo-1", false)))
        .containsEntry("application_name", hostile).containsEntry("host", "pgherd-demo-1");
    assertThat(PostgresConf.synchronousStandbyNames(List.of("a\"b"))).isEqualTo("ANY 1 (\"a\"\"b\")");
    assertThat(PostgresConf.renderMemberEnv("demo-2", true, "h; touch /tmp/x"))
        .contains("PGHERD_PRIMARY_HOST='h; touch /tmp/x'\n");
  }

  @Test
  void tlsIsServedFirstAndEnforcedOnlyThen() {
    var cfg = config("  instances: 2\n");
    String served = PostgresConf.render(cfg, "demo-2", "pgherd-demo-1", List.of("demo-2"), new PostgresConf.Tls(true, false));
    assertThat(served).contains("ssl = 'on'", "ssl_cert_file = '/etc/pgherd/tls/server.crt'",
        "ssl_key_file = '/etc/pgherd/tls/server.key'", "ssl_min_protocol_version = 'TLSv1.2'");
    // serving only: the replica does not insist on TLS (its primary may not serve it yet)
    assertThat(QuotingTest.parseConninfo(QuotingTest.parseConf(served).get("primary_conninfo")))
        .doesNotContainKeys("sslmode", "sslrootcert");
    assertThat(PostgresConf.renderHba(new PostgresConf.Tls(true, false))).isEqualTo(PostgresConf.renderHba());

    String enforced = PostgresConf.render(cfg, "demo-2", "pgherd-demo-1", List.of("demo-2"), new PostgresConf.Tls(true, true));
    assertThat(QuotingTest.parseConninfo(QuotingTest.parseConf(enforced).get("primary_conninfo")))
        .containsEntry("sslmode", "verify-full").containsEntry("sslrootcert", "/etc/pgherd/tls/ca.crt")
        .containsEntry("host", "pgherd-demo-1");
    String hba = PostgresConf.renderHba(new PostgresConf.Tls(true, true));
    assertThat(hba).contains("hostssl  replication  replicator  samenet  scram-sha-256",
        "hostssl  all          all         samenet  scram-sha-256", "local    all          all                  peer");
    assertThat(hba).doesNotContain("host    ", "hostnossl", "trust");

    assertThat(PostgresConf.render(cfg, "demo-1", null, List.of())).doesNotContain("ssl");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new PostgresConf.Tls(false, true))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
