package io.pgherd.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HomeSnapshotTest {
  @TempDir Path dir;

  @Test
  void theKeptDirectoriesAndTheClusterLogsTravelWithTheirModesAndNothingElseDoes() throws Exception {
    Path a = dir.resolve("a");
    Home home = new Home(a);
    home.writeSpec("demo", "spec: 1\n");
    home.secrets().secret("demo", Home.SUPERUSER_PASSWORD);
    Files.createDirectories(a.resolve("logs/demo"));
    Files.writeString(a.resolve("logs/demo.log"), "a log line\n");
    Files.writeString(a.resolve("logs/demo.log.1"), "an older line\n");
    Files.writeString(a.resolve("logs/demo/demo-1.20261208T000000Z.log"), "a replaced container's last lines\n");
    Files.createDirectories(a.resolve("status"));
    Files.writeString(a.resolve("status/demo.json"), "{}");
    byte[] snapshot = HomeSnapshot.pack(a);
    assertThat(HomeSnapshot.pack(a)).as("the same files, the same bytes").isEqualTo(snapshot);

    Path b = dir.resolve("b");
    Files.createDirectories(b.resolve("clusters"));
    Files.writeString(b.resolve("clusters/gone.yaml"), "a cluster deleted since\n");
    Files.createDirectories(b.resolve("logs/other"));
    Files.writeString(b.resolve("logs/demo.log"), "this node's own, older history\n");
    Files.writeString(b.resolve("logs/gone.log"), "not in the snapshot\n");
    Files.writeString(b.resolve("logs/other/other-2.20261201T000000Z.log"), "this node's own\n");
    HomeSnapshot.unpack(snapshot, b);
    Home other = new Home(b);
    assertThat(other.readSpec("demo")).contains("spec: 1\n");
    assertThat(other.secrets().secret("demo", Home.SUPERUSER_PASSWORD))
        .isEqualTo(home.secrets().secret("demo", Home.SUPERUSER_PASSWORD));
    Path pw = other.secretsDir("demo").resolve(Home.SUPERUSER_PASSWORD);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pw)))
        .isEqualTo(PosixFilePermissions.toString(Files.getPosixFilePermissions(
            home.secretsDir("demo").resolve(Home.SUPERUSER_PASSWORD))));
    assertThat(b.resolve("clusters/gone.yaml")).doesNotExist();
    assertThat(b.resolve("logs/demo.log")).as("the history moves with the home").hasContent("a log line");
    assertThat(b.resolve("logs/demo.log.1")).hasContent("an older line");
    assertThat(b.resolve("logs/gone.log")).doesNotExist();
    assertThat(b.resolve("logs/demo")).as("replaced containers' lines stay where they were kept").doesNotExist();
    assertThat(b.resolve("logs/other/other-2.20261201T000000Z.log")).exists();
    assertThat(b.resolve("status")).doesNotExist();
    assertThat(HomeSnapshot.pack(b)).isEqualTo(snapshot);
  }

  @Test
  void aSnapshotWithoutAnyClusterLogLeavesTheNodesLogsAsTheyAre() throws Exception {
    Path a = dir.resolve("a"); // as a pgherd stored it before the logs moved with the home
    new Home(a).writeSpec("demo", "spec: 1\n");
    Path b = dir.resolve("b");
    Files.createDirectories(b.resolve("logs"));
    Files.writeString(b.resolve("logs/demo.log"), "the history this node kept\n");
    HomeSnapshot.unpack(HomeSnapshot.pack(a), b);
    assertThat(new Home(b).readSpec("demo")).contains("spec: 1\n");
    assertThat(b.resolve("logs/demo.log")).hasContent("the history this node kept");
  }

  @Test
  void aSealedSnapshotOpensOnlyWithTheSameKeyAndName() throws Exception {
    Path key = dir.resolve("key");
    Files.write(key, HomeCipher.newKeyMaterial());
    HomeCipher cipher = HomeCipher.fromFile(key);
    byte[] plain = "the home".getBytes(StandardCharsets.UTF_8);
    byte[] sealed = cipher.seal(plain, "pgherd-home.7");
    assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("the home");
    assertThat(HomeCipher.fromFile(key).open(sealed, "pgherd-home.7")).isEqualTo(plain);
    assertThatThrownBy(() -> cipher.open(sealed, "pgherd-home.8")).hasMessageContaining("pgherd-home.8 cannot be opened");
    Path other = dir.resolve("other");
    Files.write(other, HomeCipher.newKeyMaterial());
    assertThatThrownBy(() -> HomeCipher.fromFile(other).open(sealed, "pgherd-home.7"))
        .hasMessageContaining("another key sealed it");
    Files.writeString(dir.resolve("short"), "too short");
    assertThatThrownBy(() -> HomeCipher.fromFile(dir.resolve("short"))).hasMessageContaining("at least 32");
  }

  @Test
  void anEntryOutsideTheKeptDirectoriesIsRefused() throws Exception {
    Path a = dir.resolve("a");
    Files.createDirectories(a.resolve("logs"));
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(
        new java.util.zip.GZIPOutputStream(bytes))) {
      var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("clusters/../../evil");
      e.setSize(1);
      tar.putArchiveEntry(e);
      tar.write('x');
      tar.closeArchiveEntry();
    }
    assertThatThrownBy(() -> HomeSnapshot.unpack(bytes.toByteArray(), a)).hasMessageContaining("outside");
    assertThat(dir.resolve("evil")).doesNotExist();
    for (String name : new String[] {"logs/demo/demo-1.log", "logs/.demo.log.tmp", "logs/notes.txt", "status/demo.log"}) {
      java.io.ByteArrayOutputStream other = new java.io.ByteArrayOutputStream();
      try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(
          new java.util.zip.GZIPOutputStream(other))) {
        var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry(name);
        e.setSize(1);
        tar.putArchiveEntry(e);
        tar.write('x');
        tar.closeArchiveEntry();
      }
      assertThatThrownBy(() -> HomeSnapshot.unpack(other.toByteArray(), a)).as(name).hasMessageContaining("outside");
    }
  }

  @Test
  void aHomeSetAsideLeavesNothingToPackAndLosesNothing() throws Exception {
    Path a = dir.resolve("a");
    Home home = new Home(a);
    home.writeSpec("old", "spec: 1\n");
    home.secrets().secret("old", Home.SUPERUSER_PASSWORD);
    Files.createDirectories(a.resolve("requests"));
    Files.createDirectories(a.resolve("logs"));
    Files.writeString(a.resolve("logs/old.log"), "a log line\n");
    Files.createDirectories(a.resolve("status"));
    Files.writeString(a.resolve("status/old.json"), "{}");
    byte[] before = HomeSnapshot.pack(a);

    assertThat(HomeSnapshot.setAside(a, "set-aside-1")).containsExactly("clusters", "secrets", "logs");
    assertThat(HomeSnapshot.pack(a)).as("an empty home's snapshot").isEqualTo(HomeSnapshot.pack(dir.resolve("empty")));
    assertThat(Files.readString(a.resolve("set-aside-1/clusters/old.yaml"))).isEqualTo("spec: 1\n");
    assertThat(a.resolve("set-aside-1/logs/old.log")).as("an earlier deploy's history is not the new clusters'").exists();
    assertThat(a.resolve("status/old.json")).as("what is not kept stays").exists();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(a.resolve("set-aside-1")))).isEqualTo("rwx------");
    Path back = dir.resolve("back");
    Files.createDirectories(back);
    for (String d : new String[] {"clusters", "secrets", "logs"}) {
      Files.move(a.resolve("set-aside-1").resolve(d), back.resolve(d));
    }
    assertThat(HomeSnapshot.pack(back)).as("the same files, moved whole").isEqualTo(before);
    assertThat(HomeSnapshot.setAside(a, "set-aside-2")).as("nothing left to move").isEmpty();
    assertThat(a.resolve("set-aside-2")).doesNotExist();
    assertThatThrownBy(() -> HomeSnapshot.setAside(a, "../elsewhere")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HomeSnapshot.setAside(a, "clusters")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HomeSnapshot.setAside(a, "logs")).isInstanceOf(IllegalArgumentException.class);
  }
}
