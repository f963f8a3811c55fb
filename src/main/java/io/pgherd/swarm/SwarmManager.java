package io.pgherd.swarm;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.model.LocalNodeState;
import com.github.dockerjava.api.model.SwarmInfo;
import io.pgherd.docker.EngineCalls;
import io.pgherd.runtime.EngineUnavailableException;

/**
 * Whether an engine can run pgherd's clusters as Swarm services: an active manager of a Swarm
 * that has a leader. Each answer that is not "yes" names what is wrong and what to do, and
 * nothing is changed: a worker cannot create services; a Swarm without a majority of its managers
 * has no leader and refuses every change (swarmkit answers "The swarm does not have a leader"
 * while the engine still says it is a manager, so this asks for the node list, which needs one).
 */
public final class SwarmManager {
  private SwarmManager() {}

  /** What the engine is, as far as pgherd's runtimes care. */
  public enum Role { NOT_IN_A_SWARM, WORKER, MANAGER }

  /** The engine's part in a Swarm (answered by the engine alone, no leader needed). */
  public static Role role(DockerClient client, EngineCalls calls) {
    SwarmInfo s = calls.call(() -> client.infoCmd().exec()).getSwarm();
    if (s == null || s.getLocalNodeState() != LocalNodeState.ACTIVE) {
      return Role.NOT_IN_A_SWARM;
    }
    return Boolean.TRUE.equals(s.getControlAvailable()) ? Role.MANAGER : Role.WORKER;
  }

  /** Throws {@link EngineUnavailableException} naming why the engine at {@code host} cannot run pgherd's Swarm services now. */
  public static void check(DockerClient client, EngineCalls calls, String host) {
    SwarmInfo s = calls.call(() -> client.infoCmd().exec()).getSwarm();
    if (s == null || s.getLocalNodeState() != LocalNodeState.ACTIVE) {
      String state = s == null || s.getLocalNodeState() == null ? "none" : s.getLocalNodeState().name().toLowerCase();
      throw new EngineUnavailableException("the Docker engine at " + host + " is not an active Swarm node (its Swarm state: "
          + state + "): run pgherd against a Swarm manager, or with --runtime docker", null);
    }
    if (!Boolean.TRUE.equals(s.getControlAvailable())) {
      throw new EngineUnavailableException("the Docker engine at " + host + " is a Swarm worker, not a manager: services can"
          + " only be changed through a manager (`docker node ls` on one lists them)", null);
    }
    try {
      calls.call(() -> client.listSwarmNodesCmd().exec());
    } catch (DockerException e) {
      if (String.valueOf(e.getMessage()).contains("does not have a leader")) {
        throw new EngineUnavailableException("the Swarm of the manager at " + host + " has no leader: a majority of its"
            + " managers cannot be reached, so the Swarm accepts no change; pgherd changes nothing until it has one", e);
      }
      throw e;
    }
  }
}
