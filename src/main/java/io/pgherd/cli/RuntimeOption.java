package io.pgherd.cli;

import io.pgherd.docker.DockerGateway;
import io.pgherd.runtime.ContainerRuntime;
import io.pgherd.runtime.EngineUnavailableException;
import io.pgherd.swarm.SwarmManager;
import io.pgherd.swarm.SwarmRuntime;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * {@code --runtime auto|docker|swarm} (env {@value #ENV}), for the commands that run the operator:
 * clusters as containers of one Docker engine, or as services of the Docker Swarm whose manager
 * {@code DOCKER_HOST} names. {@code auto} is Docker for now: the Swarm runtime is being built
 * (issue 22) and is used only when asked for by name; it becomes "Swarm on an active manager"
 * when the operator runs whole clusters on a Swarm.
 */
final class RuntimeOption {
  static final String ENV = "PGHERD_RUNTIME";

  @Option(names = "--runtime", paramLabel = "auto|docker|swarm",
      description = "where clusters run: docker (containers of the engine DOCKER_HOST names), swarm (services of the"
          + " Docker Swarm whose manager DOCKER_HOST names; in progress, issue 22), auto (default: docker for now;"
          + " env " + ENV + ")")
  String runtime;

  enum Kind { DOCKER, SWARM }

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
      throw new Main.UserError("--runtime swarm: " + e.getMessage(), 1);
    }
    String refusal = refusal(role, docker.host());
    if (refusal != null) {
      throw new Main.UserError(refusal, 2);
    }
    return new SwarmRuntime(docker);
  }

  /** The runtime asked for: the option, else the environment, else auto (Docker for now). */
  static Kind wanted(String option, String env) {
    String value = option != null ? option : env;
    if (value == null || value.isBlank()) {
      return Kind.DOCKER;
    }
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "auto", "docker" -> Kind.DOCKER;
      case "swarm" -> Kind.SWARM;
      default -> throw new Main.UserError((option != null ? "--runtime" : ENV) + ": must be auto, docker or swarm, got '"
          + value + "'", 2);
    };
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
