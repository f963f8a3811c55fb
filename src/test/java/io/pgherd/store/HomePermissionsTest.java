package io.pgherd.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The home holds the clusters' passwords: it is 0700, its secrets 0700/0600, whoever creates it first. */
class HomePermissionsTest {
  @TempDir Path dir;

  static String mode(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void aHomeCreatedByAnyWriterIsPrivate() throws Exception {
    // before: Files.createDirectories with the umask (0755 here); every first writer is covered
    Home spec = new Home(dir.resolve("a/home"));
    spec.writeSpec("demo", "x: 1\n");
    assertThat(mode(spec.root())).isEqualTo("rwx------");
    Home secret = new Home(dir.resolve("b"));
    String pw = secret.secrets().secret("demo", Home.SUPERUSER_PASSWORD);
    assertThat(pw).hasSize(32);
    assertThat(mode(secret.root())).isEqualTo("rwx------");
    assertThat(mode(secret.secretsDir("demo").getParent())).isEqualTo("rwx------");
    assertThat(mode(secret.secretsDir("demo"))).isEqualTo("rwx------");
    assertThat(mode(secret.secretsDir("demo").resolve(Home.SUPERUSER_PASSWORD))).isEqualTo("rw-------");
    Home log = new Home(dir.resolve("c"));
    new ClusterLog(log, "demo").action("r1", "test", "a line");
    assertThat(mode(log.root())).isEqualTo("rwx------");
    Home lock = new Home(dir.resolve("d"));
    try (AutoCloseable l = lock.tryLock().orElseThrow()) {
      assertThat(mode(lock.root())).isEqualTo("rwx------");
    }
    Home status = new Home(dir.resolve("e"));
    status.writeJson(status.statusFile("demo"), java.util.Map.of("phase", "Healthy"));
    assertThat(mode(status.root())).isEqualTo("rwx------");
  }

  @Test
  void anExistingOpenHomeIsMadePrivateAndSaysWhatItWas() throws Exception {
    Path root = dir.resolve("old");
    Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    Home home = new Home(root);
    assertThat(home.makePrivate()).contains("rwxr-xr-x");
    assertThat(mode(root)).isEqualTo("rwx------");
    assertThat(home.makePrivate()).isEmpty();
  }
}
