package io.pgherd.api;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A PostgreSQL cluster: {@code apiVersion: pgherd.io/v1}, {@code kind: PostgresCluster}.
 *
 * <p>The same class describes the spec files pgherd reads (see {@link SpecValidator#parse}) and the
 * Kubernetes CRD in {@code crds/}, generated from it at build time. A freshly constructed instance
 * already carries the right {@code apiVersion} and {@code kind} and an empty {@code metadata}.
 */
@Group(PostgresCluster.GROUP)
@Version(PostgresCluster.VERSION)
@Kind(PostgresCluster.KIND)
@Plural(PostgresCluster.PLURAL)
public class PostgresCluster extends CustomResource<PostgresClusterSpec, PostgresClusterStatus>
    implements Namespaced {

  private static final long serialVersionUID = 1L;

  public static final String GROUP = "pgherd.io";
  public static final String VERSION = "v1";
  public static final String API_VERSION = GROUP + "/" + VERSION;
  public static final String KIND = "PostgresCluster";
  public static final String PLURAL = "postgresclusters";
}
