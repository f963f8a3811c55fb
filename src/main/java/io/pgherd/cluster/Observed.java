package io.pgherd.cluster;

import io.pgherd.runtime.ContainerInfo;
import io.pgherd.postgres.InstanceProbe;
import java.util.Map;
import java.util.Set;

/**
 * One immutable snapshot of what exists for a cluster, taken at the start of a pass.
 *
 * @param members member containers by ordinal
 * @param volumes member data volumes by ordinal
 * @param probes SQL probes of the running members that answered, by ordinal
 * @param probeErrors why a running member did not answer, by ordinal
 * @param fenced members whose agent says it fenced them (its marker: when and why), by ordinal
 */
public record Observed(
    boolean network, Map<Integer, ContainerInfo> members, Set<Integer> volumes, ContainerInfo lb,
    Map<Integer, InstanceProbe> probes, Map<Integer, String> probeErrors, Map<Integer, String> fenced) {

  public Observed(boolean network, Map<Integer, ContainerInfo> members, Set<Integer> volumes, ContainerInfo lb,
      Map<Integer, InstanceProbe> probes, Map<Integer, String> probeErrors) {
    this(network, members, volumes, lb, probes, probeErrors, Map.of());
  }

  /** This snapshot as it would be without the member's container, volume and probe (removed during the pass). */
  public Observed without(int ordinal) {
    Map<Integer, ContainerInfo> m = new java.util.TreeMap<>(members);
    m.remove(ordinal);
    Set<Integer> v = new java.util.TreeSet<>(volumes);
    v.remove(ordinal);
    Map<Integer, InstanceProbe> p = new java.util.TreeMap<>(probes);
    p.remove(ordinal);
    Map<Integer, String> e = new java.util.TreeMap<>(probeErrors);
    e.remove(ordinal);
    Map<Integer, String> f = new java.util.TreeMap<>(fenced);
    f.remove(ordinal);
    return new Observed(network, Map.copyOf(m), Set.copyOf(v), lb, Map.copyOf(p), Map.copyOf(e), Map.copyOf(f));
  }

  public boolean running(int ordinal) {
    ContainerInfo c = members.get(ordinal);
    return c != null && c.running();
  }

  /** Ordinals of members that answer SQL and are not in recovery. */
  public Set<Integer> writable() {
    return probes.entrySet().stream().filter(e -> !e.getValue().inRecovery()).map(Map.Entry::getKey)
        .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
  }
}
