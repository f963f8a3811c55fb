package io.pgherd.cli;

import io.pgherd.docker.DockerGateway;
import io.pgherd.runtime.EngineUnavailableException;
import io.pgherd.swarm.OperatorService;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code pgherd operator undeploy}: the operator's Swarm service removed; clusters and the home in the Swarm stay. */
@Command(name = "undeploy", description = "Remove the Docker Swarm service " + OperatorService.NAME
    + " (the clusters keep running; their state stays in the Swarm).")
final class OperatorUndeployCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    try (DockerGateway docker = DockerGateway.connect()) {
      System.out.println(new OperatorService(docker.client(), docker.host()).undeploy());
      return 0;
    } catch (java.io.IOException e) {
      throw new Main.UserError("operator undeploy: " + e.getMessage(), 1);
    } catch (EngineUnavailableException e) {
      throw new Main.UserError("operator undeploy: " + e.getMessage() + "; nothing was changed", 1);
    }
  }
}
