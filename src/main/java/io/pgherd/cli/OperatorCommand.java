package io.pgherd.cli;

import io.pgherd.docker.DockerGateway;
import io.pgherd.docker.ImageBuilder;
import io.pgherd.metrics.MetricsServer;
import io.pgherd.metrics.OperatorMetrics;
import io.pgherd.reconcile.Operator;
import io.pgherd.runtime.ContainerRuntime;
import io.pgherd.runtime.EngineUnavailableException;
import io.pgherd.runtime.MemberAccess;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "operator", description = "Run the reconcile loop in the foreground (one per home); on a Docker"
    + " Swarm, `operator deploy` runs it as a Swarm service.",
    subcommands = {OperatorDeployCommand.class, OperatorUndeployCommand.class})
final class OperatorCommand implements Callable<Integer> {
  /** How long a starting operator waits for the home's lock. */
  static final int LOCK_WAIT_SECONDS = 60;

  @Mixin HomeOption home;
  @Mixin MetricsOption metrics;
  @Mixin MembersViaOption membersVia;
  @Mixin RuntimeOption runtime;

  @Override
  public Integer call() throws Exception {
    runUntilStopped(home, metrics, membersVia, runtime, null);
    return 0;
  }

  /**
   * Starts the operator, waiting up to {@code wait} for the home's lock: it may be held for a
   * moment by a CLI command doing its own pass (delete, backup, switchover with no operator
   * running). Exiting instead would, in a container, restart it and kill that command. A second
   * operator is refused (Locked) once the wait is over.
   */
  static void startWaitingForLock(Operator operator, java.time.Duration wait, java.io.PrintStream err)
      throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    boolean said = false;
    while (true) {
      try {
        operator.start();
        return;
      } catch (Operator.Locked e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        if (!said) {
          err.println("waiting up to " + wait.toSeconds() + " s: " + e.getMessage());
          said = true;
        }
        Thread.sleep(250);
      }
    }
  }

  /**
   * Starts the operator (with its metrics endpoint when {@code metrics} names an address) and
   * blocks until SIGINT/SIGTERM; {@code started} runs once it is up.
   */
  static void runUntilStopped(HomeOption home, MetricsOption metrics, MembersViaOption membersVia,
      RuntimeOption runtimeOption, Runnable started) throws Exception {
    // bound first: a bad address or a port in use stops here, before the operator takes the home
    MetricsServer metricsServer = null;
    OperatorMetrics operatorMetrics = null;
    if (metrics != null && metrics.address != null) {
      operatorMetrics = new OperatorMetrics(home.home());
      try {
        metricsServer = MetricsServer.start(metrics.address, operatorMetrics);
      } catch (IllegalArgumentException e) {
        throw new Main.UserError(e.getMessage(), 2);
      }
    }
    DockerGateway docker = DockerGateway.connect();
    ContainerRuntime runtime;
    try {
      runtime = runtimeOption.runtime(docker);
    } catch (Main.UserError e) {
      if (metricsServer != null) {
        metricsServer.close();
      }
      throw e;
    }
    MemberAccess access = membersVia.access(docker, runtime);
    try {
      runtime.ping();
      // detected now when the engine answers: a container that cannot find itself is said at start
      access.mode();
      System.err.println("members reached through " + access);
    } catch (EngineUnavailableException e) {
      // not fatal: every pass retries with backoff, and status says why nothing happens
      System.err.println("warning: " + e.getMessage() + "; the operator keeps retrying");
    } catch (MemberAccess.Unusable e) {
      if (metricsServer != null) {
        metricsServer.close();
      }
      throw new Main.UserError(e.getMessage(), 2);
    }
    io.pgherd.store.Home h = home.home();
    SwarmOperatorSide swarm = null;
    if (runtime != docker) {
      System.err.println("clusters run as services of the Docker Swarm managed at " + docker.host());
      try {
        swarm = SwarmOperatorSide.open(docker, h);
      } catch (Main.UserError e) {
        if (metricsServer != null) {
          metricsServer.close();
        }
        throw e;
      }
    }
    Operator operator = new Operator(h, runtime, ImageBuilder.locate(), access);
    if (operatorMetrics != null) {
      operator.onPass(operatorMetrics);
    }
    try {
      startWaitingForLock(operator, java.time.Duration.ofSeconds(LOCK_WAIT_SECONDS), System.err);
    } catch (Operator.Locked e) {
      if (metricsServer != null) {
        metricsServer.close();
      }
      throw new Main.UserError(e.getMessage() + " (waited " + LOCK_WAIT_SECONDS + " s)");
    }
    if (swarm != null) {
      swarm.start();
    }
    SwarmOperatorSide swarmSide = swarm;
    MetricsServer served = metricsServer;
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        operator.close();
        if (swarmSide != null) {
          swarmSide.close();
        }
        docker.close();
        if (served != null) {
          served.close();
        }
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
