package io.pgherd.it;

import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgherd.backup.WalArchiver;
import io.pgherd.objectstore.ObjectStore;
import io.pgherd.objectstore.S3ProxyServer;
import io.pgherd.objectstore.S3Store;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.TreeSet;
import java.util.UUID;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Continuous WAL archiving to a real S3-compatible server (s3proxy in this JVM): the segment
 * being written is in the store within seconds, and the archive has no missing segment across a
 * failover, an operator restart and a store outage.
 */
class WalArchiveIT extends ClusterTestBase {
  static S3ProxyServer s3;
  static final String BUCKET = "pgherd-wal-it";

  WalArchiveIT() {
    super("itw", 47432, 47433, 2, backupSpec());
  }

  /** The s3proxy server and a credentials file (AWS format) the spec names. */
  static String backupSpec() {
    try {
      s3 = new S3ProxyServer();
      s3.createBucket(BUCKET);
      Path creds = Files.createTempFile("pgherd-it-s3-", ".credentials");
      Files.writeString(creds, "[default]\naws_access_key_id = " + S3ProxyServer.ACCESS_KEY
          + "\naws_secret_access_key = " + S3ProxyServer.SECRET_KEY + "\n");
      return "  backup:\n    objectStore:\n      s3:\n        bucket: " + BUCKET + "\n        endpoint: \""
          + s3.endpoint() + "\"\n        pathStyle: true\n        prefix: it\n        credentials:\n          file: "
          + creds + "\n";
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @AfterAll
  static void stopS3() throws Exception {
    if (s3 != null) {
      s3.close();
    }
  }

  ObjectStore store() {
    return new S3Store(s3.settings(BUCKET, "it"));
  }

  String primary() {
    awaitHealthy(instances);
    return status().getPrimary();
  }

  String base() throws Exception {
    try (Connection c = member(primary())) {
      return "itw/" + column0(c, "select system_identifier::text from pg_control_system()") + "/";
    }
  }

  /** Complete segments in the store, as (log*256+seg) numbers, whatever their timeline. */
  TreeSet<Long> segments() throws Exception {
    TreeSet<Long> out = new TreeSet<>();
    try (ObjectStore st = store()) {
      for (ObjectStore.StoredObject o : st.list(base() + "wal/")) {
        String name = o.key().substring(o.key().lastIndexOf('/') + 1);
        if (name.matches("[0-9A-F]{24}\\.gz")) {
          out.add(Long.parseLong(name.substring(8, 16), 16) * 256 + Long.parseLong(name.substring(16, 24), 16));
        }
      }
    }
    return out;
  }

  /** No missing segment between the first and the last stored one (timeline 1 and 2 alike). */
  void assertContinuous(TreeSet<Long> s) {
    assertThat(s).isNotEmpty();
    assertThat(s.last() - s.first() + 1).as("segments %s have no gap", s).isEqualTo(s.size());
  }

  /** Each time: a committed row (so the segment holds something), then a switch to the next segment. */
  void switchWal(int times) throws Exception {
    switchWal(primary(), times);
  }

  void switchWal(String primary, int times) throws Exception {
    for (int i = 0; i < times; i++) {
      try (Connection c = member(primary)) {
        c.createStatement().execute("create table if not exists marks(t text)");
        c.createStatement().execute("insert into marks values ('switch')");
        column0(c, "select pg_switch_wal()::text");
      }
    }
  }

  @Test
  @Order(1)
  void theSegmentBeingWrittenIsInTheStoreWithinSecondsOfACommit() throws Exception {
    String marker = "pgherd-marker-" + UUID.randomUUID();
    try (Connection c = member(primary())) {
      c.createStatement().execute("create table if not exists marks(t text)");
      c.createStatement().execute("insert into marks values ('" + marker + "')");
    }
    long committed = System.nanoTime();
    await().atMost(ofSeconds(20)).pollInterval(ofSeconds(1)).ignoreExceptions().untilAsserted(() -> {
      try (ObjectStore st = store()) {
        List<ObjectStore.StoredObject> partial = st.list(base() + "wal/").stream()
            .filter(o -> o.key().endsWith(".partial.gz")).toList();
        assertThat(partial).hasSize(1);
        byte[] wal = new GZIPInputStream(new ByteArrayInputStream(st.getBytes(partial.get(0).key()).orElseThrow()))
            .readAllBytes();
        assertThat(new String(wal, StandardCharsets.ISO_8859_1)).contains(marker);
      }
    });
    System.out.printf("WalArchiveIT: a committed row was in the stored partial segment %d ms after the commit%n",
        (System.nanoTime() - committed) / 1_000_000);
    assertThat(column(member(primary()), "select slot_name from pg_replication_slots where slot_name = '"
        + WalArchiver.SLOT + "' and active")).containsExactly(WalArchiver.SLOT);
  }

  @Test
  @Order(2)
  void completeSegmentsFollowOneAnotherWithoutAGap() throws Exception {
    int before = segments().size();
    switchWal(3);
    await().atMost(ofSeconds(30)).untilAsserted(() -> assertThat(segments().size()).isGreaterThanOrEqualTo(before + 3));
    assertContinuous(segments());
    // status shows where the archive stands
    long newest = segments().last();
    await().atMost(ofSeconds(20)).untilAsserted(() -> {
      var b = status().getBackups();
      assertThat(b).isNotNull();
      assertThat(b.getArchiveError()).isNull();
      assertThat(b.getLastArchiveUpload()).isNotNull();
      assertThat(Long.parseLong(b.getLastArchivedWal().substring(8, 16), 16) * 256
          + Long.parseLong(b.getLastArchivedWal().substring(16, 24), 16)).isEqualTo(newest);
    });
  }

  @Test
  @Order(3)
  void acrossAFailoverTheArchiveFollowsTheNewPrimaryWithItsHistoryFile() throws Exception {
    String old = primary();
    String base = base();
    // killed right after a segment switch, the old timeline most likely ends exactly at a segment
    // boundary: the case where pg_receivewal needs the next timeline's segment seeded to resume
    switchWal(old, 1);
    disrupt("docker", "kill", "pgherd-" + old);
    await().atMost(ofSeconds(60)).until(() -> !old.equals(status().getPrimary()) && status().getTimeline() != null
        && status().getTimeline() >= 2);
    awaitHealthy(instances);
    switchWal(2);
    await().atMost(ofSeconds(60)).untilAsserted(() -> {
      try (ObjectStore st = store()) {
        assertThat(st.list(base + "wal/")).extracting(ObjectStore.StoredObject::key)
            .contains(base + "wal/00000002.history")
            .anyMatch(k -> k.startsWith(base + "wal/00000002/") && k.matches(".*/[0-9A-F]{24}\\.gz"));
      }
    });
    assertContinuous(segments());
  }

  @Test
  @Order(4)
  void acrossAnOperatorRestartNothingIsMissed() throws Exception {
    int before = segments().size();
    String primary = primary();
    operator.close();
    operator = null;
    switchWal(primary, 3); // the slot keeps this WAL on the server while nobody receives it
    operator = startOperator();
    await().atMost(ofSeconds(60)).untilAsserted(() -> assertThat(segments().size()).isGreaterThanOrEqualTo(before + 3));
    assertContinuous(segments());
  }

  @Test
  @Order(6)
  void aBaseBackupFromTheReplicaStreamsToTheStoreAndPgVerifybackupAcceptsIt() throws Exception {
    String primary = primary();
    String replica = status().getMembers().stream().map(m -> m.getName()).filter(m -> !m.equals(primary))
        .findFirst().orElseThrow();
    Path pgpass = tmp.resolve("pgpass-backup");
    Files.writeString(pgpass, "*:*:*:replicator:" + home.secret(name, io.pgherd.store.Home.REPLICATION_PASSWORD) + "\n");
    Files.setPosixFilePermissions(pgpass, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    int port = docker.container(io.pgherd.model.Names.container(replica)).orElseThrow().publishedPorts().get(5432);
    String base = base();
    List<String> progress = new java.util.ArrayList<>();
    io.pgherd.backup.BaseBackup.Result r;
    try (ObjectStore st = store()) {
      r = io.pgherd.backup.BaseBackup.run(st, base, "20261126T020000Z", new io.pgherd.backup.BaseBackup.Source(replica,
          "127.0.0.1", port), pgpass, progress::add);
      assertThat(st.getBytes(base + "base/20261126T020000Z/pgherd.json").map(b -> new String(b, StandardCharsets.UTF_8)))
          .hasValueSatisfying(j -> assertThat(j).contains("\"state\" : \"complete\"", r.sha256()));
      Path restore = tmp.resolve("restore");
      Files.createDirectories(restore);
      Path tarGz = tmp.resolve("base.tar.gz");
      try (InputStream in = st.get(base + "base/20261126T020000Z/base.tar.gz").orElseThrow()) {
        Files.copy(in, tarGz);
      }
      Files.write(restore.resolve("backup_manifest"), st.getBytes(base + "base/20261126T020000Z/backup_manifest")
          .orElseThrow());
      assertThat(ItSupport.run(null, List.of("tar", "-xzf", tarGz.toString(), "-C", restore.toString(),
          "--exclude=backup_manifest")).exitCode()).isZero();
      ItSupport.Run verify = ItSupport.run(null, List.of("/usr/lib/postgresql/15/bin/pg_verifybackup", "--no-parse-wal",
          restore.toString()));
      assertThat(verify.exitCode()).as(verify.output()).isZero();
      assertThat(verify.output()).contains("backup successfully verified");
    }
    assertThat(r.member()).isEqualTo(replica);
    assertThat(r.startLsn()).matches("[0-9A-F]+/[0-9A-F]+");
    assertThat(r.tarBytes()).isGreaterThan(10L << 20);
    assertThat(r.storedBytes()).isLessThan(r.tarBytes());
  }

  @Test
  @Order(5)
  void aStoreOutageIsReportedAndCaughtUpAfterwards() throws Exception {
    int before = segments().size();
    String primary = primary();
    s3.suspend();
    try {
      switchWal(primary, 3);
      await().atMost(ofSeconds(60)).untilAsserted(() ->
          assertThat(Files.readString(home.logFile(name))).contains("storing WAL failed (kept in the spool, retrying)"));
      await().atMost(ofSeconds(30)).untilAsserted(() ->
          assertThat(status().getBackups().getArchiveError()).contains("cannot reach " + s3.endpoint()));
    } finally {
      s3.resume();
    }
    await().atMost(ofSeconds(90)).untilAsserted(() -> assertThat(segments().size()).isGreaterThanOrEqualTo(before + 3));
    assertContinuous(segments());
  }
}
