package io.pgherd.objectstore;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where backups and archived WAL go: S3 or a directory, one key layout for both (see
 * docs/backup.md). Keys are relative paths ("demo/7312.../wal/00000001/000000010000000000000003.gz"),
 * '/'-separated, without "." or ".." segments. Every failure is an {@link ObjectStoreException}
 * whose message names the store and what went wrong (wrong credentials, missing bucket,
 * unreachable endpoint) and never carries a secret.
 */
public interface ObjectStore extends AutoCloseable {

  /** One stored object. */
  record StoredObject(String key, long size, Instant lastModified) {}

  /**
   * Stores everything the stream yields under key, replacing any object there. Streamed: an S3
   * store uploads in parts, never staging the whole object; either the whole object is stored or
   * nothing is (a partial upload is aborted). Returns the number of bytes stored.
   */
  long put(String key, InputStream data) throws ObjectStoreException;

  default long put(String key, byte[] data) throws ObjectStoreException {
    return put(key, new ByteArrayInputStream(data));
  }

  /** The object's bytes as a stream (the caller closes it), or empty if there is no such object. */
  Optional<InputStream> get(String key) throws ObjectStoreException;

  default Optional<byte[]> getBytes(String key) throws ObjectStoreException {
    Optional<InputStream> in = get(key);
    if (in.isEmpty()) {
      return Optional.empty();
    }
    try (InputStream s = in.get()) {
      return Optional.of(s.readAllBytes());
    } catch (IOException e) {
      throw new ObjectStoreException(describe() + ": reading " + key + " failed: " + e.getMessage(), e);
    }
  }

  /** Every object whose key starts with prefix, sorted by key. */
  List<StoredObject> list(String prefix) throws ObjectStoreException;

  /** Removes the object; an absent one is success. */
  void delete(String key) throws ObjectStoreException;

  /**
   * Makes sure the store can be reached and written: a small object is written, read back and
   * removed under the given key. The exception says what is wrong.
   */
  default void check(String probeKey) throws ObjectStoreException {
    byte[] probe = ("pgherd store check " + Instant.now()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    put(probeKey, probe);
    Optional<byte[]> back = getBytes(probeKey);
    if (back.isEmpty() || !java.util.Arrays.equals(back.get(), probe)) {
      throw new ObjectStoreException(describe() + ": an object written as " + probeKey + " did not read back the same");
    }
    delete(probeKey);
  }

  /** For messages: what and where the store is ("s3://pg/prefix at http://127.0.0.1:9000"); no secret. */
  String describe();

  @Override
  default void close() {}

  /** A key a store accepts: relative, '/'-separated, no empty, "." or ".." segment, printable. */
  static String checkKey(String key) {
    if (key == null || key.isEmpty() || key.startsWith("/") || key.endsWith("/") || key.length() > 900) {
      throw new IllegalArgumentException("not an object key: " + key);
    }
    for (String segment : key.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")
          || !segment.matches("[A-Za-z0-9._=+-]+")) {
        throw new IllegalArgumentException("not an object key: " + key);
      }
    }
    return key;
  }
}
