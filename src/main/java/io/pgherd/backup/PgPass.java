package io.pgherd.backup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** libpq password files for the replication role: how pg_receivewal and pg_basebackup get the password. */
final class PgPass {
  private PgPass() {}

  /** Creates dir (0700) if missing, and writes the file 0600 from the start (never readable by others). */
  static void write(Path dir, Path file, String replicationPassword) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    Files.deleteIfExists(file);
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    String escaped = replicationPassword.replace("\\", "\\\\").replace(":", "\\:");
    Files.writeString(file, "*:*:*:replicator:" + escaped + "\n", StandardCharsets.UTF_8);
  }
}
