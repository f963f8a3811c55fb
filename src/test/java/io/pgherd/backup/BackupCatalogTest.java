package io.pgherd.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgherd.api.Compression;
import io.pgherd.objectstore.FilesystemStore;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackupCatalogTest {
  @TempDir Path dir;

  @Test
  void listsEveryRecordOfTheClusterOldestFirstAndAnUnreadableOneAsFailed() throws Exception {
    ObjectMapper json = new ObjectMapper();
    try (FilesystemStore store = new FilesystemStore(dir)) {
      store.put("c/7/base/20261102T000000Z/pgherd.json", json.writeValueAsBytes(Map.of("id", "20261102T000000Z",
          "state", "complete", "startLsn", "0/2000028", "timeline", 1, "unknownField", "x")));
      store.put("c/7/base/20261101T000000Z/pgherd.json", json.writeValueAsBytes(Map.of("id", "20261101T000000Z",
          "state", "running")));
      store.put("c/9/base/20261103T000000Z/pgherd.json", "{not json".getBytes(StandardCharsets.UTF_8));
      store.put("c/7/wal/00000001/000000010000000000000001.gz", new byte[1]);
      store.put("other/7/base/20261101T000000Z/pgherd.json", json.writeValueAsBytes(Map.of("id", "x", "state", "complete")));

      var all = BackupCatalog.list(store, "c");
      assertThat(all).extracting(BackupInfo::id).containsExactly("20261101T000000Z", "20261102T000000Z",
          "20261103T000000Z");
      assertThat(all.get(1).complete()).isTrue();
      assertThat(all.get(1).systemIdentifier()).isEqualTo("7");
      assertThat(all.get(2).state()).isEqualTo("failed");
      assertThat(all.get(2).error()).contains("not valid JSON");
      assertThat(BackupCatalog.list(store, "c", "7")).hasSize(2);

      BaseBackup.markInterrupted(store, "c/7/", "20261101T000000Z", "interrupted");
      assertThat(BackupCatalog.find(store, "c/7/", "20261101T000000Z")).hasValueSatisfying(b -> {
        assertThat(b.state()).isEqualTo("failed");
        assertThat(b.error()).isEqualTo("interrupted");
      });
    }
  }

  @Test
  void compressionRoundTrips() throws Exception {
    byte[] data = "PostgreSQL pages ".repeat(10_000).getBytes(StandardCharsets.UTF_8);
    for (Compression c : Compression.values()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (OutputStream z = CompressionStreams.compress(c, out)) {
        z.write(data);
      }
      if (c != Compression.NONE) {
        assertThat(out.size()).as(c.label()).isLessThan(data.length / 10);
      }
      assertThat(CompressionStreams.decompress(c, new java.io.ByteArrayInputStream(out.toByteArray())).readAllBytes())
          .isEqualTo(data);
      assertThat(Compression.parse(c.label())).isEqualTo(c);
    }
    assertThat(Compression.ZSTD.tarName()).isEqualTo("base.tar.zst");
  }
}
