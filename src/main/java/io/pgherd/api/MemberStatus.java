package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/**
 * Observed state of one member ({@code status.members[]}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"name", "container", "node", "role", "state", "timeline", "lsn", "replayLsn", "lagBytes", "slot", "lastReclone"})
public class MemberStatus {

  @JsonPropertyDescription("Member name, e.g. demo-2.")
  private String name;

  @JsonPropertyDescription("Docker container name, e.g. pgherd-demo-2.")
  private String container;

  @JsonPropertyDescription("On a Docker Swarm: the id of the node the member runs on (or is placed on). Absent on one engine.")
  private String node;

  @JsonPropertyDescription("primary or replica.")
  private String role;

  @JsonPropertyDescription("Free text: running, streaming, cloning, stopped, missing, ...")
  private String state;

  @JsonPropertyDescription("Timeline this member is on.")
  private Long timeline;

  @JsonPropertyDescription("Current WAL position (the primary's write LSN, a replica's received LSN).")
  private String lsn;

  @JsonPropertyDescription("Replayed WAL position (replicas).")
  private String replayLsn;

  @JsonPropertyDescription("Bytes behind the primary (replicas).")
  private Long lagBytes;

  @JsonPropertyDescription("Physical replication slot used by this member on the primary.")
  private String slot;

  @JsonPropertyDescription("The last time the operator cloned this member again on its own (since the operator started), and why.")
  private RecloneStatus lastReclone;

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getContainer() {
    return container;
  }

  public void setContainer(String container) {
    this.container = container;
  }

  public String getNode() {
    return node;
  }

  public void setNode(String node) {
    this.node = node;
  }

  public String getRole() {
    return role;
  }

  public void setRole(String role) {
    this.role = role;
  }

  public String getState() {
    return state;
  }

  public void setState(String state) {
    this.state = state;
  }

  public Long getTimeline() {
    return timeline;
  }

  public void setTimeline(Long timeline) {
    this.timeline = timeline;
  }

  public String getLsn() {
    return lsn;
  }

  public void setLsn(String lsn) {
    this.lsn = lsn;
  }

  public String getReplayLsn() {
    return replayLsn;
  }

  public void setReplayLsn(String replayLsn) {
    this.replayLsn = replayLsn;
  }

  public Long getLagBytes() {
    return lagBytes;
  }

  public void setLagBytes(Long lagBytes) {
    this.lagBytes = lagBytes;
  }

  public String getSlot() {
    return slot;
  }

  public void setSlot(String slot) {
    this.slot = slot;
  }

  public RecloneStatus getLastReclone() {
    return lastReclone;
  }

  public void setLastReclone(RecloneStatus lastReclone) {
    this.lastReclone = lastReclone;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof MemberStatus)) {
      return false;
    }
    MemberStatus other = (MemberStatus) o;
    return Objects.equals(name, other.name)
        && Objects.equals(container, other.container)
        && Objects.equals(role, other.role)
        && Objects.equals(state, other.state)
        && Objects.equals(timeline, other.timeline)
        && Objects.equals(lsn, other.lsn)
        && Objects.equals(replayLsn, other.replayLsn)
        && Objects.equals(lagBytes, other.lagBytes)
        && Objects.equals(slot, other.slot)
        && Objects.equals(lastReclone, other.lastReclone);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, container, role, state, timeline, lsn, replayLsn, lagBytes, slot, lastReclone);
  }

  @Override
  public String toString() {
    return "MemberStatus{"
        + "name=" + name
        + ", container=" + container
        + ", role=" + role
        + ", state=" + state
        + ", timeline=" + timeline
        + ", lsn=" + lsn
        + ", replayLsn=" + replayLsn
        + ", lagBytes=" + lagBytes
        + ", slot=" + slot
        + ", lastReclone=" + lastReclone
        + "}";
  }
}
