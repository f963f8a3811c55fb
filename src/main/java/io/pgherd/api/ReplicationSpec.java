package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import java.util.Objects;

/**
 * Streaming replication settings ({@code spec.replication}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ReplicationSpec {

  @JsonPropertyDescription("async (default) or sync (synchronous_standby_names, zero-loss failover).")
  @Pattern("^(async|sync)$")
  private String mode;

  @JsonPropertyDescription("Never promote a replica further behind than this size. Default 16MB.")
  private String maximumLagOnFailover;

  public String getMode() {
    return mode;
  }

  public void setMode(String mode) {
    this.mode = mode;
  }

  public String getMaximumLagOnFailover() {
    return maximumLagOnFailover;
  }

  public void setMaximumLagOnFailover(String maximumLagOnFailover) {
    this.maximumLagOnFailover = maximumLagOnFailover;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof ReplicationSpec)) {
      return false;
    }
    ReplicationSpec other = (ReplicationSpec) o;
    return Objects.equals(mode, other.mode)
        && Objects.equals(maximumLagOnFailover, other.maximumLagOnFailover);
  }

  @Override
  public int hashCode() {
    return Objects.hash(mode, maximumLagOnFailover);
  }

  @Override
  public String toString() {
    return "ReplicationSpec{"
        + "mode=" + mode
        + ", maximumLagOnFailover=" + maximumLagOnFailover
        + "}";
  }
}
