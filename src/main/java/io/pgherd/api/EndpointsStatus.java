package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/**
 * Load balancer addresses ({@code status.endpoints}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"readWrite", "readOnly", "readWriteServers", "readOnlyServers", "instances"})
public class EndpointsStatus {

  @JsonPropertyDescription("host:port of the read-write listener.")
  private String readWrite;

  @JsonPropertyDescription("host:port of the read-only listener.")
  private String readOnly;

  @JsonPropertyDescription("The read-write listener's servers and their state as HAProxy sees it (the primary).")
  private java.util.List<LoadBalancerServerStatus> readWriteServers;

  @JsonPropertyDescription("The read-only listener's servers and their state as HAProxy sees it.")
  private java.util.List<LoadBalancerServerStatus> readOnlyServers;

  @JsonPropertyDescription("On a Docker Swarm: each copy of the load balancer (one per node) and its servers;"
      + " readWriteServers and readOnlyServers above are the first copy's.")
  private java.util.List<LoadBalancerInstanceStatus> instances;

  public java.util.List<LoadBalancerInstanceStatus> getInstances() {
    return instances;
  }

  public void setInstances(java.util.List<LoadBalancerInstanceStatus> instances) {
    this.instances = instances;
  }

  public java.util.List<LoadBalancerServerStatus> getReadWriteServers() {
    return readWriteServers;
  }

  public void setReadWriteServers(java.util.List<LoadBalancerServerStatus> readWriteServers) {
    this.readWriteServers = readWriteServers;
  }

  public java.util.List<LoadBalancerServerStatus> getReadOnlyServers() {
    return readOnlyServers;
  }

  public void setReadOnlyServers(java.util.List<LoadBalancerServerStatus> readOnlyServers) {
    this.readOnlyServers = readOnlyServers;
  }

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
        && Objects.equals(readOnly, other.readOnly)
        && Objects.equals(readWriteServers, other.readWriteServers)
        && Objects.equals(readOnlyServers, other.readOnlyServers)
        && Objects.equals(instances, other.instances);
  }

  @Override
  public int hashCode() {
    return Objects.hash(readWrite, readOnly, readWriteServers, readOnlyServers, instances);
  }

  @Override
  public String toString() {
    return "EndpointsStatus{"
        + "readWrite=" + readWrite
        + ", readOnly=" + readOnly
        + ", readWriteServers=" + readWriteServers
        + ", readOnlyServers=" + readOnlyServers
        + ", instances=" + instances
        + "}";
  }
}
