package io.pgherd.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Optional;

/**
 * A member fenced: its PostgreSQL stopped at once (immediate shutdown: every session ends, nothing
 * more is written) and kept stopped, across agent and container restarts, by a marker file in the
 * data volume ({@code pgherd-fenced}, beside PGDATA). It ends when the operator lifts it
 * ({@code POST /v1/unfence}) or when the member starts again as a replica (a rejoin wrote
 * standby.signal: a standby accepts no writes).
 */
final class Fence {
  private final Path marker;
  private final Path pgdata;
  private final Log log;
  private boolean stoppedOnPurpose;

  Fence(Path pgdata, Log log) {
    this.pgdata = pgdata;
    this.marker = pgdata.toAbsolutePath().getParent().resolve("pgherd-fenced");
    this.log = log;
  }

  /** The marker's text ("<instant> <reason>") while fenced. */
  synchronized Optional<String> fenced() {
    try {
      return Optional.of(Files.readString(marker, StandardCharsets.UTF_8).strip());
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of("(marker unreadable: " + e.getMessage() + ")");
    }
  }

  /**
   * Fences: the marker first (a crash right after still leaves the member fenced), then the
   * immediate shutdown of {@code postmaster}. Idempotent.
   */
  synchronized void fence(String reason, Postmaster postmaster) throws IOException {
    if (fenced().isEmpty()) {
      Path tmp = marker.resolveSibling(marker.getFileName() + ".new");
      Files.writeString(tmp, Instant.now() + " " + reason + "\n", StandardCharsets.UTF_8);
      Files.move(tmp, marker, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      log.info("FENCED: " + reason + "; PostgreSQL stops now (immediate shutdown) and stays stopped until the"
          + " operator lifts the fence or the member rejoins as a replica");
    }
    if (postmaster != null && postmaster.alive()) {
      stoppedOnPurpose = true;
      if (!postmaster.signal("QUIT") && postmaster.alive()) {
        stoppedOnPurpose = false;
        throw new IOException("cannot send SIGQUIT to the postmaster (pid " + postmaster.pid() + ")");
      }
    }
  }

  /** Lifts the fence (the operator's call); false when there was none. */
  synchronized boolean unfence() throws IOException {
    boolean was = Files.deleteIfExists(marker);
    if (was) {
      log.info("fence lifted by the operator: PostgreSQL starts again");
    }
    notifyAll();
    return was;
  }

  /** A member about to start as a standby needs no fence: the marker goes (logged). */
  synchronized void clearIfStandby() throws IOException {
    Optional<String> f = fenced();
    if (f.isPresent() && Files.exists(pgdata.resolve("standby.signal"))) {
      Files.deleteIfExists(marker);
      log.info("fence lifted: this member starts as a replica (standby.signal), which accepts no writes; it was: "
          + f.get());
    }
  }

  /** Blocks while fenced. */
  synchronized void awaitUnfenced() throws InterruptedException {
    while (fenced().isPresent()) {
      wait(1000);
    }
  }

  /** True once after the fence stopped PostgreSQL (the agent then waits instead of exiting). */
  synchronized boolean takeStoppedOnPurpose() {
    boolean was = stoppedOnPurpose;
    stoppedOnPurpose = false;
    return was;
  }
}
