package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Objects;

/**
 * One copy of the load balancer on a Docker Swarm (a task of its global service, one per node) and
 * its servers as that copy's HAProxy sees them ({@code status.endpoints.instances}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"node", "readWriteServers", "readOnlyServers", "error"})
public class LoadBalancerInstanceStatus {

  @JsonPropertyDescription("The Swarm node ID this copy runs on; its listeners are that node's published ports.")
  private String node;

  @JsonPropertyDescription("The read-write listener's servers and their state as this copy sees them.")
  private List<LoadBalancerServerStatus> readWriteServers;

  @JsonPropertyDescription("The read-only listener's servers and their state as this copy sees them.")
  private List<LoadBalancerServerStatus> readOnlyServers;

  @JsonPropertyDescription("Why this copy's server states could not be read (its agent did not answer).")
  private String error;

  public LoadBalancerInstanceStatus() {}

  public LoadBalancerInstanceStatus(String node, List<LoadBalancerServerStatus> readWriteServers,
      List<LoadBalancerServerStatus> readOnlyServers, String error) {
    this.node = node;
    this.readWriteServers = readWriteServers;
    this.readOnlyServers = readOnlyServers;
    this.error = error;
  }

  public String getNode() {
    return node;
  }

  public void setNode(String node) {
    this.node = node;
  }

  public List<LoadBalancerServerStatus> getReadWriteServers() {
    return readWriteServers;
  }

  public void setReadWriteServers(List<LoadBalancerServerStatus> readWriteServers) {
    this.readWriteServers = readWriteServers;
  }

  public List<LoadBalancerServerStatus> getReadOnlyServers() {
    return readOnlyServers;
  }

  public void setReadOnlyServers(List<LoadBalancerServerStatus> readOnlyServers) {
    this.readOnlyServers = readOnlyServers;
  }

  public String getError() {
    return error;
  }

  public void setError(String error) {
    this.error = error;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LoadBalancerInstanceStatus other && Objects.equals(node, other.node)
        && Objects.equals(readWriteServers, other.readWriteServers)
        && Objects.equals(readOnlyServers, other.readOnlyServers) && Objects.equals(error, other.error);
  }

  @Override
  public int hashCode() {
    return Objects.hash(node, readWriteServers, readOnlyServers, error);
  }

  @Override
  public String toString() {
    return "LoadBalancerInstanceStatus{node=" + node + ", readWriteServers=" + readWriteServers
        + ", readOnlyServers=" + readOnlyServers + ", error=" + error + "}";
  }
}
