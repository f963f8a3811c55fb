package io.pgherd.cli;

import io.pgherd.api.ClusterConfig;
import io.pgherd.docker.DockerGateway;
import io.pgherd.docker.ImageBuilder;
import io.pgherd.model.Names;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "up", description = "Apply a spec, build the images if needed, and run the operator in the foreground.")
final class UpCommand implements Callable<Integer> {
  @Mixin HomeOption home;
  @Mixin MetricsOption metrics;
  @Mixin MembersViaOption membersVia;
  @Mixin RuntimeOption runtime;

  @Option(names = {"-f", "--filename"}, required = true, description = "the PostgresCluster spec (YAML)")
  Path file;

  @Override
  public Integer call() throws Exception {
    metrics.check();
    ApplyCommand.Applied applied = ApplyCommand.apply(home.home(), file, System.out, System.err);
    System.out.println("postgrescluster/" + applied.name() + " " + applied.outcome());
    ClusterConfig cfg = home.config(applied.name());
    try (DockerGateway docker = DockerGateway.connect()) {
      docker.ping();
      if (ImageBuilder.builds(cfg.image()) && (!docker.imageExists(cfg.image()) || !docker.imageExists(Names.LB_IMAGE))) {
        ImageBuilder builder = ImageBuilder.locate().orElseThrow(() -> new Main.UserError(
            "the images are missing and operator/build-images.sh cannot be found: run from the pgherd checkout"));
        System.out.println("building images (first run only) ...");
        builder.build(line -> System.out.println("  " + line));
      }
    }
    OperatorCommand.runUntilStopped(home, metrics, membersVia, runtime, () -> new Thread(() -> {
      try {
        ApplyCommand.waitHealthy(home.home(), applied.name(), applied.generation(), Duration.ofMinutes(30), System.out);
        System.out.println();
        System.out.println("cluster " + applied.name() + " is ready:");
        System.out.println("  read-write  " + cfg.bindAddress() + ":" + cfg.readWritePort()
            + "   bin/pgherd psql " + applied.name());
        System.out.println("  read-only   " + cfg.bindAddress() + ":" + cfg.readOnlyPort()
            + "   bin/pgherd psql " + applied.name() + " --read-only");
        System.out.println("  status      bin/pgherd status " + applied.name());
        System.out.println("the operator keeps running here; Ctrl-C stops it and leaves the cluster running.");
      } catch (Exception e) {
        System.err.println(e.getMessage());
      }
    }, "pgherd-up-wait").start());
    return 0;
  }
}
