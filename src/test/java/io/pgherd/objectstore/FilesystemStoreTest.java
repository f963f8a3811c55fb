package io.pgherd.objectstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesystemStoreTest {
  @TempDir
  Path dir;

  @Test
  void storesReadsListsAndDeletes() throws Exception {
    FilesystemStore store = new FilesystemStore(dir.resolve("backups"));
    store.put("demo/wal/00000002.history", new byte[] {1});
    store.put("demo/wal/000000010000000000000003.gz", new byte[] {1, 2});
    store.put("demo/base/20261126T020000Z/base.tar.gz", new byte[] {1, 2, 3});

    assertThat(store.list("demo/wal/")).extracting(ObjectStore.StoredObject::key) // sorted by key
        .containsExactly("demo/wal/000000010000000000000003.gz", "demo/wal/00000002.history");
    assertThat(store.list("demo/")).hasSize(3);
    assertThat(store.list("demo/wal/0000000100")).extracting(ObjectStore.StoredObject::size).containsExactly(2L);
    assertThat(store.list("other/")).isEmpty();
    assertThat(store.getBytes("demo/base/20261126T020000Z/base.tar.gz")).contains(new byte[] {1, 2, 3});
    assertThat(store.getBytes("demo/none")).isEmpty();

    store.put("demo/wal/00000002.history", new byte[] {7}); // replaced whole
    assertThat(store.getBytes("demo/wal/00000002.history")).contains(new byte[] {7});
    store.delete("demo/wal/00000002.history");
    store.delete("demo/wal/00000002.history");
    assertThat(store.list("demo/wal/")).hasSize(1);
    store.check("demo/.pgherd-check");
  }

  @Test
  void aBrokenSourceLeavesNothingBehind() throws Exception {
    FilesystemStore store = new FilesystemStore(dir);
    store.put("a/b", new byte[] {1});
    InputStream broken = new InputStream() {
      int n;

      @Override
      public int read() throws IOException {
        if (n++ > 1000) {
          throw new IOException("source broke");
        }
        return 5;
      }
    };
    assertThatThrownBy(() -> store.put("a/b", broken)).isInstanceOf(ObjectStoreException.class)
        .hasMessageContaining("source broke").hasMessageContaining(dir.toString());
    assertThat(store.getBytes("a/b")).contains(new byte[] {1}); // the old object, untouched
    try (var files = Files.list(dir.resolve("a"))) {
      assertThat(files).hasSize(1);
    }
  }

  @Test
  void objectsArePrivate() throws Exception {
    FilesystemStore store = new FilesystemStore(dir.resolve("s"));
    store.put("demo/base/x", new byte[] {1});
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("s/demo/base/x"))))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("s/demo/base"))))
        .isEqualTo("rwx------");
  }

  @Test
  void keysCannotEscapeTheRoot() {
    FilesystemStore store = new FilesystemStore(dir);
    for (String bad : new String[] {"../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", "a/", "", "a b", "a;b"}) {
      assertThatThrownBy(() -> store.put(bad, new byte[] {1}), bad).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
