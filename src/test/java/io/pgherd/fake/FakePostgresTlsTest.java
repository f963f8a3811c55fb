package io.pgherd.fake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgherd.model.Names;
import io.pgherd.model.PostgresConf;
import io.pgherd.postgres.Instance;
import io.pgherd.postgres.InstanceException;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.runtime.ContainerSpec;
import io.pgherd.runtime.ContainerSpec.FileContent;
import io.pgherd.tls.Certificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fake's TLS: a server serves it only with a key it accepts; pg_hba and the client's sslmode decide who gets in. */
class FakePostgresTlsTest {
  private static final PostgresConf.Tls SERVE = new PostgresConf.Tls(true, false);
  private static final PostgresConf.Tls ENFORCE = new PostgresConf.Tls(true, true);
  private static final Certificates.Pair CA = Certificates.authority("t", Instant.now(), Duration.ofDays(1));

  private final FakeEngine engine = new FakeEngine();

  private static Certificates.Pair certificate(String member) {
    String container = Names.container(member);
    return Certificates.server(CA, container, List.of(container, "127.0.0.1"), Instant.now(), Duration.ofHours(1));
  }

  /** postgresql.conf, pg_hba.conf and the TLS files as pgherd renders them for {@code tls} ({@code key}: mode, owner). */
  private static Map<String, FileContent> config(String member, String primary, PostgresConf.Tls tls, int keyMode,
      int keyOwner) {
    Map<String, FileContent> files = new LinkedHashMap<>();
    String conf = (tls.serve() ? "ssl = 'on'\nssl_cert_file = '" + PostgresConf.TLS_CERT_PATH + "'\nssl_key_file = '"
        + PostgresConf.TLS_KEY_PATH + "'\n" : "")
        + (primary == null ? "" : "primary_conninfo = 'host=" + primary + " port=5432 user=replicator application_name="
            + member + (tls.enforce() ? " sslmode=verify-full sslrootcert=" + PostgresConf.TLS_CA_PATH : "") + "'\n"
            + "primary_slot_name = '" + Names.slot(member) + "'\n");
    files.put(PostgresConf.CONF_PATH, FileContent.of(conf, 0644));
    files.put(PostgresConf.HBA_PATH, FileContent.of(PostgresConf.renderHba(tls), 0644));
    if (tls.serve()) {
      Certificates.Pair pair = certificate(member);
      files.put(PostgresConf.TLS_CA_PATH, FileContent.of(CA.certificatePem(), 0644));
      files.put(PostgresConf.TLS_CERT_PATH, FileContent.of(pair.certificatePem(), 0644));
      files.put(PostgresConf.TLS_KEY_PATH, FileContent.of(pair.keyPem(), keyMode, keyOwner));
    }
    return files;
  }

  /** A member's container, created with {@code config} and started; its name. */
  private String member(String member, String primary, Map<String, FileContent> config) {
    engine.ensureNetwork("pgherd-t", Map.of(Names.LABEL_CLUSTER, "t"));
    Map<String, FileContent> files = new LinkedHashMap<>(config);
    files.put(PostgresConf.MEMBER_ENV_PATH, FileContent.of(PostgresConf.renderMemberEnv(member,
        primary == null ? "initdb" : "clone", primary), 0644));
    files.put(PostgresConf.SECRETS_DIR + "/superuser-password", FileContent.of("pw", 0600));
    files.put(PostgresConf.SECRETS_DIR + "/replication-password", FileContent.of("rpw", 0600));
    String id = engine.create(new ContainerSpec(Names.container(member), "pgherd/postgres:15", "pgherd-t",
        Map.of(Names.LABEL_CLUSTER, "t", Names.LABEL_MEMBER, member, Names.LABEL_COMPONENT, Names.COMPONENT_MEMBER),
        Map.of(Names.volume(member), FakePostgres.DATA_DIR), List.of(new ContainerSpec.Port("127.0.0.1", 0, 5432)),
        files));
    engine.start(id);
    return Names.container(member);
  }

  /** The reconciler's connection: sslmode=disable without a root certificate, verify-full with one. */
  private Instance sql(String container, Path rootCertificate) {
    ContainerInfo c = engine.container(container).orElseThrow();
    return engine.postgres().connect("127.0.0.1", c.publishedPorts().get(5432), "postgres", "pw", rootCertificate);
  }

  @Test
  void aKeyOthersCanReadKeepsTheServerFromStartingAndAReloadWithOneKeepsTheTlsItServed() throws Exception {
    member("t-1", null, config("t-1", null, SERVE, 0644, PgTls.POSTGRES_UID));
    assertThat(engine.state("pgherd-t-1")).contains("exited");
    assertThat(engine.output("pgherd-t-1")).last().isEqualTo("postgres: FATAL:  private key file \""
        + PostgresConf.TLS_KEY_PATH + "\" has group or world access");

    member("t-2", null, config("t-2", null, SERVE, 0600, 0));
    assertThat(engine.output("pgherd-t-2")).last().asString().endsWith("\": Permission denied");

    String id = member("t-3", null, config("t-3", null, SERVE, 0600, PgTls.POSTGRES_UID));
    assertThat(engine.postgres().servesTls("t-3")).isTrue();
    engine.copyFiles(id, Map.of(PostgresConf.TLS_KEY_PATH, FileContent.of(certificate("t-3").keyPem(), 0600,
        PgTls.POSTGRES_UID)));
    sql(id, null).reloadConf();
    assertThat(engine.output("pgherd-t-3")).contains("postgres: LOG:  check of private key failed: key values mismatch",
        "postgres: LOG:  SSL configuration was not reloaded");
    assertThat(engine.postgres().servesTls("t-3")).as("still the TLS it loaded").isTrue();

    engine.copyFiles(id, config("t-3", null, PostgresConf.Tls.OFF, 0, 0));
    sql(id, null).reloadConf();
    assertThat(engine.postgres().servesTls("t-3")).isFalse();
  }

  @Test
  void hostsslRefusesPlainConnectionsAndVerifyFullNeedsTheServerToServeTlsWithACertificateOfTheCa(@TempDir Path dir)
      throws Exception {
    Path ca = Files.writeString(dir.resolve("ca.crt"), CA.certificatePem());
    Path otherCa = Files.writeString(dir.resolve("other.crt"),
        Certificates.authority("x", Instant.now(), Duration.ofDays(1)).certificatePem());
    String enforcing = member("t-1", null, config("t-1", null, ENFORCE, 0600, PgTls.POSTGRES_UID));
    String plain = member("t-2", null, config("t-2", null, PostgresConf.Tls.OFF, 0, 0));

    assertThatThrownBy(() -> sql(enforcing, null).probe()).isInstanceOf(InstanceException.class).hasMessage(
        "FATAL:  no pg_hba.conf entry for host \"172.30.0.1\", user \"postgres\", database \"postgres\", no encryption");
    assertThat(sql(enforcing, ca).probe().inRecovery()).isFalse();
    assertThatThrownBy(() -> sql(enforcing, otherCa).probe()).hasMessage("SSL error: certificate verify failed");
    assertThatThrownBy(() -> sql(plain, ca).probe()).hasMessage("server does not support SSL, but SSL was required");
    assertThat(sql(plain, null).probe().inRecovery()).isFalse();
  }

  @Test
  void aStandbyVerifyingItsPrimaryStreamsOverTlsOnlyWithTheCaInItsContainer(@TempDir Path dir) throws Exception {
    String primary = member("t-1", null, config("t-1", null, ENFORCE, 0600, PgTls.POSTGRES_UID));
    sql(primary, Files.writeString(dir.resolve("ca.crt"), CA.certificatePem())).createSlot("t_2");
    Map<String, FileContent> withoutCa = config("t-2", "pgherd-t-1", ENFORCE, 0600, PgTls.POSTGRES_UID);
    withoutCa.remove(PostgresConf.TLS_CA_PATH);
    member("t-2", "pgherd-t-1", withoutCa);
    assertThat(engine.state("pgherd-t-2")).contains("exited");
    assertThat(engine.output("pgherd-t-2")).contains("pgherd-entrypoint: pg_basebackup: error: connection to server at"
        + " \"pgherd-t-1\", port 5432 failed: root certificate file \"" + PostgresConf.TLS_CA_PATH + "\" does not exist");

    String replica = "pgherd-t-2";
    engine.copyFiles(replica, config("t-2", "pgherd-t-1", ENFORCE, 0600, PgTls.POSTGRES_UID));
    engine.start(replica);
    engine.containers(Names.LABEL_CLUSTER, "t"); // a step of simulated time: it connects

    assertThat(engine.postgres().streamingFrom("t-2")).contains("pgherd-t-1");
    assertThat(engine.postgres().streamsOverTls("t-2")).isTrue();
  }
}
