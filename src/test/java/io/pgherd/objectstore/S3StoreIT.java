package io.pgherd.objectstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** S3Store against a real S3-compatible server (s3proxy, in this JVM). */
class S3StoreIT {
  static S3ProxyServer server;

  @BeforeAll
  static void start() throws Exception {
    server = new S3ProxyServer();
    server.createBucket("pgbackups");
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  /** A deterministic stream of n pseudo-random bytes that fails after failAfter bytes (or never, -1). */
  static InputStream bytes(long n, long seed, long failAfter) {
    return new InputStream() {
      final Random random = new Random(seed);
      long left = n;
      long given;

      @Override
      public int read() throws IOException {
        byte[] b = new byte[1];
        return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (failAfter >= 0 && given >= failAfter) {
          throw new IOException("the source broke after " + given + " bytes");
        }
        if (left == 0) {
          return -1;
        }
        int k = (int) Math.min(len, Math.min(left, 64 * 1024));
        byte[] chunk = new byte[k];
        random.nextBytes(chunk);
        System.arraycopy(chunk, 0, b, off, k);
        left -= k;
        given += k;
        return k;
      }
    };
  }

  static String sha256(InputStream in) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    byte[] buf = new byte[1 << 16];
    for (int n; (n = in.read(buf)) > 0; ) {
      md.update(buf, 0, n);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  @Test
  void storesReadsListsAndDeletesUnderItsPrefix() throws Exception {
    try (S3Store store = new S3Store(server.settings("pgbackups", "team-a/"));
        S3Store other = new S3Store(server.settings("pgbackups", "team-b"))) {
      store.put("demo/wal/00000001.history", "1\t0/3000000\tno recovery target\n".getBytes(StandardCharsets.UTF_8));
      store.put("demo/wal/000000010000000000000001.gz", new byte[] {1, 2, 3});
      other.put("demo/wal/000000010000000000000001.gz", new byte[] {9});

      assertThat(store.list("demo/wal/")).extracting(ObjectStore.StoredObject::key)
          .containsExactly("demo/wal/00000001.history", "demo/wal/000000010000000000000001.gz");
      assertThat(store.list("demo/wal/0000000100")).extracting(ObjectStore.StoredObject::size).containsExactly(3L);
      assertThat(store.getBytes("demo/wal/000000010000000000000001.gz")).contains(new byte[] {1, 2, 3});
      assertThat(store.getBytes("demo/nothing-here")).isEmpty();

      store.delete("demo/wal/000000010000000000000001.gz");
      store.delete("demo/wal/000000010000000000000001.gz"); // absent is success
      assertThat(store.list("demo/")).extracting(ObjectStore.StoredObject::key)
          .containsExactly("demo/wal/00000001.history");
      assertThat(other.getBytes("demo/wal/000000010000000000000001.gz")).contains(new byte[] {9});
      store.check("demo/.pgherd-check");
    }
  }

  @Test
  void aLargeStreamGoesUpInPartsAndReadsBackTheSame() throws Exception {
    long size = 2L * S3Store.PART_SIZE + 12345; // three parts, the last one short
    try (S3Store store = new S3Store(server.settings("pgbackups", "big"))) {
      long stored = store.put("base/20261126T020000Z/base.tar.gz", bytes(size, 42, -1));
      assertThat(stored).isEqualTo(size);
      assertThat(store.list("base/")).extracting(ObjectStore.StoredObject::size).containsExactly(size);
      try (InputStream in = store.get("base/20261126T020000Z/base.tar.gz").orElseThrow()) {
        assertThat(sha256(in)).isEqualTo(sha256(bytes(size, 42, -1)));
      }
    }
  }

  @Test
  void anUploadWhoseSourceBreaksLeavesNoObject() throws Exception {
    try (S3Store store = new S3Store(server.settings("pgbackups", "broken"))) {
      assertThatThrownBy(() -> store.put("base/x/base.tar.gz", bytes(3L * S3Store.PART_SIZE, 7, S3Store.PART_SIZE + 1)))
          .isInstanceOf(ObjectStoreException.class)
          .hasMessageContaining("s3://pgbackups/broken/")
          .hasMessageContaining("the source broke");
      assertThat(store.list("")).isEmpty();
    }
  }

  @Test
  void wrongCredentialsMissingBucketAndUnreachableEndpointSayWhatIsWrongWithoutTheSecret() throws Exception {
    S3Store.Settings good = server.settings("pgbackups", "");
    S3Store.Settings wrongKey = new S3Store.Settings("pgbackups", "", good.endpoint(), "us-east-1", true, good.accessKeyId(),
        "not-the-secret-0123456789");
    try (S3Store store = new S3Store(wrongKey)) {
      assertThatThrownBy(() -> store.put("k", new byte[] {1}))
          .isInstanceOf(ObjectStoreException.class)
          .hasMessageContaining("access denied")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not-the-secret"));
    }
    try (S3Store store = new S3Store(server.settings("no-such-bucket", ""))) {
      assertThatThrownBy(() -> store.list(""))
          .isInstanceOf(ObjectStoreException.class)
          .hasMessageContaining("bucket no-such-bucket does not exist");
    }
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    URI nowhere = URI.create("http://127.0.0.1:" + closed);
    try (S3Store store = new S3Store(new S3Store.Settings("pgbackups", "", nowhere, "us-east-1", true, good.accessKeyId(),
        good.secretAccessKey()))) {
      assertThatThrownBy(() -> store.check("probe"))
          .isInstanceOf(ObjectStoreException.class)
          .hasMessageContaining("cannot reach " + nowhere)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain(S3ProxyServer.SECRET_KEY));
    }
    assertThat(good.toString()).doesNotContain(S3ProxyServer.SECRET_KEY).doesNotContain(S3ProxyServer.ACCESS_KEY);
  }
}
