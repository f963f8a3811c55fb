package io.pgherd.swarm;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Service;
import com.github.dockerjava.api.model.SwarmNode;
import io.pgherd.docker.EngineCalls;
import io.pgherd.model.Names;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The node for a service that holds data, from what the Swarm says now: the node its volume lives
 * on when it has one ({@link VolumeNodes}) — even a node that is down or drained: the data is
 * there, and the service waits, saying so, rather than start empty elsewhere — else
 * {@link Placement}'s choice among the nodes, the group's other members and every pgherd member's
 * node counted.
 */
final class NodeChoice {
  private final DockerClient client;
  private final EngineCalls calls;
  private final VolumeNodes volumes;

  NodeChoice(DockerClient client, EngineCalls calls, VolumeNodes volumes) {
    this.client = client;
    this.calls = calls;
    this.volumes = volumes;
  }

  /**
   * Where the service {@code name} (holding {@code volume}, its nodes to meet {@code constraints},
   * one per node among the services of {@code group} unless that is null) goes, or why it waits.
   */
  Placement.Decision choose(String name, List<String> constraints, String group, String volume) {
    List<Placement.Node> nodes = nodes();
    Optional<String> home = volumes.node(volume);
    if (home.isPresent()) {
      Optional<Placement.Node> there = nodes.stream().filter(n -> n.id().equals(home.get())).findFirst();
      if (there.isEmpty()) {
        return Placement.Decision.none("its data (volume " + volume + ") is on node " + home.get()
            + ", which is no longer in the Swarm");
      }
      Optional<String> unfit = Placement.unfit(there.get(), List.of());
      return unfit.isPresent()
          ? Placement.Decision.none("its data (volume " + volume + ") is on node " + home.get() + ", which " + unfit.get()
              + "; it is not moved: its data is there")
          : Placement.Decision.on(home.get(), "on node " + home.get() + ", where its data is");
    }
    Set<String> taken = new HashSet<>();
    Map<String, Integer> load = new HashMap<>();
    for (Service s : calls.call(() -> client.listServicesCmd()
        .withLabelFilter(Map.of(Names.LABEL_COMPONENT, Names.COMPONENT_MEMBER)).exec())) {
      Optional<String> node = ServiceSpecs.pinnedNode(s.getSpec());
      if (node.isEmpty() || s.getSpec().getName().equals(name)) {
        continue;
      }
      load.merge(node.get(), 1, Integer::sum);
      String theirs = s.getSpec().getLabels() == null ? null : s.getSpec().getLabels().get(ServiceSpecs.LABEL_GROUP);
      if (group != null && group.equals(theirs)) {
        taken.add(node.get());
      }
    }
    return Placement.choose(nodes, constraints, group == null ? name : group, taken, load);
  }

  private List<Placement.Node> nodes() {
    return nodes(client, calls);
  }

  /** The Swarm's nodes as placement sees them. */
  static List<Placement.Node> nodes(DockerClient client, EngineCalls calls) {
    return calls.call(() -> client.listSwarmNodesCmd().exec()).stream().map(NodeChoice::node).toList();
  }

  private static Placement.Node node(SwarmNode n) {
    String state = lower(n.getStatus().getState());
    if (!"ready".equals(state) && n.getUpdatedAt() != null) {
      // the node's record last changed when the Swarm marked it so: as near as the Swarm says to "since"
      state += " (since " + n.getUpdatedAt().toInstant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + ")";
    }
    return new Placement.Node(n.getId(), n.getDescription() == null ? null : n.getDescription().getHostname(),
        lower(n.getSpec().getRole()), lower(n.getSpec().getAvailability()), state,
        n.getSpec().getLabels() == null ? Map.of() : n.getSpec().getLabels());
  }

  private static String lower(Enum<?> e) {
    return e == null ? "unknown" : e.name().toLowerCase(Locale.ROOT);
  }
}
