package io.pgherd.cli;

import io.pgherd.docker.DockerGateway;
import io.pgherd.runtime.MemberAccess;
import picocli.CommandLine.Option;

/** --members-via ports|network|auto, for the commands that run the operator (operator, up). */
final class MembersViaOption {
  @Option(names = "--members-via", paramLabel = "ports|network|auto",
      description = "how the operator reaches the members' PostgreSQL: ports (published on 127.0.0.1: on the host,"
          + " or in a container with host networking), network (by name over each cluster's network, which the"
          + " operator's container joins), auto (default: network in a container without host networking, else"
          + " ports; env " + MemberAccess.ENV + ")")
  String via;

  /** The access this operator uses; a bad value is refused at once (exit 2). */
  MemberAccess access(DockerGateway docker) {
    return access(docker, docker);
  }

  /**
   * The access an operator running clusters on {@code runtime} uses (on a Swarm: only over the
   * cluster networks, which its own container joins: the members run on other nodes).
   */
  MemberAccess access(DockerGateway docker, io.pgherd.runtime.ContainerRuntime runtime) {
    try {
      if (runtime != docker) {
        if (via != null && !"network".equalsIgnoreCase(via) && !"auto".equalsIgnoreCase(via)) {
          throw new Main.UserError("--members-via " + via + ": on a Docker Swarm the members run on other nodes and"
              + " are reached only over their overlay networks (--members-via network)", 2);
        }
        return MemberAccess.shared(runtime, io.pgherd.swarm.SwarmRuntime.CONTROL_NETWORK);
      }
      return MemberAccess.detectLater(docker, via);
    } catch (MemberAccess.Unusable e) {
      throw new Main.UserError(e.getMessage(), 2);
    }
  }
}
