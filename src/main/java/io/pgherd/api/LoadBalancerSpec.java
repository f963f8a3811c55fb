package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import java.util.Objects;

/**
 * The HAProxy entry point ({@code spec.loadBalancer}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LoadBalancerSpec {

  @JsonPropertyDescription("IPv4 address the listeners bind to. Default 127.0.0.1; 0.0.0.0 exposes beyond the host.")
  private String bindAddress;

  @JsonPropertyDescription("Read-write listener port (primary only). Default 5432.")
  @Min(1)
  @Max(65535)
  private Integer readWritePort;

  @JsonPropertyDescription("Read-only listener port (load-balanced). Default 5433.")
  @Min(1)
  @Max(65535)
  private Integer readOnlyPort;

  @JsonPropertyDescription("Members behind the read-only listener: all (default) or replicas.")
  @Pattern("^(all|replicas)$")
  private String readOnly;

  @JsonPropertyDescription("A replica further behind than this size leaves the read-only rotation. Default 16MB.")
  private String maxReplicaLag;

  public String getBindAddress() {
    return bindAddress;
  }

  public void setBindAddress(String bindAddress) {
    this.bindAddress = bindAddress;
  }

  public Integer getReadWritePort() {
    return readWritePort;
  }

  public void setReadWritePort(Integer readWritePort) {
    this.readWritePort = readWritePort;
  }

  public Integer getReadOnlyPort() {
    return readOnlyPort;
  }

  public void setReadOnlyPort(Integer readOnlyPort) {
    this.readOnlyPort = readOnlyPort;
  }

  public String getReadOnly() {
    return readOnly;
  }

  public void setReadOnly(String readOnly) {
    this.readOnly = readOnly;
  }

  public String getMaxReplicaLag() {
    return maxReplicaLag;
  }

  public void setMaxReplicaLag(String maxReplicaLag) {
    this.maxReplicaLag = maxReplicaLag;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof LoadBalancerSpec)) {
      return false;
    }
    LoadBalancerSpec other = (LoadBalancerSpec) o;
    return Objects.equals(bindAddress, other.bindAddress)
        && Objects.equals(readWritePort, other.readWritePort)
        && Objects.equals(readOnlyPort, other.readOnlyPort)
        && Objects.equals(readOnly, other.readOnly)
        && Objects.equals(maxReplicaLag, other.maxReplicaLag);
  }

  @Override
  public int hashCode() {
    return Objects.hash(bindAddress, readWritePort, readOnlyPort, readOnly, maxReplicaLag);
  }

  @Override
  public String toString() {
    return "LoadBalancerSpec{"
        + "bindAddress=" + bindAddress
        + ", readWritePort=" + readWritePort
        + ", readOnlyPort=" + readOnlyPort
        + ", readOnly=" + readOnly
        + ", maxReplicaLag=" + maxReplicaLag
        + "}";
  }
}
