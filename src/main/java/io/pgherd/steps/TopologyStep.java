package io.pgherd.steps;

import io.pgherd.api.ClusterConfig;
import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.Observed;
import io.pgherd.model.Topology;
import java.util.ArrayList;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** The cluster's topology (members, primary, a change of primary under way) as stored, adopted or scaled. */
public final class TopologyStep extends ClusterPart {

  public TopologyStep(ClusterScope scope) {
    super(scope);
  }

  /**
   * The stored topology, or one adopted from what runs (an operator that lost its home), or a new
   * one; then scaled to the spec. Persisted before any step acts on it.
   */
  public Topology topology(ClusterConfig cfg, Observed obs) {
    Optional<Topology> stored = home.readState(cluster);
    Topology current;
    if (stored.isPresent()) {
      current = stored.get();
    } else if (!obs.members().isEmpty() || !obs.volumes().isEmpty()) {
      Set<Integer> ordinals = new TreeSet<>(obs.members().keySet());
      ordinals.addAll(obs.volumes());
      Set<Integer> writable = obs.writable();
      int primary = writable.size() == 1 ? writable.iterator().next() : ordinals.iterator().next();
      current = new Topology(new ArrayList<>(ordinals), ((TreeSet<Integer>) ordinals).last() + 1, primary);
      log.action("adopt", "no stored state; adopted members " + names(ordinals) + " with primary "
          + member(primary) + " from what exists in Docker");
    } else {
      current = Topology.initial(cfg.instances());
      log.action("create-cluster", "new cluster with " + cfg.instances() + " member(s): "
          + names(current.members()) + ", " + member(current.primary()) + " the primary");
    }
    Topology scaled = current.scaledTo(cfg.instances());
    if (!scaled.equals(current)) {
      Set<Integer> added = new TreeSet<>(scaled.members());
      added.removeAll(current.members());
      Set<Integer> removed = new TreeSet<>(current.members());
      removed.removeAll(scaled.members());
      log.action("scale", current.members().size() + " → " + scaled.members().size()
          + " members (spec.instances)" + (added.isEmpty() ? "" : "; adding " + names(added))
          + (removed.isEmpty() ? "" : "; removing " + names(removed)));
    }
    if (stored.isEmpty() || !stored.get().equals(scaled)) {
      home.writeState(cluster, scaled);
    }
    return scaled;
  }
}
