package io.pgherd.failover;

import io.pgherd.api.ClusterConfig;
import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.MemberContainers;
import io.pgherd.cluster.MemberFiles;
import io.pgherd.model.Topology;
import io.pgherd.postgres.AgentException;
import io.pgherd.postgres.AgentStatus;
import io.pgherd.postgres.ControlFile;
import io.pgherd.postgres.MemberAgent;
import io.pgherd.runtime.ContainerInfo;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The old primary of a switchover, as its agent handles it: PostgreSQL stopped (fast shutdown)
 * while the container and the agent run on, its pg_control read from the agent's status, the
 * files of a replica delivered before it is started again as a standby, or started again as the
 * primary when the switchover is given up. A member without an agent (made by an older pgherd)
 * gets the engine's way: the container's SIGINT, pg_control read and files copied through the
 * archive API; a stopped container is made again instead of written into.
 */
final class Demotion extends ClusterPart {
  private final MemberFiles memberFiles;
  private final MemberContainers containers;

  Demotion(ClusterScope scope, MemberFiles memberFiles, MemberContainers containers) {
    super(scope);
    this.memberFiles = memberFiles;
    this.containers = containers;
  }

  /** Fast shutdown: through the agent (it keeps PostgreSQL stopped), else the container's SIGINT. */
  String fastShutdown(ContainerInfo old) {
    Optional<MemberAgent> agent = agent(old);
    if (agent.isPresent()) {
      try {
        agent.get().stop("fast");
        return "through its agent";
      } catch (AgentException e) {
        log.warn("agent-fallback", old.name() + ": shut down with the container's SIGINT: " + e.getMessage());
      }
    }
    docker.signal(old.id(), "SIGINT"); // tini hands it to the entrypoint, which passes it to the postmaster
    return "SIGINT to its container";
  }

  /**
   * After an operator restart in the middle of the shutdown: asked again unless its agent says it
   * holds PostgreSQL stopped already (a shutdown under way ignores a second SIGINT).
   */
  void resumeShutdown(ContainerInfo old) {
    Optional<MemberAgent> agent = agent(old);
    if (agent.isPresent()) {
      try {
        if (agent.get().status().held().isPresent()) {
          return;
        }
      } catch (AgentException e) {
        // asked again below, the engine's way if need be
      }
    }
    fastShutdown(old);
  }

  /**
   * The member's pg_control: from its agent's status while the container runs, else (no agent, or
   * the container has exited) read from the container through the engine. Empty when there is none
   * to read; an IllegalArgumentException when what was read is not a valid pg_control (torn).
   */
  Optional<ControlFile> controlFile(ContainerInfo c) {
    Optional<MemberAgent> agent = c.running() ? agent(c) : Optional.empty();
    if (agent.isPresent()) {
      try {
        AgentStatus status = agent.get().status();
        return status.pgControl().map(ControlFile::parse);
      } catch (AgentException e) {
        // gone with its container (a SIGINT fallback), or not answering: the engine's read below
      }
    }
    return docker.readFile(c.id(), PGDATA + "/global/pg_control").map(ControlFile::parse);
  }

  /**
   * Told to come back only as a replica of {@code after}'s primary: a running member whose agent
   * holds PostgreSQL stopped gets the replica's files (it is started as a standby once the target
   * is promoted, {@link Rejoin#restartOldPrimary}); a stopped container is made again as a
   * replica; one without an agent gets the files copied in.
   */
  void followNewPrimary(ClusterConfig cfg, Topology after, int ordinal, ContainerInfo old) {
    Optional<ContainerInfo> now = docker.container(old.name());
    if (now.isEmpty()) {
      return; // made again by an earlier pass, or removed: the members step creates it
    }
    ContainerInfo c = now.get();
    Optional<MemberAgent> agent = c.running() ? agent(c) : Optional.empty();
    if (agent.isPresent()) {
      try {
        var files = memberFiles.memberFiles(cfg, after, ordinal);
        agent.get().putFiles(files);
        docker.keepFiles(c.id(), files); // a new task (a Swarm's, after its host's loss) starts as a replica too
        delivered(c, files);
        return;
      } catch (AgentException e) {
        log.warn("agent-fallback", c.name() + ": " + e.getMessage());
      }
    }
    if (MemberContainers.madeNotStarted(c)) {
      return; // made again by an earlier pass (an operator restarted since)
    }
    if (!c.running()) {
      Path kept = containers.replaceAsReplica(cfg, after, ordinal, c);
      log.action("replace-member", member(ordinal) + ": its container made again to start as a replica of "
          + member(after.primary()) + " (data volume kept" + (kept == null ? "" : "; the last lines of its log in "
          + kept) + ")");
      return;
    }
    docker.copyFiles(c.id(), memberFiles.memberFiles(cfg, after, ordinal));
  }

  /**
   * A switchover given up: the old primary is the primary again. Through its agent when it answers
   * (its files as the primary's, then PostgreSQL started as it was: true); false when it must be
   * started through the engine (the caller does).
   */
  boolean startAgainAsPrimary(ClusterConfig cfg, Topology topology, ContainerInfo old) {
    boolean running = docker.container(old.name()).map(ContainerInfo::running).orElse(false);
    Optional<MemberAgent> agent = running ? agent(old) : Optional.empty();
    if (agent.isEmpty()) {
      return false;
    }
    try {
      var files = memberFiles.memberFiles(cfg, topology, topology.primary());
      agent.get().putFiles(files);
      docker.keepFiles(old.id(), files);
      delivered(old, files);
      agent.get().start(false);
      return true;
    } catch (AgentException e) {
      log.warn("agent-fallback", old.name() + ": started again through the engine: " + e.getMessage());
      return false;
    }
  }
}
