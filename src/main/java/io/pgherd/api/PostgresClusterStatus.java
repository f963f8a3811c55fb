package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Objects;

/**
 * Observed state of a cluster: what {@code pgherd status -o json} prints, and the CRD status
 * subresource.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"name", "phase", "message", "primary", "timeline", "observedGeneration", "lastTransitionTime", "lastFailover", "members", "endpoints", "backups", "restore", "tls", "network", "conditions"})
public class PostgresClusterStatus {

  @JsonPropertyDescription("Cluster name.")
  private String name;

  @JsonPropertyDescription("Overall phase, e.g. Creating, Healthy, Degraded, FailingOver.")
  private String phase;

  @JsonPropertyDescription("Human-readable detail about the phase.")
  private String message;

  @JsonPropertyDescription("Member name of the current primary, e.g. demo-1.")
  private String primary;

  @JsonPropertyDescription("Current PostgreSQL timeline of the primary.")
  private Long timeline;

  @JsonPropertyDescription("The spec generation this status reflects.")
  private Long observedGeneration;

  @JsonPropertyDescription("When the phase last changed (ISO-8601).")
  private String lastTransitionTime;

  @JsonPropertyDescription("The last change of primary: from, to, why, when, new timeline.")
  private FailoverStatus lastFailover;

  @JsonPropertyDescription("One entry per member.")
  private List<MemberStatus> members;

  @JsonPropertyDescription("Load balancer addresses.")
  private EndpointsStatus endpoints;

  @JsonPropertyDescription("Backup summary (only with backup configured).")
  private BackupsStatus backups;

  @JsonPropertyDescription("A restore from backups (spec.bootstrap.recovery) under way, refused or failed.")
  private RestoreStatus restore;

  @JsonPropertyDescription("TLS of the members (spec.tls); absent when it is off.")
  private TlsStatus tls;

  @JsonPropertyDescription("On a Docker Swarm: the cluster's overlay network and whether it is encrypted.")
  private NetworkStatus network;

  @JsonPropertyDescription("Conditions, Kubernetes style.")
  private List<Condition> conditions;

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getPhase() {
    return phase;
  }

  public void setPhase(String phase) {
    this.phase = phase;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }

  public String getPrimary() {
    return primary;
  }

  public void setPrimary(String primary) {
    this.primary = primary;
  }

  public Long getTimeline() {
    return timeline;
  }

  public void setTimeline(Long timeline) {
    this.timeline = timeline;
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public String getLastTransitionTime() {
    return lastTransitionTime;
  }

  public void setLastTransitionTime(String lastTransitionTime) {
    this.lastTransitionTime = lastTransitionTime;
  }

  public List<MemberStatus> getMembers() {
    return members;
  }

  public void setMembers(List<MemberStatus> members) {
    this.members = members;
  }

  public EndpointsStatus getEndpoints() {
    return endpoints;
  }

  public void setEndpoints(EndpointsStatus endpoints) {
    this.endpoints = endpoints;
  }

  public TlsStatus getTls() {
    return tls;
  }

  public void setTls(TlsStatus tls) {
    this.tls = tls;
  }

  public NetworkStatus getNetwork() {
    return network;
  }

  public void setNetwork(NetworkStatus network) {
    this.network = network;
  }

  public RestoreStatus getRestore() {
    return restore;
  }

  public void setRestore(RestoreStatus restore) {
    this.restore = restore;
  }

  public BackupsStatus getBackups() {
    return backups;
  }

  public void setBackups(BackupsStatus backups) {
    this.backups = backups;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  public FailoverStatus getLastFailover() {
    return lastFailover;
  }

  public void setLastFailover(FailoverStatus lastFailover) {
    this.lastFailover = lastFailover;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof PostgresClusterStatus)) {
      return false;
    }
    PostgresClusterStatus other = (PostgresClusterStatus) o;
    return Objects.equals(name, other.name)
        && Objects.equals(phase, other.phase)
        && Objects.equals(message, other.message)
        && Objects.equals(primary, other.primary)
        && Objects.equals(timeline, other.timeline)
        && Objects.equals(restore, other.restore)
        && Objects.equals(tls, other.tls)
        && Objects.equals(network, other.network)
        && Objects.equals(observedGeneration, other.observedGeneration)
        && Objects.equals(lastTransitionTime, other.lastTransitionTime)
        && Objects.equals(lastFailover, other.lastFailover)
        && Objects.equals(members, other.members)
        && Objects.equals(endpoints, other.endpoints)
        && Objects.equals(backups, other.backups)
        && Objects.equals(conditions, other.conditions);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, phase, message, primary, timeline, observedGeneration, lastTransitionTime, lastFailover, members, endpoints, backups, tls, network, conditions);
  }

  @Override
  public String toString() {
    return "PostgresClusterStatus{"
        + "name=" + name
        + ", phase=" + phase
        + ", message=" + message
        + ", primary=" + primary
        + ", timeline=" + timeline
        + ", observedGeneration=" + observedGeneration
        + ", lastTransitionTime=" + lastTransitionTime
        + ", lastFailover=" + lastFailover
        + ", members=" + members
        + ", endpoints=" + endpoints
        + ", backups=" + backups
        + ", conditions=" + conditions
        + "}";
  }
}
