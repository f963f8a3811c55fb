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
    try {
      return MemberAccess.detectLater(docker, via);
    } catch (MemberAccess.Unusable e) {
      throw new Main.UserError(e.getMessage(), 2);
    }
  }
}
