package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Map;
import java.util.Objects;

/**
 * PostgreSQL settings of a cluster ({@code spec.postgres}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PostgresSpec {

  @JsonPropertyDescription("PostgreSQL container image. Default pgherd/postgres:15.")
  private String image;

  @JsonPropertyDescription("postgresql.conf overrides, e.g. max_connections: \"200\". Parameters that pgherd manages itself are refused.")
  private Map<String, String> parameters;

  public String getImage() {
    return image;
  }

  public void setImage(String image) {
    this.image = image;
  }

  public Map<String, String> getParameters() {
    return parameters;
  }

  public void setParameters(Map<String, String> parameters) {
    this.parameters = parameters;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof PostgresSpec)) {
      return false;
    }
    PostgresSpec other = (PostgresSpec) o;
    return Objects.equals(image, other.image)
        && Objects.equals(parameters, other.parameters);
  }

  @Override
  public int hashCode() {
    return Objects.hash(image, parameters);
  }

  @Override
  public String toString() {
    return "PostgresSpec{"
        + "image=" + image
        + ", parameters=" + parameters
        + "}";
  }
}
