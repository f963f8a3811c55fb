package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/**
 * The source of a recovery ({@code spec.bootstrap.recovery.from}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RecoveryFromSpec {

  @JsonPropertyDescription("Name of a cluster whose backups live in the object store.")
  private String cluster;

  public String getCluster() {
    return cluster;
  }

  public void setCluster(String cluster) {
    this.cluster = cluster;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof RecoveryFromSpec)) {
      return false;
    }
    RecoveryFromSpec other = (RecoveryFromSpec) o;
    return Objects.equals(cluster, other.cluster);
  }

  @Override
  public int hashCode() {
    return Objects.hash(cluster);
  }

  @Override
  public String toString() {
    return "RecoveryFromSpec{"
        + "cluster=" + cluster
        + "}";
  }
}
