package io.pgherd.cli;

import io.pgherd.api.SpecValidator;
import io.pgherd.docker.DockerGateway;
import io.pgherd.reconcile.ClusterReconciler;
import io.pgherd.store.ControlRequest;
import io.pgherd.store.Home;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Shared by `switchover` and `failover`: the request goes into the store for whoever holds the
 * operator lock (the running operator; or this command, running reconcile passes itself, when no
 * operator runs), then the answer is awaited and printed.
 */
final class PrimaryChange {
  private PrimaryChange() {}

  static int request(Home h, String name, String kind, String to, boolean force, Duration timeout) throws Exception {
    checkCluster(h, name);
    if (to != null) {
      checkMember(h, name, to);
    }
    ControlRequest request = new ControlRequest(newId(), kind, to, force, Instant.now().toString());
    return submitAndWait(h, name, request, timeout, () -> { });
  }

  /**
   * Refuses a --to that cannot be a member of the cluster: not NAME-N, or (once the operator has
   * written the cluster's state) none of its members. Nothing is requested then.
   */
  static void checkMember(Home h, String name, String to) {
    String prefix = name + "-";
    if (!to.startsWith(prefix) || !to.substring(prefix.length()).matches("[1-9][0-9]{0,8}")) {
      throw new Main.UserError("--to: " + SpecValidator.quoted(to) + " is not a member of " + name
          + " (its members are named " + name + "-N, e.g. " + name + "-2)", 2);
    }
    int ordinal = Integer.parseInt(to.substring(prefix.length()));
    h.readState(name).ifPresent(topology -> {
      if (!topology.members().contains(ordinal)) {
        throw new Main.UserError("--to: " + name + " has no member " + to + " (its members: "
            + String.join(", ", topology.members().stream().map(n -> name + "-" + n).toList()) + ")", 2);
      }
    });
  }

  static void checkCluster(Home h, String name) {
    HomeOption.checkName(name);
    if (h.readSpec(name).isEmpty()) {
      throw new Main.UserError("no cluster named '" + name + "' in " + h.root() + " (known: " + h.clusters() + ")", 2);
    }
  }

  static String newId() {
    return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()).substring(0, 12);
  }

  /**
   * Leaves the request for the operator (or carries it out here when none runs) and waits for the
   * answer; {@code tick} runs at every look (to print progress).
   */
  static int submitAndWait(Home h, String name, ControlRequest request, Duration timeout, Runnable tick)
      throws Exception {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new Main.UserError("--timeout must be positive, got " + timeout, 2);
    }
    String id = request.id();
    String kind = request.kind();
    if (!h.requests().submit(name, request)) {
      throw new Main.UserError("another switchover, failover or restore of " + name + " is pending ("
          + h.controlRequest(name) + "); wait for it, or remove that file if no operator will ever take it");
    }
    Instant deadline = Instant.now().plus(timeout);
    Optional<ControlRequest.Result> answer = Optional.empty();
    Optional<AutoCloseable> lock = h.tryLock();
    if (lock.isPresent()) {
      System.err.println("no operator is running on " + h.root() + ": carrying out the " + kind + " here");
      try (AutoCloseable held = lock.get(); DockerGateway docker = DockerGateway.connect()) {
        docker.ping();
        ClusterReconciler reconciler = new ClusterReconciler(h, docker, image -> Optional.empty(), name);
        while (answer.isEmpty() && Instant.now().isBefore(deadline)) {
          Duration next = reconciler.reconcile().delay(); // a switchover under way asks for the next pass at once
          tick.run();
          answer = h.requests().takeAnswer(name, id);
          if (answer.isEmpty()) {
            Thread.sleep(Math.min(500, next.toMillis()));
          }
        }
      } catch (RuntimeException e) {
        h.requests().withdraw(name);
        throw e;
      }
    } else {
      System.err.println(kind + " of " + name + " requested (" + id + "); waiting for the operator");
      while (answer.isEmpty() && Instant.now().isBefore(deadline)) {
        Thread.sleep(100);
        tick.run();
        answer = h.requests().takeAnswer(name, id);
      }
    }
    if (answer.isEmpty()) {
      if (h.requests().withdraw(name)) {
        throw new Main.UserError("the operator did not take the " + kind + " request within " + timeout.toSeconds()
            + " s; it was withdrawn and nothing changed");
      }
      if (lock.isPresent()) {
        throw new Main.UserError("the " + kind + " is not finished after " + timeout.toSeconds() + " s and stops with"
            + " this command: start `pgherd operator` to finish it (it resumes where it was; `pgherd status " + name
            + "` shows where)");
      }
      throw new Main.UserError("the " + kind + " is under way but not finished after " + timeout.toSeconds()
          + " s; follow it with `pgherd status " + name + "` and `pgherd logs " + name + "`");
    }
    if (!answer.get().ok()) {
      String message = answer.get().message();
      throw new Main.UserError(message.startsWith(kind + " ") ? message : kind + " refused: " + message);
    }
    System.out.println(answer.get().message());
    return 0;
  }
}
