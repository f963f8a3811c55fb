package io.pgherd.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/** The operator lock of a home ({@link Home#lockFile}): one operator per home, across processes and within this one. */
final class HomeLock {
  private HomeLock() {}

  /**
   * Lock files this JVM holds. A second channel on a locked file must never be opened and closed
   * here: on Linux, closing any descriptor of a file drops every lock the process holds on it, so
   * an in-process command (or the cleaner of a leaked channel) would silently free the operator's
   * lock and let a second process reconcile beside it.
   */
  private static final java.util.Set<Path> HELD = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * Holds the home's operator lock until closed; empty when another process (or this one) holds it.
   */
  static Optional<AutoCloseable> tryLock(Home home) {
    Path file = home.lockFile().toAbsolutePath().normalize();
    try {
      home.createRoot();
      if (!HELD.add(file)) {
        return Optional.empty();
      }
      FileChannel channel = null;
      try {
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = channel.tryLock();
        if (lock == null) {
          channel.close();
          HELD.remove(file);
          return Optional.empty();
        }
        FileChannel held = channel;
        return Optional.of(() -> {
          try {
            lock.release();
            held.close();
          } finally {
            HELD.remove(file);
          }
        });
      } catch (IOException | RuntimeException e) {
        if (channel != null) {
          channel.close();
        }
        HELD.remove(file);
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock " + home.lockFile(), e);
    }
  }
}
