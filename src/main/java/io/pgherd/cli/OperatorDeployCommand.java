package io.pgherd.cli;

import io.pgherd.docker.DockerGateway;
import io.pgherd.runtime.EngineUnavailableException;
import io.pgherd.swarm.OperatorService;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pgherd operator deploy}: the operator as a Swarm service, through the manager DOCKER_HOST names. */
@Command(name = "deploy", description = "Run the operator as the Docker Swarm service " + OperatorService.NAME
    + " (a replica on each manager, up to three, one acting and the others standing by; its home kept in the Swarm):"
    + " created, or updated.")
final class OperatorDeployCommand implements Callable<Integer> {
  @Option(names = "--image", paramLabel = "IMAGE", description = "the operator's image, present on every manager"
      + " (default: pgherd/operator:latest)")
  String image = "pgherd/operator:latest";

  @Option(names = "--docker-socket", paramLabel = "PATH", description = "the Docker engine's socket on every manager"
      + " (default: /var/run/docker.sock)")
  String socket = "/var/run/docker.sock";

  @Option(names = "--constraint", paramLabel = "EXPR", description = "a further placement constraint, Swarm syntax"
      + " (repeatable; node.role==manager always holds)")
  List<String> constraints = new ArrayList<>();

  @Option(names = "--encryption", paramLabel = "auto|on|off", description = "clusters' overlays encrypted (IPsec):"
      + " auto (default: where a probe finds an encrypted overlay carries traffic between the nodes), on, off")
  String encryption = "auto";

  @Option(names = "--primary-placement", paramLabel = "on|off", description = "on (default): the clusters' primaries"
      + " are kept off the node of the Swarm's raft leader (a switchover when one is there and all is Healthy); off: left"
      + " where they are")
  String primaryPlacement = "on";

  @Option(names = "--replicas", paramLabel = "N", description = "how many replicas, at most one per manager: the"
      + " holder of the operator lease acts, the others stand by (default: one per manager, up to 3)")
  Integer replicas;

  @Override
  public Integer call() {
    if (replicas != null && (replicas < 1 || replicas > OperatorService.MAX_REPLICAS)) {
      throw new Main.UserError("--replicas: must be 1 to " + OperatorService.MAX_REPLICAS + ", got " + replicas
          + "; nothing was changed", 2);
    }
    if (!List.of("auto", "on", "off").contains(encryption)) {
      throw new Main.UserError("--encryption: must be auto, on or off, got '" + encryption + "'; nothing was changed", 2);
    }
    if (!List.of("on", "off").contains(primaryPlacement)) {
      throw new Main.UserError("--primary-placement: must be on or off, got '" + primaryPlacement
          + "'; nothing was changed", 2);
    }
    List<String> problems = io.pgherd.api.PlacementConstraints.problems(constraints);
    if (!problems.isEmpty()) {
      throw new Main.UserError("--constraint: " + String.join("; ", problems) + "; nothing was changed", 2);
    }
    try (DockerGateway docker = DockerGateway.connect()) {
      OperatorService service = new OperatorService(docker.client(), docker.host());
      System.out.println(service.deploy(new OperatorService.Options(image, socket, constraints, encryption,
          replicas == null ? 0 : replicas, "on".equals(primaryPlacement))));
      return 0;
    } catch (IllegalStateException e) {
      throw new Main.UserError("operator deploy: " + e.getMessage(), 1);
    } catch (java.io.IOException e) {
      throw new Main.UserError("operator deploy: " + e.getMessage(), 1);
    } catch (EngineUnavailableException e) {
      throw new Main.UserError("operator deploy: " + e.getMessage() + "; nothing was changed", 1);
    }
  }
}
