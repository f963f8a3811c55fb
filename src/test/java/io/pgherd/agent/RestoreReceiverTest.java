package io.pgherd.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The restore mode's receiver: the staged files' tar, and the base backup piped into a command. */
class RestoreReceiverTest {
  private static byte[] tar(String... nameContent) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream t = new TarArchiveOutputStream(out)) {
      t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (int i = 0; i < nameContent.length; i += 2) {
        byte[] b = nameContent[i + 1].getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(nameContent[i]);
        e.setSize(b.length);
        t.putArchiveEntry(e);
        t.write(b);
        t.closeArchiveEntry();
      }
    }
    return out.toByteArray();
  }

  private static RestoreReceiver receiver(Path dir, String command) throws Exception {
    Path parent = Files.createDirectories(dir.resolve("data"));
    return new RestoreReceiver(parent.resolve("pgdata"), command, new Log(System.out));
  }

  @Test
  void writesTheWalTheTargetAndStagedUnderRestoreWithMode0600(@TempDir Path dir) throws Exception {
    RestoreReceiver r = receiver(dir, "true");
    String segment = "0".repeat(600); // more than one block
    var written = r.receiveFiles(new ByteArrayInputStream(tar("wal/000000010000000000000003", segment,
        "wal/00000002.history", "1\t0/3000000\tno recovery target specified\n",
        "recovery.conf", "recovery_target_time = '2026-12-06 17:00:00+00'\n", "STAGED", "backup x\n")));
    assertThat(written).containsExactly("wal/000000010000000000000003", "wal/00000002.history", "recovery.conf",
        "STAGED");
    Path restore = dir.resolve("data/restore");
    assertThat(Files.readString(restore.resolve("wal/000000010000000000000003"))).isEqualTo(segment);
    assertThat(Files.readString(restore.resolve("recovery.conf"))).contains("recovery_target_time");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(restore.resolve("STAGED"))))
        .isEqualTo("rw-------");
    assertThat(r.state()).containsEntry("staged", true).containsEntry("ready", false)
        .containsEntry("unpacked", false).containsEntry("dataDirectory", false).containsEntry("failed", null);
  }

  @Test
  void refusesAnEntryOutsideTheStagedNames(@TempDir Path dir) throws Exception {
    RestoreReceiver r = receiver(dir, "true");
    assertThatThrownBy(() -> r.receiveFiles(new ByteArrayInputStream(tar("wal/../../pgdata/postgresql.auto.conf", "x"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a staged file of a restore");
    assertThatThrownBy(() -> r.receiveFiles(new ByteArrayInputStream(tar("data/PG_VERSION", "15"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("data/PG_VERSION");
    assertThatThrownBy(() -> r.receiveFiles(new ByteArrayInputStream(tar("wal/..", "x"))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(dir.resolve("pgdata")).doesNotExist();
  }

  @Test
  void aTarCutShortIsAnError(@TempDir Path dir) throws Exception {
    RestoreReceiver r = receiver(dir, "true");
    byte[] whole = tar("STAGED", "x".repeat(2000));
    byte[] cut = java.util.Arrays.copyOf(whole, 1024);
    assertThatThrownBy(() -> r.receiveFiles(new ByteArrayInputStream(cut))).hasMessageContaining("ended inside STAGED");
  }

  @Test
  void theBaseBackupGoesIntoTheCommandWhoseFailureIsQuoted(@TempDir Path dir) throws Exception {
    Path got = dir.resolve("got");
    Path ok = dir.resolve("ok.sh");
    Files.writeString(ok, "#!/bin/sh\nhead -c \"$2\" > " + got + "\necho \"unpacked $2 bytes ($1)\"\n");
    Files.setPosixFilePermissions(ok, PosixFilePermissions.fromString("rwx------"));
    RestoreReceiver r = receiver(dir, ok.toString());
    assertThat(r.receiveBase("zst", "5", new ByteArrayInputStream("hello".getBytes(StandardCharsets.UTF_8))))
        .isEqualTo("unpacked 5 bytes (zst)");
    assertThat(Files.readString(got)).isEqualTo("hello");

    Path bad = dir.resolve("bad.sh");
    Files.writeString(bad, "#!/bin/sh\necho 'pgherd-receive-backup: /x/pgdata exists: this member holds data already' >&2\nexit 1\n");
    Files.setPosixFilePermissions(bad, PosixFilePermissions.fromString("rwx------"));
    RestoreReceiver failing = receiver(dir, bad.toString());
    assertThatThrownBy(() -> failing.receiveBase("gz", "1048576", new ByteArrayInputStream(new byte[1 << 20])))
        .hasMessageContaining("exit status 1").hasMessageContaining("this member holds data already");
    assertThat(failing.state()).containsEntry("receiving", false);
  }

  @Test
  void refusesAFormatOrSizeItDoesNotKnow(@TempDir Path dir) throws Exception {
    RestoreReceiver r = receiver(dir, "true");
    assertThatThrownBy(() -> r.receiveBase("lz4", "10", new ByteArrayInputStream(new byte[0])))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lz4");
    assertThatThrownBy(() -> r.receiveBase("zst", "-1", new ByteArrayInputStream(new byte[0])))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
  }
}
