package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import java.util.Objects;

/**
 * Backup retention ({@code spec.backup.retention}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RetentionSpec {

  @JsonPropertyDescription("Number of base backups to keep (1..1000). Default 7.")
  @Min(1)
  @Max(1000)
  private Integer fullBackups;

  public Integer getFullBackups() {
    return fullBackups;
  }

  public void setFullBackups(Integer fullBackups) {
    this.fullBackups = fullBackups;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof RetentionSpec)) {
      return false;
    }
    RetentionSpec other = (RetentionSpec) o;
    return Objects.equals(fullBackups, other.fullBackups);
  }

  @Override
  public int hashCode() {
    return Objects.hash(fullBackups);
  }

  @Override
  public String toString() {
    return "RetentionSpec{"
        + "fullBackups=" + fullBackups
        + "}";
  }
}
