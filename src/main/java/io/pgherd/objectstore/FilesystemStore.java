package io.pgherd.objectstore;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A directory as an object store: a key is a relative path under the root. An object appears
 * whole or not at all (written to a temporary file, synced, then renamed into place). Files are
 * 0600 and directories 0700: backups hold the whole database.
 */
public final class FilesystemStore implements ObjectStore {
  private static final String TEMP = ".pgherd-tmp-";
  private final Path root;

  public FilesystemStore(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  private Path path(String key) {
    Path p = root.resolve(ObjectStore.checkKey(key)).normalize();
    if (!p.startsWith(root)) {
      throw new IllegalArgumentException("not an object key: " + key);
    }
    return p;
  }

  @Override
  public long put(String key, InputStream data) throws ObjectStoreException {
    Path target = path(key);
    Path temp = null;
    try {
      createDirectories(target.getParent());
      temp = target.resolveSibling(TEMP + UUID.randomUUID());
      long n;
      try (OutputStream out = Files.newOutputStream(temp)) {
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
        n = data.transferTo(out);
      }
      try (var ch = java.nio.channels.FileChannel.open(temp, java.nio.file.StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      temp = null;
      return n;
    } catch (IOException e) {
      throw new ObjectStoreException(describe() + ": storing " + key + " failed: " + e, e);
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException ignored) {
          // the temporary name is skipped by list() and overwritten by nothing
        }
      }
    }
  }

  private void createDirectories(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    createDirectories(dir.getParent());
    try {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (java.nio.file.FileAlreadyExistsException e) {
      if (!Files.isDirectory(dir)) {
        throw e;
      }
    }
  }

  @Override
  public Optional<InputStream> get(String key) throws ObjectStoreException {
    try {
      return Optional.of(Files.newInputStream(path(key)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new ObjectStoreException(describe() + ": reading " + key + " failed: " + e, e);
    }
  }

  @Override
  public List<StoredObject> list(String prefix) throws ObjectStoreException {
    List<StoredObject> out = new ArrayList<>();
    int slash = prefix.lastIndexOf('/');
    Path start = slash < 0 ? root : root.resolve(prefix.substring(0, slash)).normalize();
    if (!start.startsWith(root) || !Files.isDirectory(start)) {
      return out;
    }
    try {
      Files.walkFileTree(start, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
          String key = root.relativize(file).toString().replace(java.io.File.separatorChar, '/');
          if (key.startsWith(prefix) && !file.getFileName().toString().startsWith(TEMP) && attrs.isRegularFile()) {
            out.add(new StoredObject(key, attrs.size(), attrs.lastModifiedTime().toInstant()));
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
          if (e instanceof NoSuchFileException) {
            return FileVisitResult.CONTINUE; // removed while listing
          }
          throw e;
        }
      });
    } catch (IOException e) {
      throw new ObjectStoreException(describe() + ": listing " + prefix + " failed: " + e, e);
    }
    out.sort(Comparator.comparing(StoredObject::key));
    return out;
  }

  @Override
  public void delete(String key) throws ObjectStoreException {
    try {
      Files.deleteIfExists(path(key));
    } catch (IOException e) {
      throw new ObjectStoreException(describe() + ": deleting " + key + " failed: " + e, e);
    }
  }

  @Override
  public String describe() {
    return "filesystem store " + root;
  }
}
