package io.pgherd.cli;

import io.pgherd.api.BackupOutcomeStatus;
import io.pgherd.api.BackupRunStatus;
import io.pgherd.api.PostgresClusterStatus;
import io.pgherd.docker.DockerGateway;
import io.pgherd.reconcile.ClusterReconciler;
import io.pgherd.store.ControlRequest;
import io.pgherd.store.Home;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "backup", description = {
    "Take a base backup now (from a streaming replica when there is one, else the primary), into",
    "the cluster's object store; waits for it, printing progress, unless --no-wait."})
final class BackupCommand implements Callable<Integer> {
  @Mixin HomeOption home;

  @Parameters(index = "0", description = "cluster name")
  String name;

  @Option(names = "--no-wait", description = "return once the backup has started")
  boolean noWait;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "21600",
      description = "how long to wait for the backup to end (default: ${DEFAULT-VALUE})")
  long timeoutSeconds;

  @Override
  public Integer call() throws Exception {
    home.backupConfig(name); // unknown cluster, or no spec.backup: exit 2
    if (timeoutSeconds <= 0) {
      throw new Main.UserError("--timeout must be positive, got " + timeoutSeconds, 2);
    }
    Home h = home.home();
    String requestId = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()).substring(0, 12);
    if (!h.requests().submit(name, new ControlRequest(requestId, ControlRequest.BACKUP, null, false, Instant.now().toString()))) {
      throw new Main.UserError("another backup request of " + name + " is pending (" + h.backupRequest(name)
          + "); wait for it, or remove that file if no operator will ever take it");
    }
    Instant deadline = Instant.now().plus(Duration.ofSeconds(timeoutSeconds));
    Optional<AutoCloseable> lock = h.tryLock();
    if (lock.isEmpty()) {
      System.err.println("backup of " + name + " requested (" + requestId + "); waiting for the operator");
      String id = started(h, awaitAnswer(h, requestId, Duration.ofSeconds(30), () -> { }));
      return noWait ? 0 : follow(h, id, deadline, () -> { });
    }
    // No operator: this process reconciles the cluster (archiving WAL meanwhile) until the backup ends.
    System.err.println("no operator is running on " + h.root() + ": taking the backup here (and archiving WAL"
        + " meanwhile)");
    try (AutoCloseable held = lock.get(); DockerGateway docker = DockerGateway.connect()) {
      docker.ping();
      ClusterReconciler reconciler = new ClusterReconciler(h, docker, image -> Optional.empty(), name);
      reconciler.archiveWal(true);
      try {
        Runnable pass = () -> reconciler.reconcile();
        String id = started(h, awaitAnswer(h, requestId, Duration.ofSeconds(120), pass));
        return follow(h, id, deadline, pass);
      } finally {
        reconciler.close(); // a backup still running (--no-wait, timeout) is stopped and marked failed
      }
    } catch (RuntimeException e) {
      h.requests().withdraw(name, ControlRequest.BACKUP);
      throw e;
    }
  }

  private ControlRequest.Result awaitAnswer(Home h, String requestId, Duration patience, Runnable pass)
      throws InterruptedException {
    Instant until = Instant.now().plus(patience);
    while (Instant.now().isBefore(until)) {
      pass.run();
      Optional<ControlRequest.Result> answer = h.requests().takeAnswer(name, requestId);
      if (answer.isPresent()) {
        return answer.get();
      }
      Thread.sleep(200);
    }
    if (h.requests().withdraw(name, ControlRequest.BACKUP)) {
      throw new Main.UserError("the backup request was not taken within " + patience.toSeconds() + " s; it was withdrawn");
    }
    throw new Main.UserError("the backup request was taken but not answered; see `pgherd logs " + name + "`");
  }

  private String started(Home h, ControlRequest.Result answer) {
    if (!answer.ok()) {
      throw new Main.UserError("backup refused: " + answer.message());
    }
    System.err.println(answer.message());
    String[] words = answer.message().split(" ");
    return words.length > 1 ? words[1] : "";
  }

  /** Follows the backup through the status until its outcome is there. */
  private int follow(Home h, String id, Instant deadline, Runnable pass) throws InterruptedException {
    String lastLine = null;
    while (Instant.now().isBefore(deadline)) {
      pass.run();
      Optional<PostgresClusterStatus> status = h.readStatus(name);
      var b = status.map(PostgresClusterStatus::getBackups).orElse(null);
      BackupRunStatus run = b == null ? null : b.getRunning();
      BackupOutcomeStatus outcome = b == null ? null : b.getLastOutcome();
      if (outcome != null && id.equals(outcome.getId()) && (run == null || !id.equals(run.getId()))) {
        if (Boolean.TRUE.equals(outcome.getOk())) {
          System.out.println(outcome.getMessage());
          return 0;
        }
        throw new Main.UserError(outcome.getMessage());
      }
      if (run != null && id.equals(run.getId()) && run.getProgress() != null
          && !Objects.equals(lastLine, run.getProgress())) {
        lastLine = run.getProgress();
        System.err.println("backup " + id + " from " + run.getMember() + ": " + lastLine);
      }
      Thread.sleep(1000);
    }
    throw new Main.UserError("backup " + id + " has not ended after " + timeoutSeconds + " s; follow it with "
        + "`pgherd status " + name + "` and `pgherd logs " + name + "`");
  }
}
