package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/**
 * Point-in-time recovery from backups ({@code spec.bootstrap.recovery}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RecoverySpec {

  @JsonPropertyDescription("The cluster whose backups are restored.")
  private RecoveryFromSpec from;

  @JsonPropertyDescription("Where recovery stops; absent means the latest WAL available.")
  private RecoveryTargetSpec target;

  public RecoveryFromSpec getFrom() {
    return from;
  }

  public void setFrom(RecoveryFromSpec from) {
    this.from = from;
  }

  public RecoveryTargetSpec getTarget() {
    return target;
  }

  public void setTarget(RecoveryTargetSpec target) {
    this.target = target;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof RecoverySpec)) {
      return false;
    }
    RecoverySpec other = (RecoverySpec) o;
    return Objects.equals(from, other.from)
        && Objects.equals(target, other.target);
  }

  @Override
  public int hashCode() {
    return Objects.hash(from, target);
  }

  @Override
  public String toString() {
    return "RecoverySpec{"
        + "from=" + from
        + ", target=" + target
        + "}";
  }
}
