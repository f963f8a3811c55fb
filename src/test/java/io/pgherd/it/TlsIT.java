package io.pgherd.it;

import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgherd.api.TlsStatus;
import io.pgherd.model.Names;
import io.pgherd.tls.Certificates;
import io.pgherd.tls.ClusterTls;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * spec.tls on a real cluster: switched on under a running cluster (no failover, no restart), then
 * every TCP connection is TLS and verified (clients with sslmode=verify-full through the load
 * balancer, the replica's streaming, a clone made by scaling out, the WAL archive and base
 * backups); certificates renewed before they expire and reloaded without a restart; switched off
 * again. Checked with the PostgreSQL 15 client tools (psql, openssl s_client -starttls postgres)
 * and pgjdbc, as users connect.
 */
class TlsIT extends ClusterTestBase {
  static final String ALT_NAME = "db.example.test";

  TlsIT() {
    super("itt", 49432, 49433, 1, "");
  }

  /** The engine's calls into the cluster's containers through every step of the class. */
  EngineWatch watch;

  @org.junit.jupiter.api.BeforeAll
  void watchTheEngine() throws Exception {
    watch = new EngineWatch(name);
  }

  @org.junit.jupiter.api.AfterAll
  void stopWatching() throws Exception {
    if (watch != null) {
      watch.close();
    }
  }

  String body(int members, String tls) {
    return "  instances: " + members + "\n" + tls + "  backup:\n    objectStore:\n      filesystem:\n        path: "
        + tmp.resolve("store") + "\n  loadBalancer:\n    readWritePort: " + rw + "\n    readOnlyPort: " + ro + "\n";
  }

  @Override
  String fullSpec() {
    return body(1, "");
  }

  void apply(String body) throws Exception {
    changed = Instant.now();
    assertThat(cli("apply", "-f", ItSupport.writeSpec(tmp, name, body).toString())).isZero();
  }

  /** The primary of the two-member cluster (primary() waits for the one member the class starts with). */
  String primaryOfTwo() {
    awaitHealthy(2);
    return memberName(home.readState(name).orElseThrow().primary());
  }

  Path caFile() {
    return new ClusterTls(home, name).caFile();
  }

  /** pgjdbc through the load balancer: verify-full against ca, to host (localhost or 127.0.0.1). */
  Connection tls(String host, int port, Path ca) throws Exception {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("password", home.secrets().secret(name, io.pgherd.store.Home.SUPERUSER_PASSWORD));
    p.setProperty("connectTimeout", "5");
    p.setProperty("sslmode", "verify-full");
    p.setProperty("sslrootcert", ca.toString());
    return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/postgres", p);
  }

  /** psql (libpq) with a conninfo string; the password from a private passfile. */
  ItSupport.Run psql(String conninfo, String sql) throws Exception {
    Path pass = tmp.resolve("pgpass");
    Files.writeString(pass, "*:*:*:postgres:" + home.secrets().secret(name, io.pgherd.store.Home.SUPERUSER_PASSWORD) + "\n");
    Files.setPosixFilePermissions(pass, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    return ItSupport.run(null, List.of("psql", "-XAtq", "-d", conninfo + " user=postgres dbname=postgres connect_timeout=5",
        "-c", sql), Map.of("PGPASSFILE", pass.toString()));
  }

  /** The serial number of the certificate the server on port presents (openssl s_client -starttls postgres). */
  String servedSerial(int port) throws Exception {
    ItSupport.Run r = ItSupport.run(null, List.of("bash", "-c", "openssl s_client -starttls postgres -connect 127.0.0.1:"
        + port + " </dev/null 2>/dev/null | openssl x509 -noout -serial"));
    assertThat(r.exitCode()).as(r.output()).isZero();
    return r.output().strip().replace("serial=", "").toLowerCase();
  }

  String storedSerial(String member) throws Exception {
    return Certificates.parseCertificate(Files.readString(home.secretsDir(name).resolve("tls-" + member + ".crt")))
        .getSerialNumber().toString(16);
  }

  @Test
  @Order(1)
  void switchedOnUnderARunningClusterWithoutFailoverOrRestart() throws Exception {
    String primary = primary();
    String started;
    try (Connection c = ItSupport.connect(home, name, rw)) {
      started = column0(c, "select pg_postmaster_start_time()::text");
      assertThat(column0(c, "select ssl::text from pg_stat_ssl where pid = pg_backend_pid()")).isEqualTo("false");
    }
    long timeline = status().getTimeline();

    apply(body(1, "  tls:\n    enabled: true\n    altNames: [" + ALT_NAME + "]\n"));
    await().atMost(ofSeconds(90)).pollInterval(ofSeconds(1)).untilAsserted(() -> {
      TlsStatus t = status().getTls();
      assertThat(t).isNotNull();
      assertThat(t.getState()).isEqualTo("enforced");
    });
    awaitHealthy(1);
    TlsStatus t = status().getTls();
    assertThat(t.getCaFile()).isEqualTo(caFile().toString());
    assertThat(Instant.parse(t.getCertificatesExpire())).isAfter(Instant.now().plus(java.time.Duration.ofDays(89)));
    assertThat(io.pgherd.store.ClusterLog.readAll(home, name)).contains("issue-certificate", "enforce-tls");

    // without TLS: refused by pg_hba (hostssl only), not merely unencrypted
    assertThatThrownBy(() -> ItSupport.connect(home, name, rw).close())
        .hasMessageContaining("no pg_hba.conf entry").hasMessageContaining("no encryption");
    for (String host : List.of("127.0.0.1", "localhost")) {
      try (Connection c = tls(host, rw, caFile())) {
        assertThat(column0(c, "select ssl::text || ' ' || version from pg_stat_ssl where pid = pg_backend_pid()"))
            .as(host).startsWith("true TLSv1.");
        // reloaded, not restarted; no failover
        assertThat(column0(c, "select pg_postmaster_start_time()::text")).isEqualTo(started);
      }
    }
    assertThat(memberName(home.readState(name).orElseThrow().primary())).isEqualTo(primary);
    assertThat(status().getTimeline()).isEqualTo(timeline);
    // the member's files: the key is the postgres user's and private; written by the member's agent
    // (which runs as postgres), not copied in through the engine (which would leave them root's)
    ItSupport.Run ls = ItSupport.run(null, List.of("docker", "exec", "pgherd-" + primary, "stat", "-c", "%U %a %n",
        ClusterTls.KEY_PATH, ClusterTls.CERT_PATH, ClusterTls.CA_PATH));
    assertThat(ls.output()).contains("postgres 600 " + ClusterTls.KEY_PATH, "postgres 644 " + ClusterTls.CERT_PATH,
        "postgres 644 " + ClusterTls.CA_PATH);
    // the private keys: 0600 in the home, and in no docker inspect, docker log or cluster log
    List<String> keys = new java.util.ArrayList<>();
    for (String file : List.of("tls-ca.key", "tls-" + primary + ".key")) {
      Path key = home.secretsDir(name).resolve(file);
      assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
          .as(file).isEqualTo("rw-------");
      String pem = Files.readString(key);
      keys.add(pem.substring(pem.indexOf('\n') + 1, pem.indexOf('\n') + 41)); // a line of the key's body
    }
    String seen = ItSupport.run(null, List.of("docker", "inspect", "pgherd-" + primary, Names.loadBalancer(name))).output()
        + ItSupport.run(null, List.of("docker", "logs", "pgherd-" + primary)).output()
        + io.pgherd.store.ClusterLog.readAll(home, name) + pgherd("status", name, "-o", "json").output();
    assertThat(keys).allSatisfy(k -> assertThat(seen).doesNotContain(k));
  }

  @Test
  @Order(2)
  void aReplicaClonedUnderEnforcedTlsStreamsOverTls() throws Exception {
    apply(body(2, "  tls:\n    enabled: true\n    altNames: [" + ALT_NAME + "]\n"));
    String primary = primaryOfTwo();
    String replica = memberName(2).equals(primary) ? memberName(1) : memberName(2);
    await().atMost(ofSeconds(60)).untilAsserted(() -> {
      try (Connection c = tls("127.0.0.1", rw, caFile())) {
        assertThat(column0(c, "select string_agg(r.application_name || ' ' || s.ssl, ',' order by 1)"
            + " from pg_stat_replication r join pg_stat_ssl s using (pid)"))
            .contains(replica + " true").contains("pgherd_archiver true").doesNotContain("false");
      }
    });
    // the replica verifies the primary's certificate (verify-full against the cluster's CA)
    try (Connection c = tls("127.0.0.1", ro, caFile())) {
      assertThat(column0(c, "select 1")).isEqualTo("1");
    }
    assertThat(column(member(replica, caFile()), "show primary_conninfo").get(0))
        .contains("sslmode=verify-full", "sslrootcert=/etc/pgherd/tls/ca.crt");
    assertThat(ItSupport.run(null, List.of("docker", "logs", "pgherd-" + replica)).output())
        .contains("TLS: connections to the primary verify its certificate");
  }

  Connection member(String member, Path ca) throws Exception {
    int port = docker.container(Names.container(member)).orElseThrow().publishedPorts().get(5432);
    return tls("127.0.0.1", port, ca);
  }

  @Test
  @Order(3)
  void clientsVerifyTheNameAndTheCaAndPgherdPsqlDoesItself() throws Exception {
    ItSupport.Run byAltName = psql("host=" + ALT_NAME + " hostaddr=127.0.0.1 port=" + rw + " sslmode=verify-full sslrootcert="
        + caFile(), "select ssl from pg_stat_ssl where pid = pg_backend_pid()");
    assertThat(byAltName.output().strip()).as(byAltName.output()).isEqualTo("t");
    ItSupport.Run otherName = psql("host=other.example.test hostaddr=127.0.0.1 port=" + rw
        + " sslmode=verify-full sslrootcert=" + caFile(), "select 1");
    assertThat(otherName.exitCode()).isNotZero();
    assertThat(otherName.output()).contains("does not match host name \"other.example.test\"");

    Path otherCa = tmp.resolve("other-ca.crt");
    Files.writeString(otherCa, Certificates.authority("other", Instant.now(), ClusterTls.CA_VALIDITY).certificatePem(),
        StandardCharsets.UTF_8);
    ItSupport.Run wrongCa = psql("host=localhost port=" + rw + " sslmode=verify-full sslrootcert=" + otherCa, "select 1");
    assertThat(wrongCa.exitCode()).isNotZero();
    assertThat(wrongCa.output()).contains("certificate verify failed");
    assertThatThrownBy(() -> tls("127.0.0.1", rw, otherCa).close()).hasMessageContaining("SSL");

    ItSupport.Run viaPgherd = pgherd("psql", name, "--", "-XAtqc", "select ssl from pg_stat_ssl where pid = pg_backend_pid()");
    assertThat(viaPgherd.exitCode()).as(viaPgherd.output()).isZero();
    assertThat(viaPgherd.output().strip()).isEqualTo("t");
    ItSupport.Run st = pgherd("status", name);
    assertThat(st.output()).contains("TLS:       enforced; CA " + caFile());
  }

  @Test
  @Order(4)
  void backupsAndTheWalArchiveConnectOverVerifiedTls() throws Exception {
    ItSupport.Run backup = pgherd("backup", name);
    assertThat(backup.exitCode()).as(backup.output()).isZero();
    String wal;
    try (Connection c = tls("127.0.0.1", rw, caFile())) {
      wal = column0(c, "select pg_walfile_name(pg_current_wal_lsn())");
      column0(c, "select pg_switch_wal()::text");
    }
    await().atMost(ofSeconds(60)).untilAsserted(() ->
        assertThat(status().getBackups().getLastArchivedWal()).isGreaterThanOrEqualTo(wal));
  }

  @Test
  @Order(5)
  void certificatesAreRenewedBeforeTheyExpireAndReloadedWithoutARestart() throws Exception {
    String primary = primaryOfTwo();
    String before = storedSerial(primary);
    String started;
    try (Connection held = tls("127.0.0.1", rw, caFile())) {
      started = column0(held, "select pg_postmaster_start_time()::text");
      // a certificate lives 10 minutes and is renewed when 580 s remain: every ~20 s
      apply(body(2, "  tls:\n    enabled: true\n    altNames: [" + ALT_NAME + "]\n    certificateValidity: 10m\n"
          + "    renewBefore: 580s\n"));
      await().atMost(ofSeconds(90)).pollInterval(ofSeconds(1)).untilAsserted(() ->
          assertThat(io.pgherd.store.ClusterLog.readAll(home, name)).contains("within renewBefore"));
      String renewed = storedSerial(primary);
      assertThat(renewed).isNotEqualTo(before);
      // the server presents a renewed certificate (the reload took it), the held session goes on
      await().atMost(ofSeconds(30)).untilAsserted(() -> assertThat(servedSerial(rw)).isNotEqualTo(before));
      assertThat(column0(held, "select 'still here'")).isEqualTo("still here");
    }
    try (Connection c = tls("localhost", rw, caFile())) {
      assertThat(column0(c, "select pg_postmaster_start_time()::text")).isEqualTo(started);
    }
    assertThat(Instant.parse(status().getTls().getCertificatesExpire())).isBefore(Instant.now().plusSeconds(601));
  }

  @Test
  @Order(6)
  void switchedOffPlainConnectionsAreAdmittedAgain() throws Exception {
    long timeline = status().getTimeline();
    apply(body(2, ""));
    await().atMost(ofSeconds(90)).pollInterval(ofSeconds(1)).untilAsserted(() -> {
      assertThat(status().getTls()).isNull();
      try (Connection c = ItSupport.connect(home, name, rw)) {
        assertThat(column0(c, "select ssl::text from pg_stat_ssl where pid = pg_backend_pid()")).isEqualTo("false");
      }
    });
    awaitHealthy(2);
    assertThat(io.pgherd.store.ClusterLog.readAll(home, name)).contains("stop-tls");
    assertThat(status().getTimeline()).isEqualTo(timeline);
    try (Connection c = ItSupport.connect(home, name, rw)) {
      assertThat(column0(c, "select count(*) from pg_stat_replication where state = 'streaming'")).isEqualTo("2");
    }
  }

  @Test
  @Order(7)
  void throughTlsOnAScaleOutARenewalAndTlsOffNothingWasExecutedInOrCopiedIntoARunningContainer() {
    // files (configuration, certificates, keys) reached running members through their agents; the
    // replica added by the scale-out got its own with its creation (not counted)
    assertThat(watch.all()).as("the watch saw the scale-out").anyMatch(e -> e.action().equals("create"));
    assertThat(watch.intrusions()).as("exec or archive calls into a started container (but this class's own"
        + " `docker exec … stat`; every exec has its exec_create, which names the command)")
        .filteredOn(e -> !e.action().contains(" stat -c ") && !e.action().startsWith("exec_die")).isEmpty();
  }
}
