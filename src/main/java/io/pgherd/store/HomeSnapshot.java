package io.pgherd.store;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The part of a home that an operator cannot derive again — the specs, the recorded intent, the
 * generated secrets and certificates, the requests left for it — as one archive, so that it can be
 * kept somewhere every node sees (on a Docker Swarm: {@code swarm.SwarmHome}) — and the clusters'
 * logs ({@link ClusterLog}, bounded), so that the history of a cluster moves with the operator that
 * acts on it. Left out: the status (derived every pass), the last lines kept of replaced
 * containers ({@code logs/NAME/}), and the work directories (WAL spool, backup and restore work).
 *
 * <p>{@link #pack} is deterministic (entries sorted, no times): the same files give the same bytes,
 * so an unchanged home is never written again. {@link #unpack} replaces exactly those directories.
 */
public final class HomeSnapshot {
  /** The directories of a home kept in a snapshot. */
  public static final List<String> DIRECTORIES = List.of("clusters", "state", "secrets", "requests");
  /** The directory whose cluster logs ({@code NAME.log}, {@code NAME.log.1}: the files directly in it) are kept. */
  static final String LOGS = "logs";

  private HomeSnapshot() {}

  /** The kept directories of the home at {@code root} as a gzipped tar, with each file's mode. */
  public static byte[] pack(Path root) throws IOException {
    List<Path> files = new ArrayList<>();
    for (String dir : DIRECTORIES) {
      Path d = root.resolve(dir);
      if (Files.isDirectory(d)) {
        try (Stream<Path> walk = Files.walk(d)) {
          walk.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().endsWith(".tmp")).forEach(files::add);
        }
      }
    }
    files.addAll(clusterLogs(root));
    files.sort(null);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bytes); TarArchiveOutputStream tar = new TarArchiveOutputStream(gz)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Path f : files) {
        byte[] content;
        try {
          content = Files.readAllBytes(f);
        } catch (java.nio.file.NoSuchFileException e) {
          continue; // removed meanwhile: the next snapshot has the home without it
        }
        TarArchiveEntry e = new TarArchiveEntry(root.relativize(f).toString());
        e.setSize(content.length);
        e.setMode(mode(f));
        e.setModTime(0);
        tar.putArchiveEntry(e);
        tar.write(content);
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  /**
   * The kept directories of the home at {@code root} made exactly as in {@code snapshot}: files it
   * has are written (with their modes), files it lacks are removed. Names outside those directories
   * are refused.
   */
  public static void unpack(byte[] snapshot, Path root) throws IOException {
    Set<Path> written = new HashSet<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(new ByteArrayInputStream(snapshot)))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        Path target = root.resolve(e.getName()).normalize();
        if (!target.startsWith(root) || DIRECTORIES.stream().noneMatch(d -> target.startsWith(root.resolve(d)))
            && !isClusterLog(root, target)) {
          throw new IOException("a home snapshot entry outside its directories: " + e.getName());
        }
        Files.createDirectories(target.getParent(), PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwx------")));
        Home.writeAtomically(target, tar.readAllBytes(), false);
        Files.setPosixFilePermissions(target, permissions(e.getMode()));
        written.add(target);
      }
    }
    for (String dir : DIRECTORIES) {
      Path d = root.resolve(dir);
      if (Files.isDirectory(d)) {
        try (Stream<Path> walk = Files.walk(d)) {
          for (Path f : walk.filter(Files::isRegularFile).toList()) {
            if (!written.contains(f)) {
              Files.delete(f);
            }
          }
        }
      }
    }
    // a snapshot with no cluster log at all (stored by a pgherd before logs moved with the home) leaves this
    // node's logs as they are: the history they hold is the best there is
    if (written.stream().anyMatch(f -> isClusterLog(root, f))) {
      for (Path f : clusterLogs(root)) {
        if (!written.contains(f)) {
          Files.delete(f);
        }
      }
    }
  }

  /** The cluster logs of the home at {@code root}: the files directly in {@code logs/} named *.log or *.log.1. */
  private static List<Path> clusterLogs(Path root) throws IOException {
    Path logs = root.resolve(LOGS);
    if (!Files.isDirectory(logs)) {
      return List.of();
    }
    try (Stream<Path> list = Files.list(logs)) {
      return list.filter(f -> isClusterLog(root, f) && Files.isRegularFile(f)).toList();
    }
  }

  private static boolean isClusterLog(Path root, Path file) {
    String name = file.getFileName().toString();
    return root.resolve(LOGS).equals(file.getParent()) && !name.startsWith(".")
        && (name.endsWith(".log") || name.endsWith(".log.1"));
  }

  /**
   * The kept directories of the home at {@code root} that hold any file moved, whole, into
   * {@code root/aside} (made, owner only): the home is left without them, nothing is deleted.
   * Returns the directories moved, none when the home kept nothing.
   */
  public static List<String> setAside(Path root, String aside) throws IOException {
    List<String> moved = new ArrayList<>();
    Path to = root.resolve(aside).normalize();
    if (!to.getParent().equals(root.normalize()) || DIRECTORIES.contains(aside) || LOGS.equals(aside)) {
      throw new IllegalArgumentException("not a name for a directory beside the home's own: " + aside);
    }
    List<String> all = new ArrayList<>(DIRECTORIES);
    all.add(LOGS); // the logs of an earlier deploy's clusters, and their replaced containers' last lines
    for (String dir : all) {
      Path d = root.resolve(dir);
      boolean holdsAFile;
      if (!Files.isDirectory(d)) {
        continue;
      }
      try (Stream<Path> walk = Files.walk(d)) {
        holdsAFile = walk.anyMatch(Files::isRegularFile);
      }
      if (holdsAFile) {
        Files.createDirectories(to, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.move(d, to.resolve(dir));
        moved.add(dir);
      }
    }
    return moved;
  }

  private static int mode(Path f) throws IOException {
    int mode = 0;
    for (PosixFilePermission p : Files.getPosixFilePermissions(f)) {
      mode |= 1 << (8 - p.ordinal());
    }
    return mode;
  }

  private static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> set = new HashSet<>();
    for (PosixFilePermission p : PosixFilePermission.values()) {
      if ((mode & (1 << (8 - p.ordinal()))) != 0) {
        set.add(p);
      }
    }
    return set;
  }
}
