package io.pgherd.swarm;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.SwarmNode;
import com.github.dockerjava.api.model.SwarmNodeState;
import com.github.dockerjava.api.model.Task;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The Swarm's nodes as the placements look at them: which one is the raft leader, which are
 * ready (a task on a node the Swarm has lost still reads running, so only ready nodes count).
 */
public record SwarmNodes(String raftLeader, Set<String> ready, int count) {
  /** The nodes as a manager lists them now. */
  public static SwarmNodes of(DockerClient client) {
    return of(client.listSwarmNodesCmd().exec());
  }

  static SwarmNodes of(List<SwarmNode> nodes) {
    String leader = null;
    Set<String> ready = new HashSet<>();
    for (SwarmNode n : nodes) {
      if (n.getManagerStatus() != null && Boolean.TRUE.equals(n.getManagerStatus().isLeader())) {
        leader = n.getId();
      }
      if (n.getStatus() != null && n.getStatus().getState() == SwarmNodeState.READY) {
        ready.add(n.getId());
      }
    }
    return new SwarmNodes(leader, Set.copyOf(ready), nodes.size());
  }

  /** Whether the Swarm calls every one of its nodes ready. */
  public boolean everyNodeReady() {
    return ready.size() == count;
  }

  /** The task {@code id} (this operator's own, say), if the Swarm still has it. */
  public static Optional<Task> task(DockerClient client, String id) {
    return client.listTasksCmd().withIdFilter(id).exec().stream().filter(t -> id.equals(t.getId())).findFirst();
  }
}
