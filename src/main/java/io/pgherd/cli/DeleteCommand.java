package io.pgherd.cli;

import io.pgherd.docker.DockerGateway;
import io.pgherd.reconcile.ClusterReconciler;
import io.pgherd.store.Home;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "delete", description = "Remove a cluster's containers and network; volumes and secrets stay unless --purge.")
final class DeleteCommand implements Callable<Integer> {
  @Mixin HomeOption home;

  @Parameters(index = "0", description = "cluster name")
  String name;

  @Option(names = "--purge", description = "also remove the data volumes and the generated secrets")
  boolean purge;

  @Override
  public Integer call() throws Exception {
    HomeOption.checkName(name);
    Home h = home.home();
    if (h.readSpec(name).isEmpty() && !Files.exists(h.deleteRequest(name))) {
      throw new Main.UserError("no cluster named '" + name + "' in " + h.root() + " (known: " + h.clusters() + ")", 2);
    }
    // The delete is a request in the store, carried out by whoever holds the operator lock: the
    // running operator, or this command when none runs. So no pass of a running operator races it.
    Home.writeAtomically(h.deleteRequest(name), (purge ? "purge\n" : "keep-volumes\n").getBytes(StandardCharsets.UTF_8), false);
    Optional<AutoCloseable> lock = h.tryLock();
    if (lock.isPresent()) {
      try (AutoCloseable held = lock.get(); DockerGateway docker = DockerGateway.connect()) {
        docker.ping();
        new ClusterReconciler(h, docker, image -> Optional.empty(), name).reconcile();
      }
    } else {
      Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
      while (Files.exists(h.deleteRequest(name))) {
        if (Instant.now().isAfter(deadline)) {
          throw new Main.UserError("the running operator has not carried out the delete within 2 minutes; "
              + "the request stays in " + h.deleteRequest(name));
        }
        Thread.sleep(250);
      }
    }
    System.out.println("postgrescluster/" + name + " deleted" + (purge ? " (volumes and secrets purged)" : " (volumes kept)"));
    return 0;
  }
}
