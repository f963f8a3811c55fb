package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/** One server of a load balancer listener as HAProxy sees it ({@code status.endpoints.*Servers}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"member", "state"})
public class LoadBalancerServerStatus {

  @JsonPropertyDescription("Member name, e.g. demo-2.")
  private String member;

  @JsonPropertyDescription("HAProxy's state of the server: UP, DOWN, MAINT, \"UP 1/3\" (going down), \"DOWN 1/2\""
      + " (going up), \"no check\"; with (resolution) while its name does not resolve yet.")
  private String state;

  public LoadBalancerServerStatus() {}

  public LoadBalancerServerStatus(String member, String state) {
    this.member = member;
    this.state = state;
  }

  public String getMember() {
    return member;
  }

  public void setMember(String member) {
    this.member = member;
  }

  public String getState() {
    return state;
  }

  public void setState(String state) {
    this.state = state;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LoadBalancerServerStatus other && Objects.equals(member, other.member)
        && Objects.equals(state, other.state);
  }

  @Override
  public int hashCode() {
    return Objects.hash(member, state);
  }

  @Override
  public String toString() {
    return member + " " + state;
  }
}
