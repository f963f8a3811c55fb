package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import java.util.Objects;

/**
 * Automatic failover settings ({@code spec.failover}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class FailoverSpec {

  @JsonPropertyDescription("Fail over automatically when the primary is lost. Default true.")
  private Boolean enabled;

  @JsonPropertyDescription("How often members are probed (500ms..1m). Default 2s.")
  private String probePeriod;

  @JsonPropertyDescription("Consecutive failed probes before the primary is declared lost (1..20). Default 3.")
  @Min(1)
  @Max(20)
  private Integer failureThreshold;

  @JsonPropertyDescription("How long a primary's agent may hear nothing from the operator before it fences itself,"
      + " when it also reaches no majority of the members (2s..5m). The operator promotes a replica in place of an"
      + " unreachable primary only once this much (plus a margin) has passed since it last reached that agent."
      + " Default 10s.")
  private String isolationTimeout;

  public Boolean getEnabled() {
    return enabled;
  }

  public void setEnabled(Boolean enabled) {
    this.enabled = enabled;
  }

  public String getProbePeriod() {
    return probePeriod;
  }

  public void setProbePeriod(String probePeriod) {
    this.probePeriod = probePeriod;
  }

  public String getIsolationTimeout() {
    return isolationTimeout;
  }

  public void setIsolationTimeout(String isolationTimeout) {
    this.isolationTimeout = isolationTimeout;
  }

  public Integer getFailureThreshold() {
    return failureThreshold;
  }

  public void setFailureThreshold(Integer failureThreshold) {
    this.failureThreshold = failureThreshold;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof FailoverSpec)) {
      return false;
    }
    FailoverSpec other = (FailoverSpec) o;
    return Objects.equals(enabled, other.enabled)
        && Objects.equals(probePeriod, other.probePeriod)
        && Objects.equals(failureThreshold, other.failureThreshold)
        && Objects.equals(isolationTimeout, other.isolationTimeout);
  }

  @Override
  public int hashCode() {
    return Objects.hash(enabled, probePeriod, failureThreshold, isolationTimeout);
  }

  @Override
  public String toString() {
    return "FailoverSpec{"
        + "enabled=" + enabled
        + ", probePeriod=" + probePeriod
        + ", failureThreshold=" + failureThreshold
        + ", isolationTimeout=" + isolationTimeout
        + "}";
  }
}
