package io.pgherd.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileDropTest {
  private static byte[] body(Object... pathModeContent) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < pathModeContent.length; i += 3) {
      byte[] content = ((String) pathModeContent[i + 2]).getBytes(StandardCharsets.UTF_8);
      out.writeBytes((pathModeContent[i] + " " + pathModeContent[i + 1] + " " + content.length + "\n")
          .getBytes(StandardCharsets.UTF_8));
      out.writeBytes(content);
      out.write('\n');
    }
    return out.toByteArray();
  }

  @Test
  void writesEveryFileWithItsModeAndReplacesWhatWasThere(@TempDir Path dir) throws Exception {
    Path root = Files.createDirectory(dir.resolve("etc"));
    Files.writeString(root.resolve("postgresql.conf"), "old");
    FileDrop drop = new FileDrop(root);
    var items = drop.parse(new ByteArrayInputStream(body(
        root + "/postgresql.conf", "0644", "work_mem = '8MB'\n",
        root + "/agent/agent.key", "0600", "-----BEGIN PRIVATE KEY-----\nx\n",
        root + "/empty", "644", "")));
    drop.write(items);
    assertThat(Files.readString(root.resolve("postgresql.conf"))).isEqualTo("work_mem = '8MB'\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("postgresql.conf"))))
        .isEqualTo("rw-r--r--");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("agent/agent.key"))))
        .isEqualTo("rw-------");
    assertThat(root.resolve("empty")).isEmptyFile();
    try (var files = Files.list(root)) {
      assertThat(files.map(p -> p.getFileName().toString())).doesNotContain(".postgresql.conf.pgherd-new");
    }
  }

  @Test
  void refusesPathsOutsideItsRootAndMalformedBodiesBeforeWritingAnything(@TempDir Path dir) throws Exception {
    Path root = Files.createDirectory(dir.resolve("etc"));
    FileDrop drop = new FileDrop(root);
    assertThatThrownBy(() -> drop.parse(new ByteArrayInputStream(body(root + "/../passwd", "0644", "x"))))
        .hasMessageEndingWith("is not under " + root);
    assertThatThrownBy(() -> drop.parse(new ByteArrayInputStream(body("/etc/shadow", "0644", "x"))))
        .hasMessage("/etc/shadow is not under " + root);
    assertThatThrownBy(() -> drop.parse(new ByteArrayInputStream(body(root + "/a", "0999", "x"))))
        .hasMessageStartingWith("not '<path> <octal mode> <length>'");
    byte[] shortBody = (root + "/a 0644 10\nabc").getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> drop.parse(new ByteArrayInputStream(shortBody))).hasMessageContaining("ends before");
    assertThat(FileDrop.permissions(0640)).isEqualTo(PosixFilePermissions.fromString("rw-r-----"));
    try (var files = Files.list(root)) {
      assertThat(files).isEmpty();
    }
  }
}
