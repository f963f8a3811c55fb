package io.pgherd.cli;

import io.pgherd.docker.DockerGateway;
import io.pgherd.docker.ImageBuilder;
import io.pgherd.reconcile.Operator;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "operator", description = "Run the reconcile loop in the foreground (one per home).")
final class OperatorCommand implements Callable<Integer> {
  @Mixin HomeOption home;

  @Override
  public Integer call() throws Exception {
    runUntilStopped(home, null);
    return 0;
  }

  /** Starts the operator and blocks until SIGINT/SIGTERM; {@code started} runs once it is up. */
  static void runUntilStopped(HomeOption home, Runnable started) throws Exception {
    DockerGateway docker = DockerGateway.connect();
    try {
      docker.ping();
    } catch (io.pgherd.docker.DockerUnavailableException e) {
      // not fatal: every pass retries with backoff, and status says why nothing happens
      System.err.println("warning: " + e.getMessage() + "; the operator keeps retrying");
    }
    Operator operator = new Operator(home.home(), docker, ImageBuilder.locate());
    try {
      operator.start();
    } catch (IllegalStateException e) {
      throw new Main.UserError(e.getMessage());
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        operator.close();
        docker.close();
      } catch (Exception e) {
        System.err.println("error while stopping: " + e);
      } finally {
        stopped.countDown();
      }
    }));
    if (started != null) {
      started.run();
    }
    stopped.await();
  }
}
