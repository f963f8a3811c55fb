package io.pgherd.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The requests left in a home for its operator ({@link ControlRequest}), and the operator's
 * answers: one pending change of primary or restore ({@link Home#controlRequest}) and one pending
 * base backup ({@link Home#backupRequest}) at a time, each carried out by whoever removes it, and
 * the answers ({@link Home#controlResult}), removed once read.
 */
public final class Requests {
  private final Home home;

  Requests(Home home) {
    this.home = home;
  }

  private Path requestFile(String cluster, String kind) {
    return ControlRequest.BACKUP.equals(kind) ? home.backupRequest(cluster) : home.controlRequest(cluster);
  }

  /** Leaves a request for the operator; false when another one is still pending. */
  public synchronized boolean submit(String cluster, ControlRequest request) {
    Path file = requestFile(cluster, request.kind());
    try {
      home.createRoot();
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling("." + file.getFileName() + "." + request.id() + ".tmp");
      Files.write(tmp, Home.JSON.writeValueAsBytes(request));
      try {
        Files.createLink(file, tmp); // atomic, and fails when a request is already there
        return true;
      } catch (java.nio.file.FileAlreadyExistsException e) {
        return false;
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /**
   * Takes the pending request, if any: read, then removed. Whoever removes the file owns it, so a
   * request the CLI withdrew (after waiting in vain) is never carried out as well.
   */
  public Optional<ControlRequest> takeControlRequest(String cluster) {
    return take(home.controlRequest(cluster));
  }

  /** Takes the pending backup request, if any (as {@link #takeControlRequest}). */
  public Optional<ControlRequest> takeBackupRequest(String cluster) {
    return take(home.backupRequest(cluster));
  }

  private Optional<ControlRequest> take(Path file) {
    Optional<String> text = Home.readString(file);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    try {
      ControlRequest request = Home.JSON.readValue(text.get(), ControlRequest.class);
      return Files.deleteIfExists(file) ? Optional.of(request) : Optional.empty();
    } catch (IOException e) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // reported below; the file is unreadable either way
      }
      throw new UncheckedIOException("unreadable request " + file + " (removed)", e);
    }
  }

  /** Withdraws a request nobody took yet; false when the operator has already taken it. */
  public boolean withdraw(String cluster) {
    return withdraw(cluster, ControlRequest.SWITCHOVER);
  }

  /** Withdraws the pending request of this kind's channel (a backup, or a change of primary). */
  public boolean withdraw(String cluster, String kind) {
    Path file = requestFile(cluster, kind);
    try {
      return Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + file, e);
    }
  }

  public void answer(String cluster, ControlRequest.Result result) {
    home.writeJson(home.controlResult(cluster, result.id()), result);
  }

  /** The answer to request {@code id}, removed once read. */
  public Optional<ControlRequest.Result> takeAnswer(String cluster, String id) {
    Path file = home.controlResult(cluster, id);
    return Home.readString(file).map(text -> {
      try {
        ControlRequest.Result r = Home.JSON.readValue(text, ControlRequest.Result.class);
        Files.deleteIfExists(file);
        return r;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file, e);
      }
    });
  }
}
