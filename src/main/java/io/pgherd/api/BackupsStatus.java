package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/**
 * Backup summary ({@code status.backups}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"last", "firstRecoverabilityPoint"})
public class BackupsStatus {

  @JsonPropertyDescription("When the last successful base backup ended (ISO-8601).")
  private String last;

  @JsonPropertyDescription("The earliest point in time the cluster can be restored to (ISO-8601).")
  private String firstRecoverabilityPoint;

  public String getLast() {
    return last;
  }

  public void setLast(String last) {
    this.last = last;
  }

  public String getFirstRecoverabilityPoint() {
    return firstRecoverabilityPoint;
  }

  public void setFirstRecoverabilityPoint(String firstRecoverabilityPoint) {
    this.firstRecoverabilityPoint = firstRecoverabilityPoint;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof BackupsStatus)) {
      return false;
    }
    BackupsStatus other = (BackupsStatus) o;
    return Objects.equals(last, other.last)
        && Objects.equals(firstRecoverabilityPoint, other.firstRecoverabilityPoint);
  }

  @Override
  public int hashCode() {
    return Objects.hash(last, firstRecoverabilityPoint);
  }

  @Override
  public String toString() {
    return "BackupsStatus{"
        + "last=" + last
        + ", firstRecoverabilityPoint=" + firstRecoverabilityPoint
        + "}";
  }
}
