package io.pgherd.steps;

import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.Result;
import io.pgherd.model.Names;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.store.Home;
import java.util.ArrayList;
import java.util.List;

/** {@code pgherd delete}: the cluster's containers and network go; with purge its volumes and secrets too. */
public final class Deletion extends ClusterPart {

  public Deletion(ClusterScope scope) {
    super(scope);
  }

  /** Containers and the network go; volumes and secrets too with purge. */
  public Result delete() {
    boolean purge = Home.readString(home.deleteRequest(cluster)).map(s -> s.contains("purge")).orElse(false);
    List<String> removed = new ArrayList<>();
    for (ContainerInfo c : docker.containers(Names.LABEL_CLUSTER, cluster)) {
      docker.remove(c.id());
      removed.add(c.name());
    }
    access.leave(docker, Names.network(cluster));
    docker.removeNetwork(Names.network(cluster));
    List<String> volumes = docker.volumes(Names.LABEL_CLUSTER, cluster);
    if (purge) {
      volumes.forEach(docker::removeVolume);
    }
    log.action("delete", "removed containers " + removed + " and network " + Names.network(cluster)
        + (purge ? "; purged volumes " + volumes + " and secrets" : "; kept volumes " + volumes));
    home.forget(cluster, purge);
    fileHashes.clear();
    return Result.finished("deleted");
  }}
