package io.pgherd.steps;

import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.Observed;
import io.pgherd.model.Names;
import io.pgherd.postgres.Instance;
import io.pgherd.postgres.InstanceException;
import io.pgherd.postgres.InstanceProbe;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.runtime.MemberAccess;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The pass's first look: the cluster's containers, volumes and load balancer as the engine lists
 * them, and every running member probed over SQL, in parallel (one that hangs delays nobody
 * else's probe). One immutable {@link Observed} per look.
 */
public final class Observer extends ClusterPart {
  /** Threads for SQL probes, shared by all clusters; idle ones end after a minute. */
  private static final ExecutorService PROBES = new ThreadPoolExecutor(
      0, 32, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
        Thread t = new Thread(r, "pgherd-probe");
        t.setDaemon(true);
        return t;
      }, new ThreadPoolExecutor.CallerRunsPolicy());

  public Observer(ClusterScope scope) {
    super(scope);
  }

  public Observed observe() {
    boolean network = docker.networkExists(Names.network(cluster));
    if (network) {
      joinNetwork(); // before any probe: an operator restarted in a container is on no cluster network yet
    }
    Map<Integer, ContainerInfo> members = new TreeMap<>();
    ContainerInfo lb = null;
    for (ContainerInfo c : docker.containers(Names.LABEL_CLUSTER, cluster)) {
      String component = c.label(Names.LABEL_COMPONENT);
      if (Names.COMPONENT_LB.equals(component)) {
        lb = c;
      } else if (Names.COMPONENT_MEMBER.equals(component) && c.label(Names.LABEL_MEMBER) != null) {
        members.put(Names.ordinal(cluster, c.label(Names.LABEL_MEMBER)), c);
      }
    }
    Set<Integer> volumes = new TreeSet<>();
    for (String v : docker.volumes(Names.LABEL_CLUSTER, cluster)) {
      String prefix = "pgherd-" + cluster + "-";
      if (v.startsWith(prefix) && v.endsWith("-data")) {
        try {
          volumes.add(Integer.parseInt(v.substring(prefix.length(), v.length() - "-data".length())));
        } catch (NumberFormatException e) {
          // not a member volume of ours
        }
      }
    }
    // Members are probed in parallel: one that hangs (frozen, cut off) delays nobody else's probe.
    Map<Integer, CompletableFuture<Object>> pending = new TreeMap<>();
    for (var e : members.entrySet()) {
      if (!e.getValue().running() || recovering.contains(e.getValue().id())) {
        continue;
      }
      Optional<Instance> sql = sql(e.getValue());
      pending.put(e.getKey(), CompletableFuture.supplyAsync(() -> {
        if (sql.isEmpty()) {
          return access.mode() == MemberAccess.Mode.PORTS ? "port 5432 is not published"
              : "not attached to " + Names.network(cluster);
        }
        try {
          return sql.get().probe();
        } catch (InstanceException ex) {
          return ex.getMessage();
        }
      }, PROBES));
    }
    Map<Integer, InstanceProbe> probes = new TreeMap<>();
    Map<Integer, String> errors = new TreeMap<>();
    pending.forEach((ordinal, future) -> {
      Object outcome = future.join();
      if (outcome instanceof InstanceProbe probe) {
        probes.put(ordinal, probe);
      } else {
        errors.put(ordinal, String.valueOf(outcome));
      }
    });
    return new Observed(network, members, volumes, lb, probes, errors);
  }
}
