package io.pgherd.cli;

import io.pgherd.docker.DockerGateway;
import io.pgherd.runtime.ContainerRuntime;
import io.pgherd.runtime.EngineUnavailableException;
import io.pgherd.swarm.SwarmManager;
import io.pgherd.swarm.SwarmRuntime;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * {@code --runtime auto|docker|swarm} (env {@value #ENV}), for the commands that run the operator:
 * clusters as containers of one Docker engine, or as services of the Docker Swarm whose manager
 * {@code DOCKER_HOST} names. {@code auto} (the default) is the Swarm on an engine that is an active
 * Swarm manager, Docker otherwise — with one adoption rule: an engine that already runs pgherd
 * clusters as plain containers keeps them on Docker (turning to services would make every member
 * again), and says so; {@code --runtime swarm} forces the Swarm.
 */
final class RuntimeOption {
  static final String ENV = "PGHERD_RUNTIME";

  @Option(names = "--runtime", paramLabel = "auto|docker|swarm",
      description = "where clusters run: docker (containers of the engine DOCKER_HOST names), swarm (services of the"
          + " Docker Swarm whose manager DOCKER_HOST names), auto (default: swarm on an active Swarm manager that runs"
          + " no pgherd cluster as plain containers, else docker; env " + ENV + ")")
  String runtime;

  enum Kind { AUTO, DOCKER, SWARM }

  /** The runtime for {@code docker}'s engine; a bad value, or swarm on an engine that is no manager, is a UserError. */
  ContainerRuntime runtime(DockerGateway docker) {
    Kind kind = wanted(runtime, System.getenv(ENV));
    if (kind == Kind.DOCKER) {
      return docker;
    }
    SwarmManager.Role role;
    try {
      role = SwarmManager.role(docker.client(), new io.pgherd.docker.EngineCalls(docker.host()));
    } catch (EngineUnavailableException e) {
      if (kind == Kind.AUTO) {
        // not fatal: the operator keeps retrying its engine, and status says why nothing happens
        System.err.println("runtime auto: docker (the engine at " + docker.host() + " does not answer: " + e.getMessage()
            + "; --runtime swarm to run on a Swarm)");
        return docker;
      }
      throw new Main.UserError("--runtime swarm: " + e.getMessage(), 1);
    }
    if (kind == Kind.AUTO) {
      Auto choice = auto(role, role == SwarmManager.Role.MANAGER ? plainClusters(docker) : List.of(), docker.host());
      System.err.println("runtime auto: " + choice.kind().name().toLowerCase(Locale.ROOT) + " (" + choice.why() + ")");
      if (choice.kind() == Kind.DOCKER) {
        return docker;
      }
    }
    String refusal = refusal(role, docker.host());
    if (refusal != null) {
      throw new Main.UserError(refusal, 2);
    }
    try {
      return new SwarmRuntime(docker);
    } catch (IllegalArgumentException e) {
      throw new Main.UserError(e.getMessage(), 2); // a bad setting in the environment
    }
  }

  /** The runtime asked for: the option, else the environment, else auto. */
  static Kind wanted(String option, String env) {
    String value = option != null ? option : env;
    if (value == null || value.isBlank()) {
      return Kind.AUTO;
    }
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "auto" -> Kind.AUTO;
      case "docker" -> Kind.DOCKER;
      case "swarm" -> Kind.SWARM;
      default -> throw new Main.UserError((option != null ? "--runtime" : ENV) + ": must be auto, docker or swarm, got '"
          + value + "'", 2);
    };
  }

  /** What auto chose, and why (said when the operator starts). */
  record Auto(Kind kind, String why) {}

  /** auto's choice for an engine of {@code role} that runs {@code plainClusters} as plain containers. */
  static Auto auto(SwarmManager.Role role, List<String> plainClusters, String host) {
    return switch (role) {
      case NOT_IN_A_SWARM -> new Auto(Kind.DOCKER, "the engine at " + host + " is in no Swarm");
      case WORKER -> new Auto(Kind.DOCKER, "the engine at " + host + " is a Swarm worker, not a manager: its own"
          + " containers only");
      case MANAGER -> plainClusters.isEmpty()
          ? new Auto(Kind.SWARM, "the engine at " + host + " is a Swarm manager; --runtime docker keeps clusters on this"
              + " engine alone")
          : new Auto(Kind.DOCKER, "the engine at " + host + " is a Swarm manager, but runs the cluster(s) "
              + String.join(", ", plainClusters) + " as plain containers, which stay as they are; --runtime swarm"
              + " to run clusters as Swarm services");
    };
  }

  /** The pgherd clusters this engine runs as plain containers (not a Swarm service's tasks), sorted. */
  static List<String> plainClusters(DockerGateway docker) {
    return new io.pgherd.docker.EngineCalls(docker.host()).call(() -> docker.client().listContainersCmd()
            .withShowAll(true).withLabelFilter(List.of(io.pgherd.model.Names.LABEL_CLUSTER)).exec()).stream()
        .filter(c -> c.getLabels() != null && !c.getLabels().containsKey("com.docker.swarm.service.id"))
        .map(c -> c.getLabels().get(io.pgherd.model.Names.LABEL_CLUSTER)).distinct().sorted().toList();
  }

  /** Why the Swarm runtime cannot run against an engine of this role (null: it can). */
  static String refusal(SwarmManager.Role role, String host) {
    return switch (role) {
      case MANAGER -> null;
      case WORKER -> "--runtime swarm: the Docker engine at " + host + " is a Swarm worker; pgherd changes services"
          + " through a manager (`docker node ls` on one lists them); nothing was changed";
      case NOT_IN_A_SWARM -> "--runtime swarm: the Docker engine at " + host + " is in no Swarm (`docker swarm init`"
          + " makes one); use --runtime docker for one engine; nothing was changed";
    };
  }
}
