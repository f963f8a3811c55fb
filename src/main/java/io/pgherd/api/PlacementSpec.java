package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/**
 * Where the members run on a Docker Swarm ({@code spec.placement}); on one Docker engine every
 * member runs on it and this section changes nothing.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PlacementSpec {

  @JsonPropertyDescription("Docker Swarm only: the nodes a member may run on, in Swarm's constraint syntax"
      + " (node.labels.<label>, node.role, node.hostname or node.id, then == or !=, then a value), all of them"
      + " met; e.g. node.labels.db==true.")
  private List<String> constraints;

  @JsonPropertyDescription("Docker Swarm only: at most one member of the cluster per node (a member's data"
      + " lives on its node, so two on one node fall together). A member with no node left waits, and the"
      + " status says why. Default true.")
  private Boolean oneMemberPerNode;

  public List<String> getConstraints() {
    return constraints;
  }

  public void setConstraints(List<String> constraints) {
    this.constraints = constraints;
  }

  public Boolean getOneMemberPerNode() {
    return oneMemberPerNode;
  }

  public void setOneMemberPerNode(Boolean oneMemberPerNode) {
    this.oneMemberPerNode = oneMemberPerNode;
  }
}
