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
 * A cluster whose spec.backup points at a real S3-compatible server (s3proxy, in this JVM,
 * through a credentials file), with helpers to look into the store.
 */
abstract class ArchivedClusterTestBase extends ClusterTestBase {
  static S3ProxyServer s3;
  static final String BUCKET = "pgherd-it";

  static Path credentials;

  ArchivedClusterTestBase(String name, int rw, int ro, int instances, String backupExtra) {
    super(name, rw, ro, instances, backupSpec(name, backupExtra));
  }

  /** The s3proxy server and a credentials file (AWS format) the spec names. */
  static String backupSpec(String cluster, String extra) {
    try {
      s3 = new S3ProxyServer();
      s3.createBucket(BUCKET);
      Path creds = Files.createTempFile("pgherd-it-s3-", ".credentials");
      credentials = creds;
      Files.writeString(creds, "[default]\naws_access_key_id = " + S3ProxyServer.ACCESS_KEY
          + "\naws_secret_access_key = " + S3ProxyServer.SECRET_KEY + "\n");
      return "  backup:\n" + extra + "    objectStore:\n      s3:\n        bucket: " + BUCKET + "\n        endpoint: \""
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

  String base() throws Exception {
    try (Connection c = member(primary())) {
      return name + "/" + column0(c, "select system_identifier::text from pg_control_system()") + "/";
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

}
