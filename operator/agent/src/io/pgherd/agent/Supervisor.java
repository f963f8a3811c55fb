package io.pgherd.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * The member's PostgreSQL as the agent keeps it: started (or adopted, when the agent itself was
 * restarted) unless the member is fenced; stopped when the operator asks ({@code POST /v1/stop}),
 * after which it stays stopped, the agent still answering, until the operator starts it again
 * ({@code POST /v1/start}, as a standby or as it was); stopped by the {@link Fence}. {@link #run}
 * returns PostgreSQL's exit status only when it ends on its own: the agent then exits with it, and
 * the container with the agent.
 *
 * <p>A hold (stopped by the operator) lives in the agent's memory only: a container restarted
 * meanwhile starts PostgreSQL as its files say, which the operator sets before it stops it.
 */
final class Supervisor {
  private final Path pgdata;
  private final Path conf;
  private final String member;
  private final Fence fence;
  private final Log log;
  private Postmaster postmaster; // guarded by this; null while stopped
  private String held; // why the operator keeps PostgreSQL stopped (null: it does not)
  private boolean stopAsked; // the postmaster about to exit was told to by the operator

  Supervisor(Path pgdata, Path conf, String member, Fence fence, Log log) {
    this.pgdata = pgdata;
    this.conf = conf;
    this.member = member;
    this.fence = fence;
    this.log = log;
  }

  /** The running (or adopted) postmaster; null while PostgreSQL is stopped. */
  synchronized Postmaster postmaster() {
    return postmaster;
  }

  /** Why the operator keeps PostgreSQL stopped, while it does. */
  synchronized Optional<String> held() {
    return Optional.ofNullable(held);
  }

  /**
   * Starts PostgreSQL at the agent's start (adopting a running one), unless the member is fenced:
   * then {@link #run} waits for the fence to be lifted.
   */
  synchronized void startUnlessFenced() throws IOException {
    fence.clearIfStandby();
    if (fence.fenced().isEmpty()) {
      postmaster = startOrAdopt();
    }
  }

  /**
   * The operator's stop: {@code fast} (sessions cut, a shutdown checkpoint, remaining WAL sent to
   * the standbys) or {@code immediate}. PostgreSQL stays stopped until {@link #start}. True when a
   * running server was told to stop.
   */
  synchronized boolean stop(String mode) throws IOException {
    String signal = switch (mode) {
      case "fast" -> "INT";
      case "immediate" -> "QUIT";
      default -> throw new IllegalArgumentException("stop mode must be fast or immediate, not '" + mode + "'");
    };
    held = "stopped by the operator (" + mode + ") at " + Instant.now();
    notifyAll();
    if (postmaster == null || !postmaster.alive()) {
      log.info("stop (" + mode + ") asked: PostgreSQL is not running; it stays stopped until the operator starts it");
      return false;
    }
    stopAsked = true;
    if (!postmaster.signal(signal) && postmaster.alive()) {
      stopAsked = false;
      throw new IOException("cannot send SIG" + signal + " to the postmaster (pid " + postmaster.pid() + ")");
    }
    log.info("stop (" + mode + ") asked by the operator: SIG" + signal + " to the postmaster (pid " + postmaster.pid()
        + "); it stays stopped until the operator starts it");
    return true;
  }

  /**
   * The operator's start after its stop: as a standby ({@code standby.signal} written first), or as
   * the data directory says. A server still shutting down is started again once it has exited.
   */
  synchronized void start(boolean standby) throws IOException {
    if (standby && !Files.exists(pgdata.resolve("standby.signal"))) {
      Files.writeString(pgdata.resolve("standby.signal"), "");
    }
    if (held != null) {
      log.info("start asked by the operator" + (standby ? " (as a standby)" : "") + "; it was " + held);
    }
    held = null;
    notifyAll();
  }

  /**
   * Keeps PostgreSQL as asked until it ends on its own; returns its exit status then.
   */
  int run() throws IOException, InterruptedException {
    while (true) {
      Postmaster running;
      synchronized (this) {
        String waitingFor = null;
        while (postmaster == null) {
          fence.clearIfStandby();
          Optional<String> fenced = fence.fenced();
          String why = fenced.map(f -> "fenced (" + f + "): PostgreSQL stays stopped until the operator lifts the"
              + " fence or the member restarts as a replica").orElse(held);
          if (why == null) {
            postmaster = startOrAdopt();
          } else {
            if (!why.equals(waitingFor)) {
              log.info("member " + member + " is " + why);
              waitingFor = why;
            }
            wait(200);
          }
        }
        running = postmaster;
      }
      int rc = running.await(() -> !Files.exists(pgdata.resolve("postmaster.pid")));
      synchronized (this) {
        postmaster = null;
        boolean byOperator = stopAsked;
        stopAsked = false;
        if (fence.takeStoppedOnPurpose() || byOperator) {
          log.info("PostgreSQL (pid " + running.pid() + ") stopped " + (byOperator ? "as the operator asked" : "by the fence")
              + " (status " + rc + ")");
          continue;
        }
      }
      log.info("PostgreSQL (pid " + running.pid() + ") exited with status " + rc);
      return rc;
    }
  }

  private Postmaster startOrAdopt() throws IOException {
    Optional<Postmaster> adopted = Postmaster.running(pgdata);
    if (adopted.isPresent()) {
      log.info("member " + member + ": adopting the PostgreSQL already running (pid " + adopted.get().pid() + ")");
      return adopted.get();
    }
    log.info("member " + member + ": starting postgres -D " + pgdata + " -c config_file=" + conf);
    return Postmaster.start(pgdata, conf);
  }
}
