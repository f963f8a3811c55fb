package io.pgherd.swarm;

import io.pgherd.api.PlacementConstraints;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which node a new member of a cluster goes to (pure). Its data will live there, so the choice is
 * pgherd's, not left to Swarm: a node that is ready, active (not paused or drained) and meets
 * every constraint of the spec ({@link PlacementConstraints}: {@code node.labels.db==true}, {@code node.role!=worker},
 * {@code node.id==…}, {@code node.hostname==…}); one member of a cluster per node; among those the
 * node that runs the fewest pgherd members, then the lowest id (the same answer every time). When
 * there is none, the member waits and the reason names each node and why it is out.
 */
public final class Placement {
  private Placement() {}

  /** A Swarm node as placement sees it: role manager|worker, availability active|pause|drain, state ready|down|unknown|disconnected. */
  public record Node(String id, String hostname, String role, String availability, String state, Map<String, String> labels) {}

  /** The chosen node, or none and why. */
  public record Decision(Optional<String> node, String reason) {
    static Decision on(String node, String reason) {
      return new Decision(Optional.of(node), reason);
    }

    static Decision none(String reason) {
      return new Decision(Optional.empty(), reason);
    }
  }

  /**
   * @param constraints the spec's placement constraints (already checked by {@link #problems})
   * @param cluster the cluster's name, for the reason
   * @param taken the nodes that hold a member of this cluster already
   * @param load pgherd members (of any cluster) per node
   */
  public static Decision choose(List<Node> nodes, List<String> constraints, String cluster, Set<String> taken,
      Map<String, Integer> load) {
    List<String> out = new ArrayList<>();
    List<Node> free = new ArrayList<>();
    for (Node n : nodes.stream().sorted(Comparator.comparing(Node::id)).toList()) {
      Optional<String> why = unfit(n, constraints);
      if (why.isEmpty() && taken.contains(n.id())) {
        why = Optional.of("runs a member of " + cluster + " already");
      }
      if (why.isPresent()) {
        out.add(name(n) + " " + why.get());
      } else {
        free.add(n);
      }
    }
    Optional<Node> best = free.stream().min(Comparator.comparing((Node n) -> load.getOrDefault(n.id(), 0))
        .thenComparing(Node::id));
    if (best.isPresent()) {
      return Decision.on(best.get().id(), "on " + name(best.get()) + " (" + load.getOrDefault(best.get().id(), 0)
          + " pgherd member(s) there; " + free.size() + " node(s) eligible)");
    }
    if (nodes.isEmpty()) {
      return Decision.none("no node for it: the Swarm lists no node");
    }
    return Decision.none("no node for it (one member of a cluster per node): " + String.join("; ", out));
  }

  /** Why a node cannot take a member, whoever else is there; empty when it can. */
  static Optional<String> unfit(Node n, List<String> constraints) {
    if (!"ready".equalsIgnoreCase(n.state())) {
      return Optional.of("is " + n.state()); // lower case already, with when it became so (NodeChoice)
    }
    if (!"active".equalsIgnoreCase(n.availability())) {
      return Optional.of("is " + ("drain".equalsIgnoreCase(n.availability()) ? "drained" : "paused"));
    }
    List<String> unmet = constraints.stream().filter(c -> !meets(n, c)).collect(Collectors.toList());
    return unmet.isEmpty() ? Optional.empty() : Optional.of("does not meet " + String.join(", ", unmet));
  }

  /** Whether the node meets one constraint, as Swarm reads it (a label the node lacks is equal to nothing). */
  static boolean meets(Node n, String constraint) {
    PlacementConstraints.Constraint c = PlacementConstraints.parse(constraint)
        .orElseThrow(() -> new IllegalArgumentException("not a constraint: " + constraint));
    String actual = switch (c.key()) {
      case "node.id" -> n.id();
      case "node.hostname" -> n.hostname();
      case "node.role" -> n.role();
      default -> n.labels().get(c.key().substring("node.labels.".length()));
    };
    return c.equal() == (actual != null && actual.equalsIgnoreCase(c.value()));
  }

  private static String name(Node n) {
    return "node " + n.id() + (n.hostname() == null || n.hostname().isBlank() ? "" : " (" + n.hostname() + ")");
  }
}
