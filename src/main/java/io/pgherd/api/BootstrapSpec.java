package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/**
 * How a cluster is created ({@code spec.bootstrap}); absent means a fresh initdb.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BootstrapSpec {

  @JsonPropertyDescription("Restore from another cluster's backups (point-in-time recovery).")
  private RecoverySpec recovery;

  public RecoverySpec getRecovery() {
    return recovery;
  }

  public void setRecovery(RecoverySpec recovery) {
    this.recovery = recovery;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof BootstrapSpec)) {
      return false;
    }
    BootstrapSpec other = (BootstrapSpec) o;
    return Objects.equals(recovery, other.recovery);
  }

  @Override
  public int hashCode() {
    return Objects.hash(recovery);
  }

  @Override
  public String toString() {
    return "BootstrapSpec{"
        + "recovery=" + recovery
        + "}";
  }
}
