package io.pgherd.reconcile;

import io.pgherd.api.ClusterConfig;
import io.pgherd.api.PostgresCluster;
import io.pgherd.cluster.Observed;
import io.pgherd.cluster.Progress;
import io.pgherd.model.Topology;

/** What one pass works on: the spec, and the topology and observation as they change within the pass. */
final class Pass {
  final PostgresCluster spec;
  final ClusterConfig cfg;
  final long generation;
  final Progress progress = new Progress();
  Topology topology;
  Observed obs;

  Pass(PostgresCluster spec, ClusterConfig cfg, Topology topology, Observed obs) {
    this.spec = spec;
    this.cfg = cfg;
    this.generation = spec.getMetadata().getGeneration() == null ? 0 : spec.getMetadata().getGeneration();
    this.topology = topology;
    this.obs = obs;
  }
}
