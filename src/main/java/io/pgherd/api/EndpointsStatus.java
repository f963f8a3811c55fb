package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/**
 * Load balancer addresses ({@code status.endpoints}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"readWrite", "readOnly"})
public class EndpointsStatus {

  @JsonPropertyDescription("host:port of the read-write listener.")
  private String readWrite;

  @JsonPropertyDescription("host:port of the read-only listener.")
  private String readOnly;

  public String getReadWrite() {
    return readWrite;
  }

  public void setReadWrite(String readWrite) {
    this.readWrite = readWrite;
  }

  public String getReadOnly() {
    return readOnly;
  }

  public void setReadOnly(String readOnly) {
    this.readOnly = readOnly;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof EndpointsStatus)) {
      return false;
    }
    EndpointsStatus other = (EndpointsStatus) o;
    return Objects.equals(readWrite, other.readWrite)
        && Objects.equals(readOnly, other.readOnly);
  }

  @Override
  public int hashCode() {
    return Objects.hash(readWrite, readOnly);
  }

  @Override
  public String toString() {
    return "EndpointsStatus{"
        + "readWrite=" + readWrite
        + ", readOnly=" + readOnly
        + "}";
  }
}
