package io.pgherd.swarm;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.model.Network;
import com.github.dockerjava.api.model.Task;
import com.github.dockerjava.api.model.TaskState;
import io.pgherd.docker.EngineCalls;
import io.pgherd.runtime.ContainerRuntime.Networking;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Swarm's overlay networks as {@link SwarmRuntime} sees them: made attachable (the operator's
 * own container joins), named from the ids tasks' specs give, and a running task's networking
 * found anywhere in the Swarm (the operator's own task, when it talks to another manager than its
 * node's engine).
 */
final class SwarmNetworks {
  private final DockerClient client;
  private final EngineCalls calls;
  /** Network id → name (tasks' specs name networks by id). */
  private final Map<String, String> names = new ConcurrentHashMap<>();

  SwarmNetworks(DockerClient client, EngineCalls calls) {
    this.client = client;
    this.calls = calls;
  }

  boolean exists(String name) {
    return find(name).isPresent();
  }

  /** An attachable overlay network (members' services and the operator's own container join it). */
  void ensure(String name, Map<String, String> labels) {
    if (exists(name)) {
      return;
    }
    try {
      calls.call(() -> client.createNetworkCmd().withName(name).withDriver("overlay").withAttachable(true)
          .withLabels(labels).withCheckDuplicate(true).exec());
    } catch (ConflictException e) {
      // made meanwhile: it exists
    }
  }

  /**
   * Removes the network; gone already is fine, including the moment Swarm still lists it by name
   * while its id is gone (HTTP 500 "network ... not found", seen right after its services went).
   */
  void remove(String name) {
    Optional<Network> n = find(name);
    if (n.isEmpty()) {
      return;
    }
    try {
      calls.call(() -> {
        client.removeNetworkCmd(n.get().getId()).exec();
        return null;
      });
    } catch (com.github.dockerjava.api.exception.NotFoundException e) {
      // gone already
    } catch (com.github.dockerjava.api.exception.InternalServerErrorException e) {
      if (!String.valueOf(e.getMessage()).contains("not found")) {
        throw e;
      }
    }
  }

  /** The network's name for an id (or the name itself). */
  String name(String idOrName) {
    return names.computeIfAbsent(idOrName, id -> calls.call(() -> client.listNetworksCmd().withIdFilter(id).exec())
        .stream().filter(n -> id.equals(n.getId())).map(Network::getName).findFirst().orElse(id));
  }

  /**
   * A running task's container on any node, found by its container id or the 12-character prefix
   * its hostname is, with the networks its task is attached to.
   */
  Optional<Networking> taskNetworking(String container) {
    if (container == null || container.length() < 12) {
      return Optional.empty();
    }
    List<Task> running = calls.call(() -> client.listTasksCmd().withStateFilter(TaskState.RUNNING).exec());
    for (Task t : running) {
      String id = t.getStatus() == null || t.getStatus().getContainerStatus() == null ? null
          : t.getStatus().getContainerStatus().getContainerID();
      if (id != null && id.startsWith(container)) {
        return Optional.of(new Networking(id, t.getServiceId() + "." + t.getSlot(), "overlay",
            Set.copyOf(TaskView.networkNames(t))));
      }
    }
    return Optional.empty();
  }

  private Optional<Network> find(String name) {
    return calls.call(() -> client.listNetworksCmd().withNameFilter(name).exec()).stream()
        .filter(n -> name.equals(n.getName())).findFirst();
  }
}
