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
class WalArchiveIT extends ArchivedClusterTestBase {
  WalArchiveIT() {
    super("itw", 47432, 47433, 2, "");
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
  @Order(5)
  void aStoreOutageIsReportedAndCaughtUpAfterwards() throws Exception {
    int before = segments().size();
    String primary = primary();
    s3.suspend();
    try {
      switchWal(primary, 3);
      await().atMost(ofSeconds(60)).untilAsserted(() ->
          assertThat(io.pgherd.store.ClusterLog.readAll(home, name)).contains("storing WAL failed (kept in the spool, retrying)"));
      await().atMost(ofSeconds(30)).untilAsserted(() ->
          assertThat(status().getBackups().getArchiveError()).contains("cannot reach " + s3.endpoint()));
    } finally {
      s3.resume();
    }
    await().atMost(ofSeconds(90)).untilAsserted(() -> assertThat(segments().size()).isGreaterThanOrEqualTo(before + 3));
    assertContinuous(segments());
  }
}
