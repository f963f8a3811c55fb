package io.pgherd.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The member's PostgreSQL server process, as the agent runs it: started as the agent's child, or
 * adopted when it is already running (the agent was restarted while PostgreSQL went on; the pid
 * comes from postmaster.pid). It is told to stop with the signal the container was given, and
 * waited for.
 */
final class Postmaster {
  private final ProcessHandle handle;
  private final Process child; // null when adopted: its exit status cannot be known then

  private Postmaster(ProcessHandle handle, Process child) {
    this.handle = handle;
    this.child = child;
  }

  /** For tests: any process, as if it were the agent's child. */
  static Postmaster of(Process p) {
    return new Postmaster(p.toHandle(), p);
  }

  /**
   * PostgreSQL's niceness, relative to this agent (the only other process of the container: a
   * container is one CPU group, so this orders the two within it and changes nothing for the
   * rest of the machine). The agent, idle but for a health answer or an operator's call, then
   * gets a CPU at once when it wakes on a machine PostgreSQL keeps busy. Measured under pgbench on
   * 2 cores (docs/benchmarks.md), a health check's p99 went from ~20 ms to 5.4–7.7 ms at 10 and
   * 3.9–5.2 ms at 19, PostgreSQL's own throughput unchanged. The agent is the one process this
   * lets ahead of PostgreSQL: it must stay small (a bounded heap, no work of its own but answers).
   */
  static final int NICENESS = 19;

  /** Starts {@code postgres -D pgdata -c config_file=conf} (at {@link #NICENESS}) with the agent's output streams. */
  static Postmaster start(Path pgdata, Path conf) throws IOException {
    Process p = new ProcessBuilder("nice", "-n", String.valueOf(NICENESS),
        "postgres", "-D", pgdata.toString(), "-c", "config_file=" + conf)
        .inheritIO().start();
    return new Postmaster(p.toHandle(), p);
  }

  /** The postmaster already running on {@code pgdata} (postmaster.pid names a live postgres), if any. */
  static Optional<Postmaster> running(Path pgdata) throws IOException {
    List<String> lines;
    try {
      lines = Files.readAllLines(pgdata.resolve("postmaster.pid"), StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    if (lines.isEmpty() || !lines.get(0).strip().matches("\\d{1,9}")) {
      return Optional.empty();
    }
    long pid = Long.parseLong(lines.get(0).strip());
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(Postmaster::isPostgres)
        .map(h -> new Postmaster(h, null));
  }

  private static boolean isPostgres(ProcessHandle h) {
    return h.info().command().map(c -> c.endsWith("/postgres") || c.equals("postgres")).orElse(false);
  }

  long pid() {
    return handle.pid();
  }

  boolean adopted() {
    return child == null;
  }

  boolean alive() {
    return handle.isAlive();
  }

  /**
   * Sends {@code signal} (INT, TERM, QUIT, HUP) to the postmaster; false when it is gone already.
   * Through the shell's built-in kill: the image has no kill program (procps is not installed), and
   * Java itself can send only TERM and KILL.
   */
  boolean signal(String signal) {
    if (!List.of("INT", "TERM", "QUIT", "HUP").contains(signal)) {
      throw new IllegalArgumentException("not a signal the postmaster is sent: " + signal);
    }
    if (!handle.isAlive()) {
      return false;
    }
    try {
      Process kill = new ProcessBuilder("/bin/sh", "-c", "kill -s \"$1\" \"$2\"", "sh", signal,
          Long.toString(handle.pid())).inheritIO().start();
      return kill.waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Waits for the postmaster to exit: its exit status when it is the agent's child; for an adopted
   * one 0 when {@code stopAsked} (it stopped because it was told to), else 1 (it ended on its own).
   */
  int await(java.util.function.BooleanSupplier stopAsked) throws InterruptedException {
    if (child != null) {
      return child.waitFor();
    }
    try {
      handle.onExit().get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("waiting for postmaster " + handle.pid() + ": " + e.getCause(), e);
    }
    return stopAsked.getAsBoolean() ? 0 : 1;
  }
}
