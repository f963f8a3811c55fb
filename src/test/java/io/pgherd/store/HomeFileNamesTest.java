package io.pgherd.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A name that would lead out of the home's directories never becomes a path. */
class HomeFileNamesTest {
  @TempDir Path dir;

  @Test
  void aNameWithASlashDotsOrNulIsNoClusterName() {
    Home home = new Home(dir);
    for (String name : new String[] {"../clusters/demo", "../../etc/passwd", "a/b", "..", ".", "", "a\\b", "a\0b"}) {
      assertThatThrownBy(() -> home.specFile(name)).as(name).isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("not a cluster name: '");
      assertThatThrownBy(() -> home.readSpec(name)).as(name).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> home.controlRequest(name)).as(name).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> home.secretsDir(name)).as(name).isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(home.specFile("demo")).isEqualTo(dir.toAbsolutePath().resolve("clusters/demo.yaml"));
  }
}
